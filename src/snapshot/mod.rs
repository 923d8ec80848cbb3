//! Snapshot: the schema of a database as a deterministic, OID-free model ([`Snapshot`]), the
//! diff that names every difference between two of them, and data signatures that tell whether
//! the rows survived.
//!
//! - [`introspect`] reads the catalogs, one bulk query per object kind, never one per table.
//! - [`mod@diff`] is pure: two snapshots in, a list of named differences out.
//! - [`data`] hashes each column's values inside the server, one pass per table.
//! - [`scope`] and [`layout`] decide which tables a migration could have changed, so that the
//!   data check reads those and proves the others unchanged without reading them.
//!
//! What this module must never do:
//! - the schema snapshot never reads table rows (only the catalogs), and never writes anything;
//! - a data signature never pulls rows to the client: one row of aggregates comes back per table;
//! - the model never holds an OID, a timestamp or anything else that differs between two
//!   databases with the same schema, and never depends on the session's `search_path`;
//! - objects of the system schemas and objects that belong to an extension are never included.

mod catalog_sql;
pub mod check;
pub mod data;
pub mod diff;
mod diff_relations;
mod fix;
pub mod introspect;
pub mod layout;
pub mod model;
pub mod scope;
pub mod source;

pub use check::{
    checkpoint, checkpoint_scoped, restoration, restoration_scoped, written_tables, Checkpoint,
    Restoration,
};
pub use data::{DataSignature, TableSignature};
pub use diff::diff;
pub use introspect::{snapshot, snapshot_parallel, snapshot_within};

/// The schema as `client` sees it: inside its open transaction when `nested` (`--in-transaction`).
pub async fn snapshot_of(
    client: &tokio_postgres::Client,
    nested: bool,
) -> Result<Snapshot, tokio_postgres::Error> {
    if nested {
        snapshot_within(client).await
    } else {
        snapshot(client).await
    }
}
pub use model::Snapshot;
