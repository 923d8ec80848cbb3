//! Where a snapshot comes from for `rehearse snapshot` and `rehearse diff`: a live server (a
//! `postgres://` URL) or a file written by `rehearse snapshot`. The server is only read, through
//! catalog introspection; no password reaches a message.

use super::{introspect, Snapshot};
use crate::redact::redact;
use crate::Error;
use std::path::Path;

/// True when `spec` names a server rather than a file.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// Snapshots the database at `url`. An unreachable server is an environment error (exit 3), a
/// malformed URL bad input (exit 2). The password never appears in a message.
pub async fn from_url(url: &str) -> Result<Snapshot, Error> {
    let connection = crate::provision::url::parse(url).map_err(|e| Error::Input(e.to_string()))?;
    introspect::snapshot_parallel(&connection)
        .await
        .map_err(|e| match e.as_db_error() {
            Some(db) => Error::Environment(format!(
                "could not read the catalogs of {}: {}",
                redact(url),
                db.message()
            )),
            None => Error::Environment(format!("could not connect to {}: {e}", redact(url))),
        })
}

/// A URL or a snapshot file.
pub async fn load(spec: &str) -> Result<Snapshot, Error> {
    if is_url(spec) {
        from_url(spec).await
    } else {
        Snapshot::load(Path::new(spec)).map_err(|e| Error::Input(e.to_string()))
    }
}
