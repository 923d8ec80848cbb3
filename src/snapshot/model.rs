//! The schema model: what a database's schema *is*, independent of how it got there.
//!
//! Everything is keyed by name (schema-qualified, quoted as PostgreSQL quotes identifiers), never
//! by OID, and every collection is ordered (maps are `BTreeMap`, lists are sorted unless their
//! order is meaning, as for columns and enum labels), so two snapshots of the same schema are
//! equal values and serialize to the same JSON byte for byte.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The schema of one database.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format of this file; bumped when a field changes meaning.
    pub format: u32,
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    /// Tables, partitioned tables, foreign tables, views and materialized views.
    pub relations: BTreeMap<String, Relation>,
    /// Indexes, by schema-qualified index name.
    pub indexes: BTreeMap<String, Index>,
    pub sequences: BTreeMap<String, Sequence>,
    /// Functions, procedures and aggregates, keyed `schema.name(identity arguments)`.
    pub functions: BTreeMap<String, Function>,
    /// Enums, domains, composite and range types.
    pub types: BTreeMap<String, Type>,
    /// Extended statistics objects (`CREATE STATISTICS`), by name: their definition.
    #[serde(default)]
    pub statistics: BTreeMap<String, String>,
    /// `ALTER DEFAULT PRIVILEGES`, keyed `role in schema on kind`: the privileges, sorted.
    #[serde(default)]
    pub default_privileges: BTreeMap<String, Vec<String>>,
    /// Event triggers by name: event, tags, function and enabled state.
    #[serde(default)]
    pub event_triggers: BTreeMap<String, String>,
    /// Collations (`CREATE COLLATION`), by schema-qualified name: provider, locale, whether
    /// deterministic, owner, comment.
    #[serde(default)]
    pub collations: BTreeMap<String, String>,
    /// Publications by name: what they publish (tables with their row filters and column
    /// lists, schemas, all tables, operations), owner, comment.
    #[serde(default)]
    pub publications: BTreeMap<String, String>,
    /// User-defined casts, keyed `source AS target`: function (or method) and context.
    #[serde(default)]
    pub casts: BTreeMap<String, String>,
    /// Text search configurations and dictionaries, keyed `configuration schema.name` and
    /// `dictionary schema.name`: parser and token mappings, or template and options.
    #[serde(default)]
    pub text_search: BTreeMap<String, String>,
    /// Foreign-data wrappers, servers and user mappings, keyed `wrapper name`, `server name` and
    /// `user mapping for role on server`. A user mapping's options (passwords) are compared by
    /// their hash and never written out.
    #[serde(default)]
    pub foreign: BTreeMap<String, String>,
}

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schema {
    pub owner: String,
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Extension {
    pub version: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Relation {
    /// `table`, `partitioned table`, `foreign table`, `view`, `materialized view`.
    pub kind: String,
    /// `permanent` or `unlogged`.
    pub persistence: String,
    /// `pg_get_partkeydef`, for partitioned tables.
    pub partition_key: Option<String>,
    /// The parent and the bound, for partitions (`FOR VALUES ...`).
    pub partition_of: Option<String>,
    pub partition_bound: Option<String>,
    /// Inheritance parents (not partitioning), in `inhseqno` order.
    pub inherits: Vec<String>,
    /// Storage options (`fillfactor=70`, `security_barrier=true`), sorted.
    pub options: Vec<String>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// `d`efault, `n`othing, `f`ull or `i`ndex.
    pub replica_identity: String,
    pub owner: String,
    /// Privileges (`aclitem` text), the owner's implicit default made explicit, sorted.
    pub acl: Vec<String>,
    pub comment: Option<String>,
    /// `pg_get_viewdef`, for views and materialized views.
    pub definition: Option<String>,
    /// Live columns in physical order (dropped columns keep their slot in the catalog, not here).
    pub columns: Vec<Column>,
    pub constraints: BTreeMap<String, Constraint>,
    pub triggers: BTreeMap<String, Trigger>,
    pub policies: BTreeMap<String, Policy>,
    /// Rewrite rules other than a view's own `_RETURN`.
    pub rules: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type`, with modifiers: `character varying(20)`, `numeric(10,2)`.
    pub data_type: String,
    /// Only when it differs from the type's default collation.
    pub collation: Option<String>,
    pub not_null: bool,
    pub default: Option<String>,
    /// `always` or `by default`.
    pub identity: Option<String>,
    /// The expression of a `GENERATED ALWAYS AS (...) STORED` column.
    pub generated: Option<String>,
    /// `attstorage` when it differs from the type's default.
    pub storage: Option<String>,
    /// `attstattarget` when set.
    pub statistics: Option<i32>,
    /// `attoptions` (`n_distinct=...`), sorted.
    pub options: Vec<String>,
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Constraint {
    /// `primary key`, `unique`, `check`, `foreign key`, `exclusion`, `trigger`.
    pub kind: String,
    /// `pg_get_constraintdef`: columns, references, actions, `DEFERRABLE`, `NOT VALID`.
    pub definition: String,
    pub deferrable: bool,
    pub deferred: bool,
    pub validated: bool,
    /// Storage options of the index behind a primary key, unique or exclusion constraint
    /// (`pg_get_constraintdef` does not show them), sorted.
    #[serde(default)]
    pub index_options: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Index {
    /// The table or materialized view it indexes.
    pub table: String,
    /// `pg_get_indexdef`: method, columns, opclasses, `INCLUDE`, `WHERE`, storage options.
    pub definition: String,
    pub unique: bool,
    pub primary: bool,
    pub valid: bool,
    pub clustered: bool,
    pub predicate: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Trigger {
    /// `pg_get_triggerdef`.
    pub definition: String,
    /// `O` origin (enabled), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policy {
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sequence {
    /// `permanent` or `unlogged`.
    pub persistence: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `schema.table.column` of an `OWNED BY` or identity column.
    pub owned_by: Option<String>,
    pub owner: String,
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Function {
    /// `function`, `procedure`, `aggregate`, `window`.
    pub kind: String,
    /// `pg_get_functiondef`; for aggregates their support functions, state types, initial
    /// values and kind.
    pub definition: Option<String>,
    pub result: Option<String>,
    pub owner: String,
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Type {
    /// `enum`, `domain`, `composite`, `range`.
    pub kind: String,
    /// Enum labels in `enumsortorder` order.
    pub labels: Vec<String>,
    /// Domain: base type with modifiers; range: subtype.
    pub base: Option<String>,
    pub not_null: bool,
    pub default: Option<String>,
    pub collation: Option<String>,
    /// Domain constraints by name (`pg_get_constraintdef`).
    pub constraints: BTreeMap<String, String>,
    /// Composite attributes in order, `name type`.
    pub attributes: Vec<String>,
    pub owner: String,
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

/// A snapshot file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    #[error("{} cannot be read: {reason}", .path.display())]
    Unreadable {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("{} is not a rehearse snapshot: {reason}", .path.display())]
    Malformed {
        path: std::path::PathBuf,
        reason: String,
    },
}

impl Snapshot {
    /// Pretty JSON, stable byte for byte for equal snapshots.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the snapshot model always serializes")
    }

    pub fn from_json(text: &str) -> Result<Snapshot, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_json() + "\n")
    }

    pub fn load(path: &Path) -> Result<Snapshot, SnapshotFileError> {
        let text = crate::input::read_text(path).map_err(|e| SnapshotFileError::Unreadable {
            path: path.to_path_buf(),
            reason: e.reason,
        })?;
        Snapshot::from_json(&text).map_err(|e| SnapshotFileError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// How many objects the snapshot holds, for messages.
    pub fn object_count(&self) -> usize {
        self.schemas.len()
            + self.extensions.len()
            + self.relations.len()
            + self.indexes.len()
            + self.sequences.len()
            + self.functions.len()
            + self.types.len()
            + self.statistics.len()
            + self.default_privileges.len()
            + self.event_triggers.len()
    }
}
