//! The url provider: an existing server (a staging instance). Work happens in a scratch database
//! that this run creates and drops (with `--clone`, a copy of the URL's database, which is only
//! read); with `--in-transaction` it happens on the URL's database itself, in a transaction the
//! rehearsal always rolls back. A target that does not look disposable is refused unless the
//! user says so, and this module never writes to the URL's database.

use super::{
    cleanup, wait_until_ready, ConnectionInfo, Database, DatabaseRequest, ProviderKind,
    ProvisionError,
};
use std::str::FromStr;
use std::time::Duration;

/// Words in a host or database name that mark a server as meant for throw-away work.
const DISPOSABLE_MARKERS: &[&str] = &[
    "test",
    "ci",
    "staging",
    "stage",
    "scratch",
    "dev",
    "ephemeral",
    "sandbox",
    "rehearse",
    "tmp",
    "local",
];

/// Parses a `postgresql://` URL or a key=value connection string into [`ConnectionInfo`].
pub fn parse(url: &str) -> Result<ConnectionInfo, ProvisionError> {
    crate::redact::remember_in(url);
    // Before the driver's parse, which refuses an unknown parameter without naming it.
    let parameters = super::parameters::honoured(url).map_err(ProvisionError::Refused)?;
    let tls = super::tls::TlsPolicy::from_parameters(&parameters, super::tls::home().as_deref())
        .and_then(|policy| policy.connector())
        .map_err(ProvisionError::Refused)?;
    let config = tokio_postgres::Config::from_str(&super::parameters::without_tls(url)).map_err(|e| {
        ProvisionError::Refused(format!(
            "the database URL cannot be parsed: {}",
            crate::redact::redact(&e.to_string())
        ))
    })?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let user = config
        .get_user()
        .map(str::to_string)
        .unwrap_or_else(|| std::env::var("USER").unwrap_or_else(|_| "postgres".into()));
    Ok(ConnectionInfo {
        parameters,
        tls,
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        dbname: config
            .get_dbname()
            .map(str::to_string)
            .unwrap_or_else(|| user.clone()),
        password: config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        user,
    })
}

/// Words in a host or database name that say production. On loopback or a unix socket, where
/// the address proves nothing (an SSH tunnel to production is `127.0.0.1`), they are judged as
/// whole words, so that `products` is not taken for one.
const PRODUCTION_WORDS: &[&str] = &["prod", "production", "prd", "live"];

/// True when the target may take scratch databases without `--allow-non-disposable`.
pub fn looks_disposable(target: &ConnectionInfo) -> bool {
    refusal(target).is_none()
}

/// Why the target is refused without `--allow-non-disposable`, in one sentence; None when it
/// looks disposable. Loopback and unix sockets pass unless a name says production (a tunnel
/// makes production local); any other host needs a disposable word and no `prod` in its names.
pub fn refusal(target: &ConnectionInfo) -> Option<String> {
    let host = target.host.to_ascii_lowercase();
    let dbname = target.dbname.to_ascii_lowercase();
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let socket = host.starts_with('/');
    // With hostaddr the connection goes there, whatever the host name says.
    let address = target
        .parameters
        .iter()
        .find(|(k, _)| k == "hostaddr")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_else(|| host.clone());
    if socket || is_loopback(&address, target.port) {
        let production = words(&dbname)
            .into_iter()
            .chain(if socket { Vec::new() } else { words(&host) })
            .find(|w| PRODUCTION_WORDS.contains(&w.as_str()));
        return production.map(|word| {
            format!(
                "refusing to rehearse on {}: its name says production (\"{word}\"), and a {} can be a tunnel to a production server; pass --allow-non-disposable if this server may take scratch databases",
                target.redacted(),
                if socket { "unix socket" } else { "loopback address" }
            )
        });
    }
    let names = format!("{host} {dbname}");
    if names.contains("prod") {
        return Some(format!(
            "refusing to rehearse on {}: its host or database name contains \"prod\"; pass --allow-non-disposable if this server may take scratch databases",
            target.redacted()
        ));
    }
    if words(&names)
        .iter()
        .any(|word| DISPOSABLE_MARKERS.contains(&word.as_str()))
    {
        return None;
    }
    Some(format!(
        "refusing to rehearse on {}: it is not on loopback and its host and database names do not mark it as disposable (test, ci, staging, ...); pass --allow-non-disposable if this server may take scratch databases",
        target.redacted()
    ))
}

/// Whether `host` is loopback: a literal IP is judged as it is, a name by every address it
/// resolves to (all loopback), never by how the name begins: `127.attacker.invalid` is a name.
pub fn is_loopback(host: &str, port: u16) -> bool {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    use std::net::ToSocketAddrs;
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// What the disposable rule judges: what is written. With `--clone` that is a scratch database
/// on the server, never the source database (only read), so the server alone is judged.
fn judged(target: &ConnectionInfo, clone: bool) -> ConnectionInfo {
    if clone {
        target.with_dbname("")
    } else {
        target.clone()
    }
}

pub async fn start(request: &DatabaseRequest) -> Result<Database, ProvisionError> {
    let url = request.url.as_deref().ok_or_else(|| {
        ProvisionError::Refused(
            "--provider url needs --url postgresql://... (or [database] url in the scenario)"
                .into(),
        )
    })?;
    let target = parse(url)?;
    if !request.allow_non_disposable {
        if let Some(why) = refusal(&judged(&target, request.clone.is_some())) {
            return Err(ProvisionError::Refused(why));
        }
    }
    let version = wait_until_ready(&target, Duration::from_secs(10))
        .await
        .map_err(|e| {
            ProvisionError::Unavailable(format!(
                "could not connect to {}: {}",
                target.redacted(),
                crate::redact::redact(&e)
            ))
        })?;
    // Scratch databases of runs that were killed before they could drop theirs.
    if let Ok(removed) = super::leftovers::reap_scratch_databases(&target).await {
        super::leftovers::tell(&removed);
    }
    if request.in_transaction {
        return in_transaction(target, version).await;
    }
    // The name carries this run's machine and pid, and its drop is registered before it
    // exists: a signal during CREATE DATABASE still drops it, a SIGKILL leaves it findable.
    let scratch = super::ownership::scratch_database_name();
    let guard = cleanup::register({
        let admin_target = target.clone();
        let name = scratch.clone();
        move || cleanup::drop_database_blocking(&admin_target, &name)
    });
    if let Some(method) = request.clone {
        let cloned = super::clone::clone_into(
            &target,
            &scratch,
            method,
            request.clone_jobs.unwrap_or(super::clone::DEFAULT_JOBS),
        )
        .await?;
        let connection = target.with_dbname(&scratch);
        let reason = format!(
            "--provider url --clone: scratch database {scratch}, a copy of {} ({} in {:.1}s)",
            target.redacted(),
            cloned.method,
            cloned.seconds
        );
        for note in &cloned.notes {
            crate::say!("rehearse: note: clone of {}: {note}", cloned.source);
        }
        let data = crate::report::DataSource::Clone {
            database: cloned.source,
            bytes: cloned.source_bytes,
            method: cloned.method.to_string(),
            why: cloned.why,
            seconds: cloned.seconds,
            notes: cloned.notes,
        };
        return Ok(Database::new(
            ProviderKind::Url,
            connection,
            version,
            reason,
            Box::new(guard),
        )
        .with_data(data));
    }
    let admin = target.connect_or_unavailable().await?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {}",
            crate::identifier::quote(&scratch)
        ))
        .await
        .map_err(|e| {
            ProvisionError::Failed(format!(
                "could not create the scratch database {scratch} on {}: {}",
                target.redacted(),
                crate::server_text::of(&e)
            ))
        })?;
    super::ownership::mark_database(&admin, &scratch)
        .await
        .map_err(|e| {
            ProvisionError::Failed(format!(
                "could not mark the scratch database {scratch} on {} as this run's: {}",
                target.redacted(),
                crate::server_text::of(&e)
            ))
        })?;
    drop(admin);
    let connection = target.with_dbname(&scratch);
    Ok(Database::new(
        ProviderKind::Url,
        connection,
        version,
        format!(
            "--provider url: scratch database {scratch} on {}",
            target.redacted()
        ),
        Box::new(guard),
    ))
}

/// `--in-transaction`: the URL's database itself, where every transaction the rehearsal opens is
/// rolled back. Nothing is created, so nothing is left to release.
async fn in_transaction(
    target: ConnectionInfo,
    version: String,
) -> Result<Database, ProvisionError> {
    let client = target.connect_or_unavailable().await?;
    let bytes = client
        .query_one("SELECT pg_database_size(current_database())::bigint", &[])
        .await
        .map(|r| r.get::<_, i64>(0).max(0) as u64)
        .unwrap_or(0);
    let reason = format!(
        "--provider url --in-transaction: on {} itself, inside a transaction that is rolled back",
        target.redacted()
    );
    let data = crate::report::DataSource::InTransaction {
        database: target.dbname.clone(),
        bytes,
    };
    Ok(Database::new(ProviderKind::Url, target, version, reason, Box::new(())).with_data(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> ConnectionInfo {
        parse(url).unwrap()
    }

    #[test]
    fn loopback_and_test_names_are_disposable() {
        assert!(looks_disposable(&target(
            "postgresql://u@127.0.0.1:5432/app"
        )));
        assert!(looks_disposable(&target("postgresql://u@localhost/app")));
        assert!(looks_disposable(&target(
            "postgresql://u@db.staging.example.com/app"
        )));
        assert!(looks_disposable(&target(
            "postgresql://u@db.example.com/app_test"
        )));
    }

    #[test]
    fn production_looking_targets_are_not() {
        assert!(!looks_disposable(&target(
            "postgresql://u@db.example.com/app"
        )));
        assert!(!looks_disposable(&target(
            "postgresql://u@prod-db.internal/app_test"
        )));
        assert!(!looks_disposable(&target("postgresql://u@10.0.0.5/app")));
    }

    #[test]
    fn a_production_name_is_refused_even_on_loopback_and_unix_sockets() {
        for url in [
            "postgresql://u@127.0.0.1:5433/app_prod",
            "postgresql://u@localhost/production",
            "postgresql://u@[::1]/ledger-live",
            "host=/var/run/postgresql dbname=app_prod user=u",
        ] {
            let why = refusal(&target(url)).unwrap_or_else(|| panic!("{url} was accepted"));
            assert!(why.contains("says production"), "{why}");
        }
        assert!(looks_disposable(&target(
            "postgresql://u@127.0.0.1/products"
        )));
        assert!(looks_disposable(&target(
            "host=/var/run/postgresql dbname=app user=u"
        )));
    }

    #[test]
    fn a_clone_is_judged_by_the_server_it_writes_on_not_by_the_source_it_reads() {
        let prod_named = target("postgresql://u@db.staging.example.com/app_prod");
        assert!(!looks_disposable(&judged(&prod_named, false)));
        assert!(looks_disposable(&judged(&prod_named, true)));
        let test_named = target("postgresql://u@db.example.com/app_test");
        assert!(looks_disposable(&judged(&test_named, false)));
        assert!(!looks_disposable(&judged(&test_named, true)));
    }

    #[test]
    fn loopback_is_decided_on_the_address_never_on_the_name() {
        assert!(is_loopback("127.0.0.1", 5432));
        assert!(is_loopback("127.4.5.6", 5432));
        assert!(is_loopback("::1", 5432));
        assert!(is_loopback("[::1]", 5432));
        assert!(is_loopback("localhost", 5432));
        assert!(!is_loopback("127.attacker.invalid", 5432));
        assert!(!is_loopback("127.0.0.1.nip.invalid", 5432));
        assert!(!is_loopback("10.0.0.5", 5432));
        assert!(!looks_disposable(&target(
            "postgresql://u@127.attacker.invalid:5432/app"
        )));
    }
}
