//! One script as the rules read it: each statement's parse tree with what the statements before
//! it in the same script did (tables created, timeouts set, the transaction it is in, the first
//! AccessExclusiveLock it holds), and, across the scripts of a folder, the column types earlier
//! migrations declared ([`Schema`]), so that a type change can be told from a cheap one.
//!
//! Pure: statements in, facts out. A statement is read alone, so a script the splitter read
//! gives the same trees whatever the file around it.

use crate::identifier;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Constraint, DropBehavior, Node,
    ObjectType, TransactionStmtKind, TypeName,
};
use pg_query::NodeEnum;
use std::collections::{BTreeMap, BTreeSet};

/// Column types declared by the migrations read so far, by `schema.table.column`: what a later
/// `ALTER COLUMN ... TYPE` changes from.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub columns: BTreeMap<String, ColumnType>,
}

/// A column's type as declared: the name's last part (`varchar`, `int4`) and its modifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    pub name: String,
    pub mods: Vec<i64>,
    pub array: bool,
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.name.as_str() {
            "bpchar" => "char",
            other => other,
        })?;
        if !self.mods.is_empty() {
            let mods: Vec<String> = self.mods.iter().map(i64::to_string).collect();
            write!(f, "({})", mods.join(","))?;
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// What the statements before one statement did, within its script.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Relations (tables, indexes) created earlier in the script: new and empty, so nobody
    /// waits on a lock of theirs.
    pub created: BTreeSet<String>,
    pub lock_timeout: bool,
    pub statement_timeout: bool,
    /// The line of the script's own `BEGIN` while it is open.
    pub explicit_transaction: Option<usize>,
    /// The first relation that existed before the script which the current transaction (the
    /// script's own, or the one the migration tool wraps the script in) holds in
    /// AccessExclusiveLock, with the line that took it.
    pub exclusive: Option<(String, usize)>,
    /// Enum values added in the current transaction: (type, value, line).
    pub enum_values: Vec<(String, String, usize)>,
    /// Tables with a CHECK validated earlier in the script (added without NOT VALID, or
    /// `VALIDATE CONSTRAINT`): a SET NOT NULL after it can use it instead of scanning.
    pub validated_check: BTreeSet<String>,
}

impl State {
    /// True when `relation` existed before this script: someone may be using it.
    pub fn exists(&self, relation: &str) -> bool {
        !self.created.contains(relation)
    }
}

/// One statement with its tree and the state before it.
#[derive(Debug, Clone)]
pub struct Stmt {
    pub line: usize,
    pub sql: String,
    /// None when the statement does not parse alone (the rehearsal reports that instead).
    pub node: Option<NodeEnum>,
    pub before: State,
    /// For each column this statement changes the type of: the type earlier migrations gave it.
    pub old_types: BTreeMap<String, ColumnType>,
}

/// One script, read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub stmts: Vec<Stmt>,
    /// The state after the last statement.
    pub end: State,
}

impl Parsed {
    /// Reads statements (text and the line each starts on), in order; `schema` is what the
    /// scripts before this one declared, and gains what this one declares.
    pub fn new<'a>(
        statements: impl IntoIterator<Item = (&'a str, usize)>,
        schema: &mut Schema,
    ) -> Parsed {
        let mut state = State::default();
        let mut stmts = Vec::new();
        for (sql, line) in statements {
            let node = pg_query::parse(sql, 0).ok().and_then(|p| {
                p.protobuf
                    .stmts
                    .into_iter()
                    .next()
                    .and_then(|s| s.stmt)
                    .and_then(|n| n.node)
            });
            let mut old_types = BTreeMap::new();
            if let Some(node) = &node {
                for (table, cmd) in alter_table_cmds(node) {
                    if AlterTableType::try_from(cmd.subtype)
                        == Ok(AlterTableType::AtAlterColumnType)
                    {
                        let key = format!("{table}.{}", identifier::display(&cmd.name));
                        if let Some(t) = schema.columns.get(&key) {
                            old_types.insert(key, t.clone());
                        }
                    }
                }
            }
            let before = state.clone();
            if let Some(node) = &node {
                advance(&mut state, node, line, schema);
            }
            stmts.push(Stmt {
                line,
                sql: sql.to_string(),
                node,
                before,
                old_types,
            });
        }
        Parsed { stmts, end: state }
    }

    /// Splits `sql` with the real parser and reads it: examples and tests.
    pub fn from_sql(sql: &str, schema: &mut Schema) -> Result<Parsed, String> {
        let statements =
            crate::migrations::split_statements(std::path::Path::new("example.sql"), sql, 1)
                .map_err(|e| e.to_string())?;
        Ok(Parsed::new(
            statements.iter().map(|s| (s.sql.as_str(), s.line)),
            schema,
        ))
    }

    /// Every statement with a tree.
    pub fn nodes(&self) -> impl Iterator<Item = (&Stmt, &NodeEnum)> {
        self.stmts
            .iter()
            .filter_map(|s| s.node.as_ref().map(|n| (s, n)))
    }
}

/// What one statement does to the state.
fn advance(state: &mut State, node: &NodeEnum, line: usize, schema: &mut Schema) {
    match node {
        NodeEnum::TransactionStmt(t) => match TransactionStmtKind::try_from(t.kind) {
            Ok(TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart)
                if state.explicit_transaction.is_none() =>
            {
                state.explicit_transaction = Some(line);
            }
            Ok(
                TransactionStmtKind::TransStmtCommit
                | TransactionStmtKind::TransStmtRollback
                | TransactionStmtKind::TransStmtCommitPrepared
                | TransactionStmtKind::TransStmtRollbackPrepared
                | TransactionStmtKind::TransStmtPrepare,
            ) => {
                state.explicit_transaction = None;
                state.exclusive = None;
                state.enum_values.clear();
            }
            _ => {}
        },
        NodeEnum::VariableSetStmt(v) => {
            let off = v
                .args
                .iter()
                .any(|a| const_text(a).is_some_and(|t| is_zero(&t)));
            if v.name.eq_ignore_ascii_case("lock_timeout") {
                state.lock_timeout = !off;
            } else if v.name.eq_ignore_ascii_case("statement_timeout") {
                state.statement_timeout = !off;
            }
        }
        NodeEnum::AlterEnumStmt(e) if e.old_val.is_empty() => {
            state
                .enum_values
                .push((names(&e.type_name).join("."), e.new_val.clone(), line));
        }
        _ => {}
    }
    for created in creates(node) {
        state.created.insert(created);
    }
    if state.exclusive.is_none() {
        if let Some(r) = exclusive_locks(node).into_iter().find(|r| state.exists(r)) {
            state.exclusive = Some((r, line));
        }
    }
    for (table, cmd) in alter_table_cmds(node) {
        match AlterTableType::try_from(cmd.subtype) {
            Ok(AlterTableType::AtValidateConstraint) => {
                state.validated_check.insert(table.clone());
            }
            Ok(AlterTableType::AtAddConstraint) => {
                if let Some(k) = constraint(cmd) {
                    if ConstrType::try_from(k.contype) == Ok(ConstrType::ConstrCheck)
                        && !k.skip_validation
                    {
                        state.validated_check.insert(table.clone());
                    }
                }
            }
            Ok(AlterTableType::AtAddColumn) => {
                if let Some(col) = column_def(cmd) {
                    if let Some(t) = &col.type_name {
                        schema.columns.insert(
                            format!("{table}.{}", identifier::display(&col.colname)),
                            column_type(t),
                        );
                    }
                }
            }
            Ok(AlterTableType::AtAlterColumnType) => {
                if let Some(t) = column_def(cmd).and_then(|c| c.type_name.as_ref()) {
                    schema.columns.insert(
                        format!("{table}.{}", identifier::display(&cmd.name)),
                        column_type(t),
                    );
                }
            }
            _ => {}
        }
    }
    if let NodeEnum::RenameStmt(r) = node {
        rename(schema, r);
    }
    if let NodeEnum::CreateStmt(c) = node {
        if let Some(rv) = &c.relation {
            let table = relation(rv);
            for col in column_defs(&c.table_elts) {
                if let Some(t) = &col.type_name {
                    schema.columns.insert(
                        format!("{table}.{}", identifier::display(&col.colname)),
                        column_type(t),
                    );
                }
            }
        }
    }
}

/// A renamed table or column keeps its declared types under the new name.
fn rename(schema: &mut Schema, r: &pg_query::protobuf::RenameStmt) {
    let Some(rv) = &r.relation else { return };
    let table = relation(rv);
    match ObjectType::try_from(r.rename_type) {
        Ok(ObjectType::ObjectTable) => {
            let schema_name = if rv.schemaname.is_empty() {
                "public"
            } else {
                &rv.schemaname
            };
            let renamed = identifier::display_qualified(schema_name, &r.newname);
            let prefix = format!("{table}.");
            let moved: Vec<String> = schema
                .columns
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            for key in moved {
                if let Some(t) = schema.columns.remove(&key) {
                    schema
                        .columns
                        .insert(format!("{renamed}.{}", &key[prefix.len()..]), t);
                }
            }
        }
        Ok(ObjectType::ObjectColumn) => {
            let old = format!("{table}.{}", identifier::display(&r.subname));
            if let Some(t) = schema.columns.remove(&old) {
                schema
                    .columns
                    .insert(format!("{table}.{}", identifier::display(&r.newname)), t);
            }
        }
        _ => {}
    }
}

/// `0`, `'0'`, `'0s'`: the setting switched off.
fn is_zero(text: &str) -> bool {
    text.trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse::<f64>()
        .is_ok_and(|n| n == 0.0)
}

/// The text of a constant (`'2s'`, `2000`).
pub fn const_text(node: &Node) -> Option<String> {
    use pg_query::protobuf::a_const::Val;
    match node.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            Val::Ival(i) => Some(i.ival.to_string()),
            Val::Sval(s) => Some(s.sval.clone()),
            Val::Fval(f) => Some(f.fval.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `schema.name` of a relation, `public` where the statement names none, spelled as the probe
/// and the snapshot spell it.
pub fn relation(rv: &pg_query::protobuf::RangeVar) -> String {
    crate::gate::sql::range_var(rv)
}

/// The string parts of a name list (`ARRAY['public', 'mood']`).
pub fn names(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// A type as declared: `varchar(20)` is `varchar` with modifier 20.
pub fn column_type(t: &TypeName) -> ColumnType {
    ColumnType {
        name: names(&t.names)
            .last()
            .cloned()
            .unwrap_or_default()
            .to_lowercase(),
        mods: t
            .typmods
            .iter()
            .filter_map(|m| const_text(m).and_then(|v| v.parse().ok()))
            .collect(),
        array: !t.array_bounds.is_empty(),
    }
}

/// The relations a statement creates: tables, materialized views, indexes.
pub fn creates(node: &NodeEnum) -> Vec<String> {
    match node {
        NodeEnum::CreateStmt(c) => c.relation.iter().map(relation).collect(),
        NodeEnum::CreateTableAsStmt(c) => c
            .into
            .as_ref()
            .and_then(|i| i.rel.as_ref())
            .map(relation)
            .into_iter()
            .collect(),
        NodeEnum::IndexStmt(i) if !i.idxname.is_empty() => {
            let schema = i
                .relation
                .as_ref()
                .map(|r| r.schemaname.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or("public");
            vec![identifier::display_qualified(schema, &i.idxname)]
        }
        _ => Vec::new(),
    }
}

/// Each `ALTER TABLE` command of a statement on a table, with the table.
pub fn alter_table_cmds(node: &NodeEnum) -> Vec<(String, &AlterTableCmd)> {
    let NodeEnum::AlterTableStmt(a) = node else {
        return Vec::new();
    };
    if ObjectType::try_from(a.objtype) != Ok(ObjectType::ObjectTable) {
        return Vec::new();
    }
    let Some(rv) = &a.relation else {
        return Vec::new();
    };
    let table = relation(rv);
    a.cmds
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::AlterTableCmd(cmd)) => Some((table.clone(), cmd.as_ref())),
            _ => None,
        })
        .collect()
}

/// The constraint an `ADD CONSTRAINT` adds.
pub fn constraint(cmd: &AlterTableCmd) -> Option<&Constraint> {
    match cmd.def.as_ref()?.node.as_ref()? {
        NodeEnum::Constraint(k) => Some(k),
        _ => None,
    }
}

/// The column an `ADD COLUMN` (or `ALTER COLUMN ... TYPE`) describes.
pub fn column_def(cmd: &AlterTableCmd) -> Option<&ColumnDef> {
    match cmd.def.as_ref()?.node.as_ref()? {
        NodeEnum::ColumnDef(c) => Some(c),
        _ => None,
    }
}

/// The column definitions of a `CREATE TABLE`'s elements.
pub fn column_defs(elements: &[Node]) -> impl Iterator<Item = &ColumnDef> {
    elements.iter().filter_map(|e| match e.node.as_ref() {
        Some(NodeEnum::ColumnDef(c)) => Some(c.as_ref()),
        _ => None,
    })
}

/// A column definition's constraints.
pub fn column_constraints(col: &ColumnDef) -> impl Iterator<Item = &Constraint> {
    col.constraints
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::Constraint(k)) => Some(k.as_ref()),
            _ => None,
        })
}

pub fn contype(k: &Constraint) -> Option<ConstrType> {
    ConstrType::try_from(k.contype).ok()
}

/// Every column a statement declares (CREATE TABLE, ADD COLUMN), with its table and whether the
/// table is new in the script.
pub fn declared_columns(node: &NodeEnum) -> Vec<(String, &ColumnDef)> {
    match node {
        NodeEnum::CreateStmt(c) => {
            let table = c.relation.as_ref().map(relation).unwrap_or_default();
            column_defs(&c.table_elts)
                .map(|d| (table.clone(), d))
                .collect()
        }
        _ => alter_table_cmds(node)
            .into_iter()
            .filter(|(_, c)| AlterTableType::try_from(c.subtype) == Ok(AlterTableType::AtAddColumn))
            .filter_map(|(t, c)| column_def(c).map(|d| (t, d)))
            .collect(),
    }
}

/// Every column a statement gives a type (CREATE TABLE, ADD COLUMN, ALTER COLUMN ... TYPE), as
/// its table, its name and the type.
pub fn typed_columns(node: &NodeEnum) -> Vec<(String, String, ColumnType)> {
    let mut columns: Vec<(String, String, ColumnType)> = declared_columns(node)
        .into_iter()
        .filter_map(|(t, c)| {
            c.type_name
                .as_ref()
                .map(|ty| (t, c.colname.clone(), column_type(ty)))
        })
        .collect();
    // ALTER COLUMN ... TYPE names its column in the command (ADD COLUMN in its definition).
    for (table, cmd) in alter_table_cmds(node) {
        if let Some(ty) = column_def(cmd).and_then(|c| c.type_name.as_ref()) {
            if !cmd.name.is_empty() {
                columns.push((table, cmd.name.clone(), column_type(ty)));
            }
        }
    }
    columns
}

/// A hit for every column of the script typed `type_name` (as the catalog names it: `bpchar`,
/// `timestamp`), said as `message("schema.table.column")`: the rules against a column type.
pub fn columns_of_type(
    p: &Parsed,
    type_name: &str,
    message: impl Fn(&str) -> String,
) -> Vec<super::Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, column, t) in typed_columns(node) {
            if t.name == type_name {
                let column = format!("{table}.{}", identifier::display(&column));
                out.push(super::Hit::new(s.line, Some(table), message(&column)));
            }
        }
    }
    out
}

/// Every RENAME of `kind` (a column, a table) on a table that existed before its statement,
/// with the statement and the table: the renames the running application still uses.
pub fn renames_of_existing(
    p: &Parsed,
    kind: ObjectType,
) -> Vec<(&Stmt, String, &pg_query::protobuf::RenameStmt)> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::RenameStmt(r) = node else {
            continue;
        };
        if ObjectType::try_from(r.rename_type) != Ok(kind) {
            continue;
        }
        let Some(table) = r.relation.as_ref().map(relation) else {
            continue;
        };
        if s.before.exists(&table) {
            out.push((s, table, r.as_ref()));
        }
    }
    out
}

/// The relations that existed before and that a statement locks ACCESS EXCLUSIVE: every reader
/// and writer of them waits until the transaction ends.
pub fn exclusive_locks(node: &NodeEnum) -> Vec<String> {
    match node {
        NodeEnum::AlterTableStmt(_) => {
            let cmds = alter_table_cmds(node);
            let weaker = |c: &AlterTableCmd| {
                use AlterTableType as T;
                match AlterTableType::try_from(c.subtype) {
                    Ok(
                        T::AtValidateConstraint
                        | T::AtSetStatistics
                        | T::AtClusterOn
                        | T::AtDropCluster
                        | T::AtAttachPartition
                        | T::AtEnableTrig
                        | T::AtEnableAlwaysTrig
                        | T::AtEnableReplicaTrig
                        | T::AtDisableTrig
                        | T::AtEnableTrigAll
                        | T::AtDisableTrigAll
                        | T::AtEnableTrigUser
                        | T::AtDisableTrigUser
                        | T::AtChangeOwner,
                    ) => true,
                    Ok(T::AtAddConstraint) => constraint(c)
                        .is_some_and(|k| contype(k) == Some(ConstrType::ConstrForeign)),
                    Ok(T::AtDetachPartition) => c
                        .def
                        .as_ref()
                        .and_then(|d| d.node.as_ref())
                        .is_some_and(|d| matches!(d, NodeEnum::PartitionCmd(p) if p.concurrent)),
                    _ => false,
                }
            };
            match cmds.first() {
                Some((table, _)) if cmds.iter().any(|(_, c)| !weaker(c)) => vec![table.clone()],
                _ => Vec::new(),
            }
        }
        NodeEnum::DropStmt(d) if !d.concurrent => match ObjectType::try_from(d.remove_type) {
            Ok(
                ObjectType::ObjectTable
                | ObjectType::ObjectIndex
                | ObjectType::ObjectMatview
                | ObjectType::ObjectView,
            ) => d.objects.iter().map(qualified_object).collect(),
            _ => Vec::new(),
        },
        NodeEnum::TruncateStmt(t) => range_vars(&t.relations),
        NodeEnum::RenameStmt(r) => r.relation.iter().map(relation).collect(),
        NodeEnum::LockStmt(l) if l.mode == 8 => range_vars(&l.relations),
        NodeEnum::RefreshMatViewStmt(r) if !r.concurrent => {
            r.relation.iter().map(relation).collect()
        }
        NodeEnum::ClusterStmt(c) => c.relation.iter().map(relation).collect(),
        NodeEnum::VacuumStmt(v)
            if v.is_vacuumcmd
                && v.options.iter().any(|o| {
                    matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "full")
                }) =>
        {
            v.rels
                .iter()
                .filter_map(|r| match r.node.as_ref() {
                    Some(NodeEnum::VacuumRelation(vr)) => vr.relation.as_ref().map(relation),
                    _ => None,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The relations that existed before that a statement locks in a mode that queues behind
/// readers or writers: the ACCESS EXCLUSIVE ones, and a non-concurrent CREATE INDEX's SHARE
/// lock or a foreign key's SHARE ROW EXCLUSIVE.
pub fn locked_relations(node: &NodeEnum) -> Vec<String> {
    let mut out = exclusive_locks(node);
    match node {
        NodeEnum::IndexStmt(i) if !i.concurrent => out.extend(i.relation.iter().map(relation)),
        // A new table's foreign keys lock the tables they reference (SHARE ROW EXCLUSIVE).
        NodeEnum::CreateStmt(c) => {
            let table_keys = c.table_elts.iter().filter_map(|e| match e.node.as_ref() {
                Some(NodeEnum::Constraint(k)) => Some(k.as_ref()),
                _ => None,
            });
            let column_keys = column_defs(&c.table_elts).flat_map(column_constraints);
            for k in table_keys.chain(column_keys) {
                if contype(k) == Some(ConstrType::ConstrForeign) {
                    out.extend(k.pktable.as_ref().map(relation));
                }
            }
        }
        NodeEnum::AlterTableStmt(_) => {
            for (table, _) in alter_table_cmds(node) {
                if !out.contains(&table) {
                    out.push(table);
                }
            }
        }
        _ => {}
    }
    out
}

fn range_vars(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|r| match r.node.as_ref() {
            Some(NodeEnum::RangeVar(rv)) => Some(relation(rv)),
            _ => None,
        })
        .collect()
}

/// A DROP's object as a qualified relation name (`public.users`).
pub fn qualified_object(node: &Node) -> String {
    let parts = match node.node.as_ref() {
        Some(NodeEnum::List(l)) => names(&l.items),
        Some(NodeEnum::String(s)) => vec![s.sval.clone()],
        _ => Vec::new(),
    };
    match parts.as_slice() {
        [name] => identifier::display_qualified("public", name),
        [schema, name] => identifier::display_qualified(schema, name),
        _ => parts
            .iter()
            .map(|p| identifier::display(p))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// A DROP's object as written, each part displayed (`legacy`, `app.mood`).
pub fn object_text(node: &Node) -> String {
    let parts = match node.node.as_ref() {
        Some(NodeEnum::List(l)) => names(&l.items),
        Some(NodeEnum::String(s)) => vec![s.sval.clone()],
        _ => Vec::new(),
    };
    parts
        .iter()
        .map(|p| identifier::display(p))
        .collect::<Vec<_>>()
        .join(".")
}

pub fn cascades(behavior: i32) -> bool {
    DropBehavior::try_from(behavior) == Ok(DropBehavior::DropCascade)
}

/// Every function a subtree calls, by its last name part, lowercased; found through the tree's
/// JSON form so that no expression shape is missed.
pub fn functions_called(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(node) {
        collect_functions(&value, &mut out);
    }
    out
}

fn collect_functions(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(f) = map.get("FuncCall") {
                if let Some(serde_json::Value::Array(parts)) = f.get("funcname") {
                    if let Some(last) = parts.iter().rev().find_map(|p| {
                        p.pointer("/node/String/sval")
                            .or_else(|| p.pointer("/String/sval"))
                            .and_then(|s| s.as_str())
                    }) {
                        out.push(last.to_lowercase());
                    }
                }
            }
            for value in map.values() {
                collect_functions(value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_functions(item, out);
            }
        }
        _ => {}
    }
}

/// Every string constant of a statement.
pub fn string_constants(node: &NodeEnum) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(node) {
        collect_strings(&value, &mut out);
    }
    out
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(s) = v.pointer("/AConst/val/Sval/sval").and_then(|s| s.as_str()) {
                out.push(s.to_string());
            }
            for value in map.values() {
                collect_strings(value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_strings(item, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_script() {
        let p = Parsed::from_sql(
            "SET lock_timeout = '2s';\nCREATE TABLE t (id int);\nBEGIN;\nALTER TABLE users ADD COLUMN n int;\nCOMMIT;\nSELECT 1;",
            &mut Schema::default(),
        )
        .unwrap();
        assert!(!p.stmts[0].before.lock_timeout && p.stmts[1].before.lock_timeout);
        assert!(p.stmts[2].before.created.contains("public.t"));
        assert_eq!(p.stmts[3].before.explicit_transaction, Some(3));
        assert_eq!(
            p.stmts[4].before.exclusive,
            Some(("public.users".to_string(), 4))
        );
        assert_eq!(p.stmts[5].before.exclusive, None);
        assert_eq!(p.stmts[5].before.explicit_transaction, None);
    }

    #[test]
    fn a_new_tables_foreign_keys_lock_the_tables_they_reference() {
        let p = Parsed::from_sql(
            "CREATE TABLE posts (id bigint, author_id bigint REFERENCES users (id), CONSTRAINT c FOREIGN KEY (id) REFERENCES app.things (id))",
            &mut Schema::default(),
        )
        .unwrap();
        assert_eq!(
            locked_relations(p.stmts[0].node.as_ref().unwrap()),
            ["app.things", "public.users"]
        );
    }

    #[test]
    fn functions_and_strings_are_found_anywhere_in_the_tree() {
        let p = Parsed::from_sql(
            "ALTER TABLE t ADD COLUMN u uuid DEFAULT coalesce(gen_random_uuid(), 'x')",
            &mut Schema::default(),
        )
        .unwrap();
        let node = p.stmts[0].node.clone().unwrap();
        let wrapped = Node {
            node: Some(node.clone()),
        };
        let f = functions_called(&wrapped);
        assert!(f.contains(&"gen_random_uuid".to_string()), "{f:?}");
        assert!(f.contains(&"coalesce".to_string()) || !f.is_empty());
        assert_eq!(string_constants(&node), ["x"]);
    }

    #[test]
    fn the_schema_remembers_declared_types_across_scripts() {
        let mut schema = Schema::default();
        Parsed::from_sql("CREATE TABLE t (name varchar(20))", &mut schema).unwrap();
        let p = Parsed::from_sql("ALTER TABLE t ALTER COLUMN name TYPE text", &mut schema).unwrap();
        assert_eq!(
            p.stmts[0]
                .old_types
                .get("public.t.name")
                .map(|t| t.to_string()),
            Some("varchar(20)".to_string())
        );
        assert_eq!(schema.columns["public.t.name"].name, "text");
        Parsed::from_sql(
            "ALTER TABLE t RENAME TO people; ALTER TABLE people RENAME COLUMN name TO full_name",
            &mut schema,
        )
        .unwrap();
        assert_eq!(schema.columns["public.people.full_name"].name, "text");
        assert!(!schema.columns.contains_key("public.t.name"));
    }
}
