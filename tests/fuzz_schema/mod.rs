//! A generator of PostgreSQL schemas for the seeding fuzzer (`tests/schema_fuzz.rs`): tables
//! with random mixes of the constructs real projects use (expression and partial unique indexes,
//! domains, ranges and multiranges, exclusion constraints, generated and identity columns,
//! multi-column and regex CHECKs, self-referencing NOT NULL keys, composite keys, arrays,
//! citext/hstore/ltree, reserved-word names, triggers, row level security, polymorphic CHECKs,
//! enums), linked by foreign keys, written as a Flyway migrations folder.
//!
//! Everything is a pure function of the seed (its own PRNG, so that a seed names the same
//! schema whatever version of `rand` the lock file holds). The generator knows which tables its
//! constraints leave without any possible row (a `CHECK (false)`, a contradiction, a trigger
//! that refuses every row, a required reference to such a table): every other table must get
//! rows from the seeder.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// SplitMix64: tiny, seedable, and the same on every platform and crate version.
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(seed ^ 0x5EED_F022_0000_0000)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// The constructs a table may mix; each name is what the fuzzer's figures and failures say.
pub const CONSTRUCTS: &[&str] = &[
    "expr_unique",
    "partial_unique",
    "domain_regex",
    "domain_range",
    "range",
    "multirange",
    "exclusion",
    "generated",
    "multi_check",
    "self_fk_not_null",
    "array",
    "citext",
    "hstore",
    "ltree",
    "reserved_columns",
    "trigger_raise",
    "trigger_write",
    "rls",
    "regex_check",
    "polymorphic_check",
    "enum",
    "enum_unique",
];

/// What makes a table hold no row at all, however the rows are made.
pub const IMPOSSIBLE: &[&str] = &["check_false", "contradiction", "trigger_refuses_all"];

/// The share of schemas that may use the constructs which today stop the whole seed point
/// (NOT NULL range, multirange and ltree columns, exclusion constraints on a NOT NULL range, a
/// contradictory CHECK): in the others those columns are nullable and those constructs absent,
/// so that one such column does not hide what the seeder does with everything else.
pub const HARD_SHARE: f64 = 0.25;

/// One generated table, as the fuzzer checks it.
#[derive(Debug, Clone)]
pub struct Table {
    /// As the catalog spells it (unquoted): `order`, `t3_items`.
    pub name: String,
    /// The migration that creates it: 1 or 2.
    pub migration: u32,
    /// Constructs it uses, its key style and foreign keys included.
    pub constructs: Vec<String>,
    /// Why no row can exist in it, when none can.
    pub impossible: Option<String>,
    /// Other tables it references by a NOT NULL foreign key: without their rows it has none.
    pub required_parents: Vec<String>,
}

impl Table {
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.name.replace('"', "\"\""))
    }
}

/// One generated schema: a Flyway folder of three migrations, and what it holds.
#[derive(Debug, Clone)]
pub struct Schema {
    pub seed: u64,
    /// Rows asked of every table (`[dataset] default_rows`).
    pub rows: u64,
    pub tables: Vec<Table>,
    /// `(file name, SQL)` in order.
    pub files: Vec<(String, String)>,
}

impl Schema {
    /// Writes `rehearse.toml` and `migrations/` into `dir`.
    pub fn write(&self, dir: &Path) {
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        for (name, sql) in &self.files {
            std::fs::write(migrations.join(name), sql).unwrap();
        }
        std::fs::write(
            dir.join("rehearse.toml"),
            format!(
                "name = \"fuzz-{}\"\n\n[migrations]\npath = \"migrations\"\n\n[dataset]\nseed = {}\ndefault_rows = {}\n\n[workload]\nenabled = false\n",
                self.seed, self.seed, self.rows
            ),
        )
        .unwrap();
    }

    /// Every file, headed by its name: what a failure prints so that it can be reproduced.
    pub fn sql(&self) -> String {
        let mut out = String::new();
        for (name, sql) in &self.files {
            let _ = writeln!(out, "-- {name}\n{sql}");
        }
        out
    }
}

/// A key other tables can reference.
#[derive(Debug, Clone)]
struct Key {
    /// `(column, type)`.
    columns: Vec<(String, String)>,
}

/// A table on its way to SQL.
struct Builder {
    name: String,
    quoted: String,
    /// Short, unquoted prefix for the objects that go with it (types, domains, functions).
    tag: String,
    columns: Vec<String>,
    constraints: Vec<String>,
    /// Statements before the CREATE TABLE (types, domains, functions).
    before: Vec<String>,
    /// Statements after it (indexes, triggers, policies).
    after: Vec<String>,
    /// What a rollback drops, besides the table (types, domains, functions), in order.
    drops: Vec<String>,
    constructs: Vec<String>,
    impossible: Option<String>,
    key: Key,
    /// Extensions it needs.
    extensions: BTreeSet<&'static str>,
    /// A plain column V2 may index.
    indexable: String,
    /// An extra table it writes to from a trigger.
    audit: Option<(String, String)>,
    /// Tables it references by a NOT NULL foreign key (itself excepted).
    required_parents: Vec<String>,
    /// This schema may use the constructs that stop a seed point today (NOT NULL columns of
    /// types the seeder cannot write, a contradictory CHECK): see [`HARD_SHARE`].
    hard: bool,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Range columns; the first and last are NOT NULL.
const RANGES: [(&str, &str); 4] = [
    (
        "valid_during",
        "daterange NOT NULL CHECK (NOT isempty(valid_during))",
    ),
    ("price_band", "int4range"),
    ("weight_kg", "numrange CHECK (lower(weight_kg) >= 0)"),
    ("active", "tstzrange NOT NULL"),
];

const NAMES: &[&str] = &[
    "accounts",
    "rooms",
    "bookings",
    "invoices",
    "events",
    "items",
    "people",
    "tags",
    "shipments",
    "payments",
    "devices",
    "projects",
];
const RESERVED: &[&str] = &["order", "user", "group", "table", "select", "check"];

impl Builder {
    fn new(rng: &mut Prng, index: usize, taken: &mut BTreeSet<String>) -> Builder {
        let name = loop {
            let reserved = rng.chance(0.2);
            let candidate = if reserved {
                rng.pick(RESERVED).to_string()
            } else {
                format!("t{index}_{}", rng.pick(NAMES))
            };
            if taken.insert(candidate.clone()) {
                break candidate;
            }
        };
        let mut b = Builder {
            quoted: quote(&name),
            tag: format!("t{index}"),
            name: name.clone(),
            columns: Vec::new(),
            constraints: Vec::new(),
            before: Vec::new(),
            after: Vec::new(),
            drops: Vec::new(),
            constructs: Vec::new(),
            impossible: None,
            key: Key {
                columns: Vec::new(),
            },
            extensions: BTreeSet::new(),
            indexable: String::new(),
            audit: None,
            required_parents: Vec::new(),
            hard: false,
        };
        if RESERVED.contains(&name.as_str()) {
            b.constructs.push("reserved_table".into());
        }
        b.key(rng);
        b
    }

    /// The primary key, in one of the styles real schemas use.
    fn key(&mut self, rng: &mut Prng) {
        let style = rng.range(0, 5);
        let (construct, columns, key): (&str, Vec<String>, Vec<(&str, &str)>) = match style {
            0 => (
                "identity_always",
                vec!["id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY".into()],
                vec![("id", "bigint")],
            ),
            1 => (
                "identity_by_default",
                vec!["id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY".into()],
                vec![("id", "int")],
            ),
            2 => (
                "serial_key",
                vec!["id bigserial PRIMARY KEY".into()],
                vec![("id", "bigint")],
            ),
            3 => (
                "uuid_key",
                vec!["id uuid PRIMARY KEY DEFAULT gen_random_uuid()".into()],
                vec![("id", "uuid")],
            ),
            4 => (
                "composite_key",
                vec![
                    "region text NOT NULL".into(),
                    "code int NOT NULL".into(),
                    "PRIMARY KEY (region, code)".into(),
                ],
                vec![("region", "text"), ("code", "int")],
            ),
            _ => (
                "regex_text_key",
                vec!["code text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}[0-9]{2}$')".into()],
                vec![("code", "text")],
            ),
        };
        self.constructs.push(construct.into());
        for c in columns {
            if c.starts_with("PRIMARY KEY") {
                self.constraints.push(c);
            } else {
                self.columns.push(c);
            }
        }
        self.key.columns = key
            .into_iter()
            .map(|(c, t)| (c.to_string(), t.to_string()))
            .collect();
        self.indexable = self.key.columns[0].0.clone();
    }

    /// A reference to `parent` (an earlier table), NOT NULL or not.
    fn reference(&mut self, rng: &mut Prng, parent: &Builder, impossible_parent: bool) {
        let not_null = rng.chance(0.6);
        // Named for the table, as a reference usually is: `order_id`, `t1_account_id`.
        let prefix = parent.name.strip_suffix('s').unwrap_or(&parent.name);
        let mut cols = Vec::new();
        for (c, ty) in &parent.key.columns {
            let name = format!("{prefix}_{c}");
            self.columns.push(format!(
                "{} {ty}{}",
                quote(&name),
                if not_null { " NOT NULL" } else { "" }
            ));
            cols.push(quote(&name));
        }
        let parent_cols: Vec<String> = parent.key.columns.iter().map(|(c, _)| quote(c)).collect();
        let on_delete = if rng.chance(0.3) {
            " ON DELETE CASCADE"
        } else {
            ""
        };
        self.constraints.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}){on_delete}",
            cols.join(", "),
            parent.quoted,
            parent_cols.join(", ")
        ));
        self.constructs.push(if parent.key.columns.len() > 1 {
            format!("fk_composite{}", if not_null { "_not_null" } else { "" })
        } else {
            format!("fk{}", if not_null { "_not_null" } else { "" })
        });
        if not_null {
            self.required_parents.push(parent.name.clone());
        }
        if not_null && impossible_parent && self.impossible.is_none() {
            self.impossible = Some(format!(
                "its NOT NULL foreign key references {}, which can hold no row",
                parent.name
            ));
        }
    }

    fn add(&mut self, rng: &mut Prng, construct: &str) {
        let t = self.tag.clone();
        let q = self.quoted.clone();
        match construct {
            "expr_unique" => {
                self.columns.push("email text NOT NULL".into());
                self.after.push(format!(
                    "CREATE UNIQUE INDEX {t}_email_lower ON {q} (lower(email));"
                ));
            }
            "partial_unique" => {
                self.columns.push("slug text NOT NULL".into());
                self.columns.push("deleted_at timestamptz".into());
                let key = if rng.chance(0.5) {
                    "lower(slug)"
                } else {
                    "slug"
                };
                self.after.push(format!(
                    "CREATE UNIQUE INDEX {t}_slug_live ON {q} (({key})) WHERE deleted_at IS NULL;"
                ));
            }
            "domain_regex" => {
                let (re, col) = *rng.pick(&[
                    ("^[A-Z]{3}-[0-9]{4}$", "ref_code"),
                    ("^[a-z0-9_]{3,16}$", "handle"),
                    ("^#[0-9a-f]{6}$", "colour"),
                ]);
                let not_null = if rng.chance(0.5) { " NOT NULL" } else { "" };
                self.before.push(format!(
                    "CREATE DOMAIN {t}_{col}_d AS text CHECK (VALUE ~ '{re}');"
                ));
                self.drops.push(format!("DROP DOMAIN {t}_{col}_d;"));
                self.columns.push(format!("{col} {t}_{col}_d{not_null}"));
            }
            "domain_range" => {
                let (ty, check, col) = *rng.pick(&[
                    ("numeric(5,2)", "VALUE >= 0 AND VALUE <= 100", "discount"),
                    ("int", "VALUE BETWEEN 1 AND 5", "rating"),
                    ("bigint", "VALUE > 0", "quantity"),
                    ("smallint", "VALUE >= 18 AND VALUE < 130", "age_years"),
                ]);
                self.before.push(format!(
                    "CREATE DOMAIN {t}_{col}_d AS {ty} NOT NULL CHECK ({check});"
                ));
                self.drops.push(format!("DROP DOMAIN {t}_{col}_d;"));
                self.columns.push(format!("{col} {t}_{col}_d"));
                self.variant(ty.starts_with("numeric"), "domain_numeric_typmod");
            }
            "range" => {
                let (col, def) = *rng.pick(if self.hard {
                    &RANGES[..]
                } else {
                    &RANGES[1..3]
                });
                self.variant(def.contains("NOT NULL"), "range_not_null");
                self.columns.push(format!("{col} {def}"));
            }
            "multirange" => {
                let def = *rng.pick(if self.hard {
                    &[
                        "open_hours int4multirange",
                        "blackout datemultirange NOT NULL",
                    ][..]
                } else {
                    &["open_hours int4multirange", "blackout datemultirange"][..]
                });
                self.variant(def.contains("NOT NULL"), "multirange_not_null");
                self.columns.push(def.into());
            }
            "exclusion" => {
                self.extensions.insert("btree_gist");
                self.columns.push("room int NOT NULL".into());
                self.columns.push("during tstzrange NOT NULL".into());
                self.constraints
                    .push("EXCLUDE USING gist (room WITH =, during WITH &&)".into());
            }
            "generated" => {
                self.columns.push("net numeric(10,2) NOT NULL".into());
                self.columns.push("tax numeric(10,2) NOT NULL".into());
                self.columns
                    .push("gross numeric(10,2) GENERATED ALWAYS AS (net + tax) STORED".into());
                if rng.chance(0.5) {
                    self.constraints.push("CHECK (tax <= net)".into());
                    self.constructs.push("check_tax_le_net".into());
                }
                self.constraints.push("CHECK (tax >= 0)".into());
            }
            "multi_check" => match rng.range(0, 2) {
                0 => {
                    self.constructs.push("multi_check_dates".into());
                    self.columns.push("starts_on date NOT NULL".into());
                    self.columns.push("ends_on date NOT NULL".into());
                    self.constraints.push("CHECK (ends_on >= starts_on)".into());
                }
                1 => {
                    self.constructs.push("multi_check_with_constants".into());
                    self.columns.push("lo int NOT NULL".into());
                    self.columns.push("hi int NOT NULL".into());
                    self.constraints
                        .push("CHECK (lo < hi AND hi <= 1000 AND lo >= 0)".into());
                }
                _ => {
                    self.constructs.push("multi_check_nullable".into());
                    self.columns.push("min_qty int".into());
                    self.columns.push("max_qty int".into());
                    self.constraints.push("CHECK (min_qty <= max_qty)".into());
                }
            },
            "self_fk_not_null" => {
                let cols: Vec<(String, String)> = self.key.columns.clone();
                let mine: Vec<String> = cols.iter().map(|(c, _)| format!("parent_{c}")).collect();
                for ((_, ty), m) in cols.iter().zip(&mine) {
                    self.columns.push(format!("{m} {ty} NOT NULL"));
                }
                let theirs: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
                self.constraints.push(format!(
                    "FOREIGN KEY ({}) REFERENCES {q} ({})",
                    mine.join(", "),
                    theirs.join(", ")
                ));
            }
            "array" => {
                let def = *rng.pick(&[
                    "tags text[] NOT NULL DEFAULT '{}'",
                    "scores int[] CHECK (cardinality(scores) <= 10)",
                    "labels varchar(20)[]",
                ]);
                self.columns.push(def.into());
            }
            "citext" => {
                self.extensions.insert("citext");
                self.columns.push("login citext NOT NULL UNIQUE".into());
            }
            "hstore" => {
                self.extensions.insert("hstore");
                self.columns.push("attrs hstore".into());
            }
            "ltree" => {
                self.extensions.insert("ltree");
                let not_null = self.hard && rng.chance(0.5);
                self.variant(not_null, "ltree_not_null");
                self.columns.push(format!(
                    "path ltree{}",
                    if not_null { " NOT NULL" } else { "" }
                ));
                self.after.push(format!(
                    "CREATE INDEX {t}_path_gist ON {q} USING gist (path);"
                ));
            }
            "reserved_columns" => {
                self.columns.push("\"select\" int".into());
                self.columns.push("\"from\" date NOT NULL".into());
                self.columns.push("\"user\" text".into());
            }
            "trigger_raise" => {
                self.columns.push("amount int NOT NULL".into());
                self.before.push(format!(
                    "CREATE FUNCTION {t}_guard() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF NEW.amount % 3 = 0 THEN\n    RAISE EXCEPTION 'amount % is refused', NEW.amount;\n  END IF;\n  RETURN NEW;\nEND $$;"
                ));
                self.after.push(format!(
                    "CREATE TRIGGER {t}_guard BEFORE INSERT ON {q} FOR EACH ROW EXECUTE FUNCTION {t}_guard();"
                ));
                self.drops.push(format!("DROP FUNCTION {t}_guard();"));
            }
            "trigger_write" => {
                let audit = format!("{}_audit", self.tag);
                self.before.push(format!(
                    "CREATE TABLE {audit} (id bigserial PRIMARY KEY, row_data text NOT NULL, at timestamptz NOT NULL DEFAULT now());"
                ));
                self.before.push(format!(
                    "CREATE FUNCTION {t}_audit() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO {audit} (row_data) VALUES (row_to_json(NEW)::text);\n  RETURN NEW;\nEND $$;"
                ));
                self.after.push(format!(
                    "CREATE TRIGGER {t}_audit AFTER INSERT ON {q} FOR EACH ROW EXECUTE FUNCTION {t}_audit();"
                ));
                self.drops.push(format!("DROP FUNCTION {t}_audit();"));
                self.drops.push(format!("DROP TABLE {audit};"));
                self.audit = Some((audit, "trigger_write_target".into()));
            }
            "rls" => {
                self.columns.push("tenant_id int NOT NULL".into());
                self.after
                    .push(format!("ALTER TABLE {q} ENABLE ROW LEVEL SECURITY;"));
                if rng.chance(0.5) {
                    self.after
                        .push(format!("ALTER TABLE {q} FORCE ROW LEVEL SECURITY;"));
                }
                self.after.push(format!(
                    "CREATE POLICY {t}_tenant ON {q} USING (tenant_id = current_setting('app.tenant_id', true)::int);"
                ));
            }
            "regex_check" => {
                let (variant, def) = *rng.pick(&[
                    (
                        "regex_phone",
                        "phone text CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$')",
                    ),
                    (
                        "regex_sku_not_null",
                        "sku text NOT NULL CHECK (sku ~ '^[A-Z]{2}[0-9]{6}$')",
                    ),
                    (
                        "regex_zip",
                        "zip text CHECK (zip ~ '^[0-9]{5}(-[0-9]{4})?$')",
                    ),
                ]);
                self.constructs.push(variant.into());
                self.columns.push(def.into());
            }
            "polymorphic_check" => {
                self.columns.push("subject_kind text NOT NULL".into());
                self.columns.push("subject_num int".into());
                self.columns.push("subject_text text".into());
                self.constraints.push(
                    "CHECK ((subject_kind = 'a' AND subject_num IS NOT NULL AND subject_text IS NULL) OR (subject_kind = 'b' AND subject_num IS NULL AND subject_text IS NOT NULL))"
                        .into(),
                );
            }
            "enum" | "enum_unique" => {
                self.before.push(format!(
                    "CREATE TYPE {t}_status AS ENUM ('draft', 'open', 'closed');"
                ));
                self.drops.push(format!("DROP TYPE {t}_status;"));
                self.columns
                    .push(format!("status {t}_status NOT NULL DEFAULT 'draft'"));
                if construct == "enum_unique" {
                    self.constraints.push("UNIQUE (status)".into());
                }
            }
            "check_false" => {
                self.constraints.push("CHECK (false)".into());
                self.impossible = Some("CHECK (false)".into());
            }
            "contradiction" => {
                self.columns
                    .push("level int NOT NULL CHECK (level > 10 AND level < 5)".into());
                self.impossible = Some("CHECK (level > 10 AND level < 5)".into());
            }
            "trigger_refuses_all" => {
                self.before.push(format!(
                    "CREATE FUNCTION {t}_closed() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RAISE EXCEPTION 'this table is closed';\nEND $$;"
                ));
                self.after.push(format!(
                    "CREATE TRIGGER {t}_closed BEFORE INSERT ON {q} FOR EACH ROW EXECUTE FUNCTION {t}_closed();"
                ));
                self.drops.push(format!("DROP FUNCTION {t}_closed();"));
                self.impossible = Some("a trigger refuses every row".into());
            }
            other => panic!("unknown construct {other}"),
        }
        self.constructs.push(construct.into());
    }

    /// Names the variant a construct took, when it is one the figures should tell apart.
    fn variant(&mut self, taken: bool, name: &str) {
        if taken {
            self.constructs.push(name.into());
        }
    }

    fn create(&self) -> String {
        let mut out = String::new();
        for s in &self.before {
            let _ = writeln!(out, "{s}");
        }
        let items: Vec<String> = self
            .columns
            .iter()
            .chain(&self.constraints)
            .map(|c| format!("  {c}"))
            .collect();
        let _ = writeln!(
            out,
            "CREATE TABLE {} (\n{}\n);",
            self.quoted,
            items.join(",\n")
        );
        for s in &self.after {
            let _ = writeln!(out, "{s}");
        }
        out
    }

    fn table(&self, migration: u32) -> Table {
        Table {
            name: self.name.clone(),
            migration,
            constructs: self.constructs.clone(),
            impossible: self.impossible.clone(),
            required_parents: self.required_parents.clone(),
        }
    }
}

/// The schema of `seed`.
pub fn generate(seed: u64) -> Schema {
    let mut rng = Prng::new(seed);
    let rows = *rng.pick(&[20u64, 50, 100, 200]);
    let count = rng.range(2, 6) as usize;
    let mut taken = BTreeSet::new();
    let mut builders: Vec<Builder> = Vec::new();
    // The last table, some of the time, is created by V2: a second seed point, before V3.
    let in_v2 = rng.chance(0.35);
    let hard = rng.chance(HARD_SHARE);
    for index in 0..count {
        let mut b = Builder::new(&mut rng, index, &mut taken);
        b.hard = hard;
        // Foreign keys to up to two earlier tables.
        if index > 0 {
            let refs = rng.range(0, 2.min(index as u64));
            let mut parents = BTreeSet::new();
            for _ in 0..refs {
                parents.insert(rng.range(0, index as u64 - 1) as usize);
            }
            for p in parents {
                let impossible = builders[p].impossible.is_some();
                b.reference(&mut rng, &builders[p], impossible);
            }
        }
        let n = rng.range(1, 3);
        let mut chosen = BTreeSet::new();
        for _ in 0..n {
            let c = *rng.pick(CONSTRUCTS);
            if c == "exclusion" && !hard {
                continue;
            }
            // One enum flavour per table; the rest are independent.
            if c.starts_with("enum") && chosen.iter().any(|x: &&str| x.starts_with("enum")) {
                continue;
            }
            chosen.insert(c);
        }
        for c in chosen {
            b.add(&mut rng, c);
        }
        if rng.chance(0.06) {
            let c = *rng.pick(IMPOSSIBLE);
            if c != "contradiction" || hard {
                b.add(&mut rng, c);
            }
        }
        builders.push(b);
    }

    let mut extensions: BTreeSet<&str> = BTreeSet::new();
    for b in &builders {
        extensions.extend(b.extensions.iter().copied());
    }
    let v1_count = if in_v2 { count - 1 } else { count };
    let mut v1 = String::new();
    for e in &extensions {
        let _ = writeln!(v1, "CREATE EXTENSION IF NOT EXISTS {e};");
    }
    let mut tables = Vec::new();
    for b in &builders[..v1_count] {
        let _ = writeln!(v1, "\n{}", b.create());
        push_tables(&mut tables, b, 1);
    }

    // V2: an index on a V1 table (and, some of the time, a new table); V3: a column added.
    let target = &builders[rng.range(0, v1_count as u64 - 1) as usize];
    let index = format!("{}_v2_idx", target.tag);
    let mut v2 = format!(
        "CREATE INDEX {index} ON {} ({});\n",
        target.quoted,
        quote(&target.indexable)
    );
    let mut u2 = String::new();
    if in_v2 {
        let b = &builders[count - 1];
        let _ = writeln!(v2, "\n{}", b.create());
        push_tables(&mut tables, b, 2);
        let mut drop = format!("DROP TABLE {};\n", b.quoted);
        for d in b.drops.iter().rev() {
            let _ = writeln!(drop, "{d}");
        }
        u2.push_str(&drop);
    }
    let _ = writeln!(u2, "DROP INDEX {index};");
    let target = &builders[rng.range(0, count as u64 - 1) as usize];
    let v3 = format!(
        "ALTER TABLE {} ADD COLUMN fuzz_note text NOT NULL DEFAULT 'none';\n",
        target.quoted
    );
    let u3 = format!("ALTER TABLE {} DROP COLUMN fuzz_note;\n", target.quoted);

    Schema {
        seed,
        rows,
        tables,
        files: vec![
            ("V1__schema.sql".into(), v1),
            ("V2__index_and_more.sql".into(), v2),
            ("U2__index_and_more.sql".into(), u2),
            ("V3__add_column.sql".into(), v3),
            ("U3__add_column.sql".into(), u3),
        ],
    }
}

fn push_tables(tables: &mut Vec<Table>, b: &Builder, migration: u32) {
    tables.push(b.table(migration));
    if let Some((audit, construct)) = &b.audit {
        tables.push(Table {
            name: audit.clone(),
            migration,
            constructs: vec![construct.clone()],
            impossible: None,
            required_parents: Vec::new(),
        });
    }
}
