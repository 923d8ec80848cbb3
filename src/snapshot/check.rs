//! The rollback check the rehearsal runs: capture the schema and data before the forward, then
//! compare what the rollback left against it.

use super::{data, diff, introspect, DataSignature, Snapshot};
use crate::report::{DataDifference, Difference};
use tokio_postgres::Client;

/// The state a rollback must restore: schema S0 and data signature D0.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub schema: Snapshot,
    pub data: DataSignature,
}

/// What the rollback left, compared with the checkpoint.
#[derive(Debug, Clone)]
pub struct Restoration {
    /// S2, the schema after the rollback.
    pub schema: Snapshot,
    pub differences: Vec<Difference>,
    pub data_differences: Vec<DataDifference>,
}

impl Restoration {
    pub fn schema_restored(&self) -> bool {
        self.differences.is_empty()
    }
    pub fn data_preserved(&self) -> bool {
        self.data_differences.is_empty()
    }
}

/// Takes S0 and D0.
pub async fn checkpoint(client: &Client) -> Result<Checkpoint, tokio_postgres::Error> {
    let schema = introspect::snapshot(client).await?;
    let data = data::signature(client, &schema).await?;
    Ok(Checkpoint { schema, data })
}

/// Takes S2 and D2 and compares them with the checkpoint: every table and column of S0 counts.
pub async fn restoration(
    client: &Client,
    checkpoint: &Checkpoint,
) -> Result<Restoration, tokio_postgres::Error> {
    let schema = introspect::snapshot(client).await?;
    let now = data::signature_like(client, &checkpoint.data, &schema).await?;
    Ok(Restoration {
        differences: diff(&checkpoint.schema, &schema),
        data_differences: data::compare(&checkpoint.data, &now),
        schema,
    })
}

/// One line naming a difference, for findings and the terminal.
pub fn describe(d: &Difference) -> String {
    format!("{} {}: {}", d.kind, d.object, d.detail)
}
