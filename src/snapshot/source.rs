//! Where a snapshot comes from for `rehearse snapshot` and `rehearse diff`: a live server (a
//! `postgres://` URL) or a file written by `rehearse snapshot`.

use super::{introspect, Snapshot};
use crate::report::redact;
use crate::Error;
use std::path::Path;

/// True when `spec` names a server rather than a file.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// Snapshots the database at `url`. An unreachable server is an environment error (exit 3), a
/// malformed URL bad input (exit 2). The password never appears in a message.
pub async fn from_url(url: &str) -> Result<Snapshot, Error> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| {
        Error::Input(format!(
            "{} is not a valid PostgreSQL URL: {e}",
            redact(url)
        ))
    })?;
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| Error::Environment(format!("could not connect to {}: {e}", redact(url))))?;
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    let snapshot = introspect::snapshot(&client).await.map_err(|e| {
        let reason = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string());
        Error::Environment(format!(
            "could not read the catalogs of {}: {reason}",
            redact(url)
        ))
    });
    drop(client);
    let _ = task.await;
    snapshot
}

/// A URL or a snapshot file.
pub async fn load(spec: &str) -> Result<Snapshot, Error> {
    if is_url(spec) {
        from_url(spec).await
    } else {
        Snapshot::load(Path::new(spec)).map_err(|e| Error::Input(e.to_string()))
    }
}
