//! TLS as libpq speaks it, against a real PostgreSQL serving a certificate signed by a CA made
//! here with `openssl`: `sslmode=require` encrypts (and refuses a server without TLS instead of
//! going plaintext), `verify-ca` checks the chain, `verify-full` the chain and the host name,
//! and a CLI command (`snapshot`) connects through the same code.

mod common;

use rehearse::provision::{url, ConnectionInfo, Database};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate it signed naming `name`. Returns (ca.pem, server.crt,
/// server.key).
fn certificates(dir: &Path, tag: &str, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = format!("{tag}-ca.key");
    let ca = format!("{tag}-ca.pem");
    let key = format!("{tag}-server.key");
    let csr = format!("{tag}-server.csr");
    let crt = format!("{tag}-server.crt");
    let ext = format!("{tag}-san.ext");
    openssl(dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &format!("/CN=rehearse test CA {tag}"), "-keyout", &ca_key, "-out", &ca]);
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-subj", &format!("/CN={name}"), "-keyout", &key, "-out", &csr]);
    std::fs::write(dir.join(&ext), format!("subjectAltName=DNS:{name}\n")).unwrap();
    openssl(dir, &["x509", "-req", "-in", &csr, "-CA", &ca, "-CAkey", &ca_key, "-CAcreateserial", "-days", "2", "-extfile", &ext, "-out", &crt]);
    (dir.join(ca), dir.join(crt), dir.join(key))
}

/// Turns TLS on in `server` with `crt`/`key`, which are handed to the server's own user.
async fn serve_tls(server: &Database, crt: &Path, key: &Path) {
    let admin = server.connection.connect().await.unwrap();
    let data_dir: String = admin.query_one("SHOW data_directory", &[]).await.unwrap().get(0);
    let owner = std::fs::metadata(&data_dir).unwrap();
    for (file, mode) in [(crt, 0o644), (key, 0o600)] {
        std::os::unix::fs::chown(file, Some(owner.uid()), Some(owner.gid())).unwrap();
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    for statement in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", crt.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", key.display()),
        "ALTER SYSTEM SET ssl = on".to_string(),
        "SELECT pg_reload_conf()".to_string(),
    ] {
        admin.batch_execute(&statement).await.unwrap();
    }
    for _ in 0..100 {
        let on: String = admin.query_one("SHOW ssl", &[]).await.unwrap().get(0);
        if on == "on" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not turn TLS on");
}

fn target(server: &Database, host: &str, query: &str) -> String {
    format!(
        "postgresql://{}@{host}:{}/postgres?{query}",
        server.connection.user, server.connection.port
    )
}

/// Whether the session `info` opens is encrypted, or the error connecting.
async fn encrypted(info: &ConnectionInfo) -> Result<bool, String> {
    let client = info
        .connect()
        .await
        .map_err(|e| rehearse::server_text::of(&e))?;
    let row = client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn every_sslmode_does_what_libpq_does_against_a_real_tls_server() {
    let certs = tempfile::tempdir().unwrap();
    std::fs::set_permissions(certs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ca, crt, key) = certificates(certs.path(), "right", "localhost");
    let (other_ca, _, _) = certificates(certs.path(), "other", "localhost");
    let (_, wrong_name_crt, wrong_name_key) = certificates(certs.path(), "named", "db.elsewhere.example");

    let plain = common::local_server().await;
    let tls = common::local_server().await;
    serve_tls(&tls, &crt, &key).await;
    let ca = ca.display().to_string();
    let other_ca = other_ca.display().to_string();

    // require: encrypted; against a server without TLS, refused rather than plaintext.
    let require = url::parse(&target(&tls, "localhost", "sslmode=require")).unwrap();
    assert_eq!(encrypted(&require).await, Ok(true));
    let refused = url::parse(&target(&plain, "localhost", "sslmode=require")).unwrap();
    assert!(encrypted(&refused).await.is_err(), "sslmode=require went plaintext");
    // prefer (libpq's default) takes TLS when offered, plaintext when not.
    let prefer = url::parse(&target(&tls, "localhost", "application_name=x")).unwrap();
    assert_eq!(encrypted(&prefer).await, Ok(true));
    let prefer_plain = url::parse(&target(&plain, "localhost", "sslmode=prefer")).unwrap();
    assert_eq!(encrypted(&prefer_plain).await, Ok(false));
    let disable = url::parse(&target(&tls, "localhost", "sslmode=disable")).unwrap();
    assert_eq!(encrypted(&disable).await, Ok(false));

    // verify-full: the right CA and host pass; another CA, or another host name, do not.
    let full = url::parse(&target(&tls, "localhost", &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap();
    assert_eq!(encrypted(&full).await, Ok(true));
    let untrusted = url::parse(&target(&tls, "localhost", &format!("sslmode=verify-full&sslrootcert={other_ca}"))).unwrap();
    let why = encrypted(&untrusted).await.unwrap_err();
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    let by_address = url::parse(&target(&tls, "127.0.0.1", &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap();
    assert!(encrypted(&by_address).await.is_err(), "verify-full accepted a certificate for another name");
    // verify-ca: the chain, not the name.
    let ca_only = url::parse(&target(&tls, "127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"))).unwrap();
    assert_eq!(encrypted(&ca_only).await, Ok(true));
    let ca_untrusted = url::parse(&target(&tls, "127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={other_ca}"))).unwrap();
    assert!(encrypted(&ca_untrusted).await.is_err());

    // A server whose certificate names another host: verify-ca passes, verify-full refuses.
    let renamed = common::local_server().await;
    serve_tls(&renamed, &wrong_name_crt, &wrong_name_key).await;
    let named_ca = certs.path().join("named-ca.pem").display().to_string();
    let ca_only = url::parse(&target(&renamed, "localhost", &format!("sslmode=verify-ca&sslrootcert={named_ca}"))).unwrap();
    assert_eq!(encrypted(&ca_only).await, Ok(true));
    let full = url::parse(&target(&renamed, "localhost", &format!("sslmode=verify-full&sslrootcert={named_ca}"))).unwrap();
    assert!(encrypted(&full).await.is_err(), "verify-full accepted a certificate naming db.elsewhere.example for localhost");

    // A root file that does not exist is bad input, named before anything connects.
    let missing = url::parse(&target(&tls, "localhost", "sslmode=verify-ca&sslrootcert=/nonexistent/root.pem"))
        .err()
        .expect("a missing root file is refused")
        .to_string();
    assert!(missing.contains("/nonexistent/root.pem"), "{missing}");

    // The CLI connects through the same code: `snapshot` reads a server over verify-full, and
    // a server without TLS is unavailable (exit 3) to sslmode=require.
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("schema.json");
    let snapshot = |url: String| {
        Command::new(common::binary())
            .args(["snapshot", "--url", &url, "--out"])
            .arg(&file)
            .output()
            .expect("the rehearse binary runs")
    };
    let run = snapshot(target(&tls, "localhost", &format!("sslmode=verify-full&sslrootcert={ca}")));
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(file.is_file());
    let run = snapshot(target(&plain, "localhost", "sslmode=require"));
    assert_eq!(run.status.code(), Some(3), "{}", String::from_utf8_lossy(&run.stderr));
}
