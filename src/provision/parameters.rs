//! The libpq connection parameters a `--url` carries beyond host, port, user, password and
//! database: each one is honoured as libpq would, or refused by name. None is ever dropped, so
//! that `?sslmode=require` can never end in a plaintext connection.
//!
//! Pure: it reads connection strings (a `postgresql://` URL's query, or key=value words) and
//! says what they ask; [`super::ConnectionInfo`] applies what is honoured.

/// Parameters passed to the driver (and to `pg_dump`) as given.
const HONOURED: &[&str] = &[
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "hostaddr",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "tcp_user_timeout",
    "channel_binding",
    "load_balance_hosts",
];

/// Parameters that name the server and the login, read into [`super::ConnectionInfo`]'s fields.
const FIELDS: &[&str] = &["host", "port", "user", "password", "dbname"];

/// The parameters of `conninfo` other than the fields, in order, values unquoted and decoded;
/// or the sentence refusing the first one rehearse does not honour.
pub fn honoured(conninfo: &str) -> Result<Vec<(String, String)>, String> {
    let mut kept = Vec::new();
    for (key, value) in pairs(conninfo) {
        let key = key.to_ascii_lowercase();
        if FIELDS.contains(&key.as_str()) {
            continue;
        }
        if super::tls::KEYS.contains(&key.as_str()) {
            kept.push((key, value));
            continue;
        }
        if key.starts_with("ssl") || key.starts_with("gss") || key == "krbsrvname" {
            return Err(format!(
                "the connection parameter {key} is not supported (rehearse's TLS honours {}; it has no GSSAPI), and it refuses a parameter rather than drop it",
                super::tls::KEYS.join(", ")
            ));
        }
        if !HONOURED.contains(&key.as_str()) {
            return Err(format!(
                "the connection parameter {key} is not supported by rehearse (it honours {} and {}); it refuses a parameter rather than drop it",
                FIELDS.join(", "),
                HONOURED.join(", ")
            ));
        }
        kept.push((key, value));
    }
    super::tls::TlsPolicy::from_parameters(&kept, super::tls::home().as_deref())?;
    Ok(kept)
}

/// `conninfo` without its TLS parameters, for the driver's own parser, which knows only
/// `sslmode` disable/prefer/require and refuses the rest: [`super::tls`] applies them instead.
pub fn without_tls(conninfo: &str) -> String {
    let is_tls = |key: &str| super::tls::KEYS.contains(&key.to_ascii_lowercase().as_str());
    let text = conninfo.trim();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let Some((base, query)) = text.split_once('?') else {
            return text.to_string();
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_tls(&decode(p.split_once('=').map_or(*p, |(k, _)| k))))
            .collect();
        return if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
    }
    let kept: Vec<(String, String)> = pairs(text).into_iter().filter(|(k, _)| !is_tls(k)).collect();
    conninfo_of(&kept)
}

/// Every `key=value` of a connection string: a URL's query parameters (percent-decoded), or the
/// words of a key=value string (single-quoted values unescaped).
pub fn pairs(conninfo: &str) -> Vec<(String, String)> {
    let text = conninfo.trim();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let Some((_, query)) = text.split_once('?') else {
            return Vec::new();
        };
        return query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
    }
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() || chars[i] != '=' {
            if !key.is_empty() {
                out.push((key, String::new()));
            }
            continue;
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// `parameters` as a key=value connection string the driver parses, without the TLS ones
/// (see [`without_tls`]).
pub fn conninfo(parameters: &[(String, String)]) -> String {
    let kept: Vec<(String, String)> = parameters
        .iter()
        .filter(|(k, _)| !super::tls::KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    conninfo_of(&kept)
}

fn conninfo_of(parameters: &[(String, String)]) -> String {
    parameters
        .iter()
        .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honoured_parameters_are_kept_and_unknown_ones_refused_by_name() {
        assert_eq!(
            honoured(
                "postgresql://u@h/db?application_name=ci%20job&connect_timeout=5&sslmode=require"
            )
            .unwrap(),
            vec![
                ("application_name".to_string(), "ci job".to_string()),
                ("connect_timeout".to_string(), "5".to_string()),
                ("sslmode".to_string(), "require".to_string()),
            ]
        );
        assert_eq!(
            honoured("host=h dbname=db options='-c search_path=app' password='a b'").unwrap(),
            vec![("options".to_string(), "-c search_path=app".to_string())]
        );
        for (refused, names) in [
            ("postgresql://u@h/db?sslcrl=/crl.pem", "sslcrl"),
            ("host=h sslpassword=x", "sslpassword"),
            ("postgresql://u@h/db?service=prod", "service"),
            ("postgresql://u@h/db?sslmode=verify-full", "sslmode=verify-full"),
        ] {
            let why = honoured(refused).unwrap_err();
            assert!(why.contains(names), "{refused}: {why}");
        }
    }

    #[test]
    fn the_driver_never_sees_what_tls_applies() {
        assert_eq!(
            without_tls("postgresql://u@h/db?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x"),
            "postgresql://u@h/db?application_name=x"
        );
        assert_eq!(without_tls("postgresql://u@h/db?sslmode=verify-ca"), "postgresql://u@h/db");
        assert_eq!(
            without_tls("host=h sslmode=verify-ca sslrootcert='/c a.pem' dbname=d"),
            "host='h' dbname='d'"
        );
    }

    #[test]
    fn conninfo_round_trips_through_the_driver() {
        let params = vec![
            ("options".to_string(), "-c search_path='x'".to_string()),
            ("application_name".to_string(), "a b".to_string()),
        ];
        let config: tokio_postgres::Config = conninfo(&params).parse().unwrap();
        assert_eq!(config.get_options(), Some("-c search_path='x'"));
        assert_eq!(config.get_application_name(), Some("a b"));
    }
}
