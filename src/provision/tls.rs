//! TLS on every connection rehearse makes, decided from a connection string's `sslmode`,
//! `sslrootcert`, `sslcert`/`sslkey`, `sslsni` and protocol bounds the way libpq decides it, so
//! that a URL psql accepts works here, and one psql would refuse (a certificate that does not
//! verify, a missing root file) is refused here too.
//!
//! [`TlsPolicy::from_parameters`] is pure: it reads the parameters (and is told where the home
//! directory is, for libpq's default files) and says what they ask. [`TlsPolicy::connector`]
//! reads the certificate files. Neither may weaken what was asked: only `prefer` and `allow`
//! fall back to plaintext, as they do in libpq, and a parameter this module does not honour is
//! refused by name by [`super::parameters`], never dropped.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The TLS parameters this module reads; [`super::parameters`] hands them here.
pub const KEYS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "sslcompression",
    "sslnegotiation",
    "gssencmode",
];

/// How much of the server's certificate is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Encrypted, the certificate unchecked (`require` without a root file, `prefer`).
    Nothing,
    /// Signed by a trusted root, whatever host it names (`verify-ca`, or any TLS mode when a
    /// root file exists, as libpq does).
    Chain,
    /// Signed by a trusted root and naming the host connected to (`verify-full`).
    ChainAndHost,
}

/// Where trusted roots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roots {
    File(PathBuf),
    /// `sslrootcert=system`: the platform's store.
    System,
}

/// What a connection string asks of TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPolicy {
    /// Disable, Prefer (TLS when the server offers it) or Require.
    pub mode: SslMode,
    pub verify: Verify,
    pub roots: Option<Roots>,
    /// A client certificate and its key, for servers that authenticate by certificate.
    pub client: Option<(PathBuf, PathBuf)>,
    pub sni: bool,
    pub min_tls13: bool,
    pub max_tls12: bool,
}

impl Default for TlsPolicy {
    /// libpq's default with no parameters and no files: TLS when the server offers it,
    /// unchecked.
    fn default() -> Self {
        TlsPolicy {
            mode: SslMode::Prefer,
            verify: Verify::Nothing,
            roots: None,
            client: None,
            sni: true,
            min_tls13: false,
            max_tls12: false,
        }
    }
}

impl TlsPolicy {
    /// The policy `parameters` ask for (keys lower-case, values decoded), with libpq's default
    /// files under `home/.postgresql` when they exist; or the sentence refusing them.
    pub fn from_parameters(
        parameters: &[(String, String)],
        home: Option<&Path>,
    ) -> Result<TlsPolicy, String> {
        let get = |key: &str| {
            parameters
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut policy = TlsPolicy::default();
        let sslmode = get("sslmode").unwrap_or("prefer");
        policy.mode = match sslmode {
            "disable" => SslMode::Disable,
            // `allow` tries plaintext first in libpq; TLS-first gives the same connection on
            // every server that accepts both, and works on one that accepts only TLS.
            "allow" | "prefer" => SslMode::Prefer,
            "require" | "verify-ca" | "verify-full" => SslMode::Require,
            other => {
                return Err(format!(
                    "the connection parameter sslmode={other} is not one libpq knows (disable, allow, prefer, require, verify-ca, verify-full)"
                ))
            }
        };
        match get("sslnegotiation") {
            None | Some("postgres") => {}
            Some(other) => {
                return Err(format!(
                    "the connection parameter sslnegotiation={other} is not supported: rehearse negotiates TLS the PostgreSQL way (sslnegotiation=postgres)"
                ))
            }
        }
        match get("sslcompression") {
            None | Some("0") => {}
            Some(other) => {
                return Err(format!(
                    "the connection parameter sslcompression={other} is not supported: TLS compression is off in every current server and TLS library"
                ))
            }
        }
        match get("gssencmode") {
            // rehearse has no GSSAPI: `prefer` without credentials is what libpq does then.
            None | Some("disable") | Some("prefer") => {}
            Some(other) => {
                return Err(format!(
                    "the connection parameter gssencmode={other} is not supported: rehearse does not speak GSSAPI"
                ))
            }
        }
        policy.sni = match get("sslsni") {
            None | Some("1") => true,
            Some("0") => false,
            Some(other) => {
                return Err(format!(
                    "the connection parameter sslsni={other} is not 0 or 1"
                ))
            }
        };
        let version = |key: &str| -> Result<Option<bool>, String> {
            match get(key) {
                None | Some("") => Ok(None),
                Some(v) if v.eq_ignore_ascii_case("TLSv1.2") => Ok(Some(false)),
                Some(v) if v.eq_ignore_ascii_case("TLSv1.3") => Ok(Some(true)),
                Some(v) if ["TLSv1", "TLSv1.1"].iter().any(|o| v.eq_ignore_ascii_case(o)) => {
                    Err(format!(
                        "the connection parameter {key}={v} is not supported: rehearse speaks TLSv1.2 and TLSv1.3 only"
                    ))
                }
                Some(v) => Err(format!(
                    "the connection parameter {key}={v} is not a TLS version libpq knows (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)"
                )),
            }
        };
        policy.min_tls13 = version("ssl_min_protocol_version")? == Some(true);
        policy.max_tls12 = version("ssl_max_protocol_version")? == Some(false);
        if policy.min_tls13 && policy.max_tls12 {
            return Err(
                "the connection parameters ssl_min_protocol_version=TLSv1.3 and ssl_max_protocol_version=TLSv1.2 leave no version to speak"
                    .to_string(),
            );
        }

        let default_file = |name: &str| home.map(|h| h.join(".postgresql").join(name));
        policy.roots = match get("sslrootcert") {
            Some("system") => Some(Roots::System),
            Some(path) if !path.is_empty() => Some(Roots::File(PathBuf::from(path))),
            _ => default_file("root.crt")
                .filter(|p| p.is_file())
                .map(Roots::File),
        };
        policy.verify = match sslmode {
            "verify-full" => Verify::ChainAndHost,
            "verify-ca" => Verify::Chain,
            _ if policy.roots.is_some() => Verify::Chain,
            _ => Verify::Nothing,
        };
        if policy.roots == Some(Roots::System) && policy.verify != Verify::ChainAndHost {
            return Err(format!(
                "the connection parameter sslmode={sslmode} is too weak for sslrootcert=system: use sslmode=verify-full, as libpq asks"
            ));
        }
        if policy.verify != Verify::Nothing && policy.roots.is_none() {
            return Err(format!(
                "sslmode={sslmode} checks the server's certificate, but no root certificate was given and ~/.postgresql/root.crt does not exist: give sslrootcert=FILE, sslrootcert=system for the platform's roots, or sslmode=require to encrypt without checking"
            ));
        }
        policy.client = match (get("sslcert"), get("sslkey")) {
            (Some(cert), Some(key)) if !cert.is_empty() && !key.is_empty() => {
                Some((PathBuf::from(cert), PathBuf::from(key)))
            }
            (Some(cert), _) if !cert.is_empty() => {
                let key = default_file("postgresql.key");
                match key.filter(|k| k.is_file()) {
                    Some(key) => Some((PathBuf::from(cert), key)),
                    None => {
                        return Err(format!(
                            "the connection parameter sslcert={cert} needs sslkey=FILE, the certificate's private key"
                        ))
                    }
                }
            }
            (_, Some(key)) if !key.is_empty() => {
                return Err(format!(
                    "the connection parameter sslkey={key} needs sslcert=FILE, the certificate it belongs to"
                ))
            }
            _ => match (default_file("postgresql.crt"), default_file("postgresql.key")) {
                (Some(cert), Some(key)) if cert.is_file() && key.is_file() => Some((cert, key)),
                _ => None,
            },
        };
        Ok(policy)
    }

    /// The driver's TLS connector for this policy, reading the certificate files it names; or
    /// the sentence saying which file could not be read and why.
    pub fn connector(&self) -> Result<Tls, String> {
        if self.mode == SslMode::Disable {
            return Ok(Tls::disabled());
        }
        let provider = provider();
        let versions: &[&rustls::SupportedProtocolVersion] = if self.min_tls13 {
            &[&rustls::version::TLS13]
        } else if self.max_tls12 {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| format!("TLS cannot be set up: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.verify {
            Verify::Nothing => Arc::new(Unchecked(provider.clone())),
            Verify::Chain => Arc::new(ChainOnly(webpki(self.roots.as_ref(), &provider)?)),
            Verify::ChainAndHost => webpki(self.roots.as_ref(), &provider)?,
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.client {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| {
                        format!("the client certificate {} cannot be read: {e}", cert.display())
                    })?;
                if chain.is_empty() {
                    return Err(format!(
                        "the client certificate {} holds no PEM certificate",
                        cert.display()
                    ));
                }
                let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    format!(
                        "the client key {} cannot be read (an unencrypted PEM key is needed): {e}",
                        key.display()
                    )
                })?;
                builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                    format!(
                        "the client certificate {} and key {} do not go together: {e}",
                        cert.display(),
                        key.display()
                    )
                })?
            }
        };
        config.enable_sni = self.sni;
        Ok(Tls {
            connector: MakeRustlsConnect::new(config),
            mode: self.mode,
        })
    }
}

/// The driver's TLS connector and the mode it is used in: what every `Config::connect` and
/// `cancel_query` is handed.
#[derive(Clone)]
pub struct Tls {
    pub connector: MakeRustlsConnect,
    pub mode: SslMode,
}

impl Tls {
    /// A server rehearse started itself, on this machine or in its own container: plaintext,
    /// with no TLS round trip.
    pub fn disabled() -> Tls {
        Tls {
            mode: SslMode::Disable,
            ..Tls::unverified()
        }
    }

    /// A connector that encrypts without checking: for cancel requests, which carry only the
    /// session's cancel key, and for connections whose mode never starts TLS.
    pub fn unverified() -> Tls {
        static UNVERIFIED: OnceLock<Tls> = OnceLock::new();
        UNVERIFIED
            .get_or_init(|| {
                let provider = provider();
                let config = ClientConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(rustls::DEFAULT_VERSIONS)
                    .expect("ring supports the default TLS versions")
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
                    .with_no_client_auth();
                Tls {
                    connector: MakeRustlsConnect::new(config),
                    mode: SslMode::Prefer,
                }
            })
            .clone()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The home directory, for libpq's default certificate files.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn webpki(
    roots: Option<&Roots>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Some(Roots::File(path)) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    format!("the root certificate file {} cannot be read: {e}", path.display())
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "the root certificate file {} holds no usable PEM certificate",
                    path.display()
                ));
            }
        }
        Some(Roots::System) => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(
                    "sslrootcert=system found no trusted roots on this machine (install ca-certificates)"
                        .to_string(),
                );
            }
        }
        None => return Err("no root certificate to check the server against".to_string()),
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .map_err(|e| format!("the root certificates cannot be used: {e}"))
}

/// `require` and `prefer` without roots: the channel is encrypted and the handshake's
/// signatures are checked, but not who signed the certificate.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host it names is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last: a name error means the chain held.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn modes_follow_libpq() {
        let none = TlsPolicy::from_parameters(&[], None).unwrap();
        assert_eq!((none.mode, none.verify), (SslMode::Prefer, Verify::Nothing));
        let require = TlsPolicy::from_parameters(&params(&[("sslmode", "require")]), None).unwrap();
        assert_eq!((require.mode, require.verify), (SslMode::Require, Verify::Nothing));
        let ca = TlsPolicy::from_parameters(
            &params(&[("sslmode", "verify-ca"), ("sslrootcert", "/ca.pem")]),
            None,
        )
        .unwrap();
        assert_eq!((ca.mode, ca.verify), (SslMode::Require, Verify::Chain));
        // A root file makes `require` check the chain, as libpq does.
        let require_with_root = TlsPolicy::from_parameters(
            &params(&[("sslmode", "require"), ("sslrootcert", "/ca.pem")]),
            None,
        )
        .unwrap();
        assert_eq!(require_with_root.verify, Verify::Chain);
        let full = TlsPolicy::from_parameters(
            &params(&[("sslmode", "verify-full"), ("sslrootcert", "system")]),
            None,
        )
        .unwrap();
        assert_eq!((full.verify, full.roots), (Verify::ChainAndHost, Some(Roots::System)));
    }

    #[test]
    fn what_cannot_be_checked_or_spoken_is_refused_in_words() {
        for (pairs, says) in [
            (vec![("sslmode", "verify-full")], "no root certificate was given"),
            (vec![("sslmode", "require"), ("sslrootcert", "system")], "too weak"),
            (vec![("sslmode", "strict")], "not one libpq knows"),
            (vec![("sslkey", "/k.pem")], "needs sslcert"),
            (vec![("ssl_min_protocol_version", "TLSv1.1")], "TLSv1.2 and TLSv1.3 only"),
            (vec![("sslnegotiation", "direct")], "sslnegotiation=direct"),
            (vec![("gssencmode", "require")], "GSSAPI"),
        ] {
            let why = TlsPolicy::from_parameters(&params(&pairs), None).unwrap_err();
            assert!(why.contains(says), "{pairs:?}: {why}");
        }
    }

    #[test]
    fn default_files_under_home_are_used_as_libpq_uses_them() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".postgresql");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.crt"), "x").unwrap();
        let policy =
            TlsPolicy::from_parameters(&params(&[("sslmode", "verify-ca")]), Some(home.path()))
                .unwrap();
        assert_eq!(policy.roots, Some(Roots::File(dir.join("root.crt"))));
        assert_eq!(policy.verify, Verify::Chain);
    }

    #[test]
    fn unreadable_files_are_named() {
        let policy = TlsPolicy::from_parameters(
            &params(&[("sslmode", "verify-ca"), ("sslrootcert", "/nonexistent/ca.pem")]),
            None,
        )
        .unwrap();
        let why = policy.connector().err().unwrap();
        assert!(why.contains("/nonexistent/ca.pem"), "{why}");
    }
}
