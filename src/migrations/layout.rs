//! File and folder names of each convention, read without touching the disk.
//!
//! Each function answers "does this name follow convention X, and if so what does it say?"; the
//! decision of which convention a folder follows is made in `discover` from these answers.

/// Whether a script moves the schema forward or undoes a forward script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Forward,
    Rollback,
}

/// What a file name says: the version as written, the description, the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub version: String,
    pub description: String,
    pub role: Role,
}

/// Flyway's `V<version>__<desc>.sql`, `U<version>__<desc>.sql` and the common
/// `V<version>__<desc>_rollback.sql`. Versions are digits separated by `.` or `_` (`V1_2__x`).
pub(crate) fn flyway(file: &str) -> Option<Name> {
    let stem = file.strip_suffix(".sql")?;
    let (prefix, rest) = (stem.get(..1)?, stem.get(1..)?);
    let (version, description) = rest.split_once("__")?;
    if !is_dotted_version(version) || description.is_empty() {
        return None;
    }
    let (description, role) = match (prefix, description.strip_suffix("_rollback")) {
        ("V", Some(forward)) if !forward.is_empty() => (forward, Role::Rollback),
        ("V", _) => (description, Role::Forward),
        ("U", _) => (description, Role::Rollback),
        _ => return None,
    };
    Some(Name {
        version: version.to_string(),
        description: description.to_string(),
        role,
    })
}

/// Flyway's repeatable `R__<desc>.sql`: its description.
pub(crate) fn flyway_repeatable(file: &str) -> Option<&str> {
    file.strip_prefix("R__")?
        .strip_suffix(".sql")
        .filter(|d| !d.is_empty())
}

/// The events Flyway runs SQL callbacks for (`afterMigrate.sql`, `beforeEachMigrate__x.sql`).
const FLYWAY_EVENTS: [&str; 30] = [
    "beforeMigrate",
    "beforeRepeatables",
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterEachMigrateStatementError",
    "afterEachMigrate",
    "afterEachMigrateError",
    "afterMigrate",
    "afterMigrateApplied",
    "afterVersioned",
    "afterMigrateError",
    "beforeUndo",
    "beforeEachUndo",
    "beforeEachUndoStatement",
    "afterEachUndoStatement",
    "afterEachUndoStatementError",
    "afterEachUndo",
    "afterEachUndoError",
    "afterUndo",
    "afterUndoError",
    "beforeClean",
    "afterClean",
    "afterCleanError",
    "beforeInfo",
    "afterInfo",
    "beforeValidate",
    "afterValidate",
    "beforeBaseline",
    "afterBaseline",
];

/// A Flyway SQL callback: `<event>.sql` or `<event>__<desc>.sql`.
pub(crate) fn flyway_callback(file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".sql") else {
        return false;
    };
    let event = stem.split_once("__").map_or(stem, |(event, _)| event);
    FLYWAY_EVENTS.contains(&event)
}

/// sqlx and golang-migrate: `<version>_<desc>.up.sql` and `<version>_<desc>.down.sql`.
pub(crate) fn up_down(file: &str) -> Option<Name> {
    let (stem, role) = if let Some(stem) = file.strip_suffix(".up.sql") {
        (stem, Role::Forward)
    } else {
        (file.strip_suffix(".down.sql")?, Role::Rollback)
    };
    let (version, description) = numbered(stem)?;
    Some(Name {
        version,
        description,
        role,
    })
}

/// The databases gobuffalo pop and ory's popx name in a migration file (`.postgres.up.sql`).
pub(crate) const POP_DIALECTS: [&str; 5] = ["postgres", "cockroach", "mysql", "sqlite3", "sqlite"];

/// What a pop file name says beyond its version, description and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PopName {
    pub name: Name,
    /// The one database the file is for (`postgres`); None: every database.
    pub dialect: Option<String>,
    /// ory's popx `.autocommit`: run outside a transaction.
    pub autocommit: bool,
}

/// gobuffalo pop's `<version>_<desc>[.<dialect>].{up,down}.sql`, with ory's popx
/// `.autocommit` before the direction. The description holds no dot.
pub(crate) fn pop(file: &str) -> Option<PopName> {
    let (stem, role) = if let Some(stem) = file.strip_suffix(".up.sql") {
        (stem, Role::Forward)
    } else {
        (file.strip_suffix(".down.sql")?, Role::Rollback)
    };
    let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
        Some(stem) => (stem, true),
        None => (stem, false),
    };
    let (stem, dialect) = match stem.rsplit_once('.') {
        Some((stem, dialect)) if POP_DIALECTS.contains(&dialect) => (stem, Some(dialect.to_string())),
        Some(_) => return None,
        None => (stem, None),
    };
    let (version, description) = numbered(stem)?;
    Some(PopName {
        name: Name {
            version,
            description,
            role,
        },
        dialect,
        autocommit,
    })
}

/// Whether a name says pop, not sqlx: a dialect or popx's `.autocommit` in it.
pub(crate) fn pop_marked(file: &str) -> bool {
    pop(file).is_some_and(|p| p.dialect.is_some() || p.autocommit)
}

/// `<version>_<desc>.sql`: a sqlx migration without rollback, or a dbmate file (the content says).
pub(crate) fn plain(file: &str) -> Option<(String, String)> {
    if file.ends_with(".up.sql") || file.ends_with(".down.sql") {
        return None;
    }
    numbered(file.strip_suffix(".sql")?)
}

/// diesel's folder `<version>_<desc>`, where the version may hold dashes (`2024-01-01-120000`).
pub(crate) fn diesel_folder(name: &str) -> Option<(String, String)> {
    let (version, description) = name.split_once('_')?;
    let digits_and_dashes = version.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if !version.starts_with(|c: char| c.is_ascii_digit())
        || !digits_and_dashes
        || description.is_empty()
    {
        return None;
    }
    Some((version.to_string(), description.to_string()))
}

/// A Prisma Migrate folder, `<timestamp>_<name>` as `prisma migrate dev` names it (any name is
/// read: Prisma sorts whatever folders it finds): the whole name is the version, the
/// description what follows a leading number.
pub(crate) fn prisma_folder(name: &str) -> (String, String) {
    (name.to_string(), description_of(name))
}

/// A runner that takes the whole file name as the version (`by-name`): `NAME.up.sql`,
/// `NAME_up.sql` or `NAME-up.sql` moves forward and the same with `down` undoes it; any other
/// `NAME.sql` is a forward without rollback. The version is `NAME`, whatever it holds (`002`,
/// `001_users`, `add_index`); the description is what follows a leading number, or `NAME`.
pub(crate) fn by_name(file: &str) -> Option<Name> {
    let stem = file.strip_suffix(".sql")?;
    let (stem, role) = split_role(stem).unwrap_or((stem, Role::Forward));
    if stem.is_empty() {
        return None;
    }
    Some(Name {
        version: stem.to_string(),
        description: description_of(stem),
        role,
    })
}

/// `NAME.up`, `NAME_up`, `NAME-up` (and `down`): the name and the role.
fn split_role(stem: &str) -> Option<(&str, Role)> {
    [("up", Role::Forward), ("down", Role::Rollback)]
        .into_iter()
        .find_map(|(word, role)| {
            let base = stem.strip_suffix(word)?.strip_suffix(['.', '_', '-'])?;
            (!base.is_empty()).then_some((base, role))
        })
}

/// What follows a leading number and its separator (`001_users` → `users`), else the whole name.
fn description_of(stem: &str) -> String {
    let rest = stem.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix(['_', '-', '.']) {
        Some(description) if rest.len() < stem.len() && !description.is_empty() => {
            description.to_string()
        }
        _ => stem.to_string(),
    }
}

/// maragudk/migrate (`maragu.dev/migrate`): its patterns are `^([\w-]+).up.sql$` and
/// `^([\w-]+).down.sql`, whose unescaped dots match any character, so `NAME_up.sql` is read as
/// well as `NAME.up.sql`. The version is `NAME` (ASCII letters, digits, `_` and `-`).
pub(crate) fn maragu(file: &str) -> Option<Name> {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let rest = drop_last(file.strip_suffix("sql")?)?;
    [("up", Role::Forward), ("down", Role::Rollback)]
        .into_iter()
        .find_map(|(word_of_role, role)| {
            let stem = drop_last(rest.strip_suffix(word_of_role)?)?;
            word(stem).then(|| Name {
                version: stem.to_string(),
                description: description_of(stem),
                role,
            })
        })
}

/// `s` without its last character.
fn drop_last(s: &str) -> Option<&str> {
    let mut chars = s.chars();
    chars.next_back().map(|_| chars.as_str())
}

/// `<digits>_<desc>`.
fn numbered(stem: &str) -> Option<(String, String)> {
    let (version, description) = stem.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) || description.is_empty()
    {
        return None;
    }
    Some((version.to_string(), description.to_string()))
}

/// `1`, `002`, `1.2.10`, `1_2`: digits with single `.` or `_` between them.
fn is_dotted_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .split(['.', '_'])
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_names_say_dialect_and_autocommit() {
        let p = pop("20260616000000000000_courier_index.postgres.autocommit.down.sql").unwrap();
        assert_eq!(p.name.version, "20260616000000000000");
        assert_eq!(p.name.description, "courier_index");
        assert_eq!(p.name.role, Role::Rollback);
        assert_eq!(p.dialect.as_deref(), Some("postgres"));
        assert!(p.autocommit);
        let all = pop("20220420102701000000_identity_metadata.up.sql").unwrap();
        assert_eq!(all.dialect, None);
        assert!(!all.autocommit);
        assert!(!pop_marked("20220420102701000000_identity_metadata.up.sql"));
        assert!(pop_marked("1_x.sqlite3.up.sql"));
        assert!(pop("1_x.oracle.up.sql").is_none());
    }

    fn name(version: &str, description: &str, role: Role) -> Option<Name> {
        Some(Name {
            version: version.into(),
            description: description.into(),
            role,
        })
    }

    #[test]
    fn flyway_names_give_version_description_and_role() {
        assert_eq!(
            flyway("V002__add_status_column.sql"),
            name("002", "add_status_column", Role::Forward)
        );
        assert_eq!(
            flyway("U002__add_status_column.sql"),
            name("002", "add_status_column", Role::Rollback)
        );
        assert_eq!(
            flyway("V002__add_status_column_rollback.sql"),
            name("002", "add_status_column", Role::Rollback)
        );
        assert_eq!(
            flyway("V1_2__split_users.sql"),
            name("1_2", "split_users", Role::Forward)
        );
        assert_eq!(flyway("V1.2.10__x.sql"), name("1.2.10", "x", Role::Forward));
    }

    #[test]
    fn flyway_rejects_near_misses() {
        for file in [
            "V2_add.sql",
            "V__x.sql",
            "V2__.sql",
            "Vx__y.sql",
            "V1..2__x.sql",
            "X1__y.sql",
            "V1__x.txt",
        ] {
            assert_eq!(flyway(file), None, "{file}");
        }
        assert_eq!(
            flyway("V1___rollback.sql"),
            name("1", "_rollback", Role::Forward)
        );
    }

    #[test]
    fn repeatable_flyway_is_recognised() {
        assert_eq!(flyway_repeatable("R__views.sql"), Some("views"));
        assert_eq!(flyway_repeatable("V1__views.sql"), None);
        assert_eq!(flyway_repeatable("R__.sql"), None);
    }

    #[test]
    fn flyway_callbacks_are_recognised_with_or_without_a_description() {
        assert!(flyway_callback("afterMigrate.sql"));
        assert!(flyway_callback("beforeEachMigrate__audit.sql"));
        assert!(!flyway_callback("afterMigration.sql"));
        assert!(!flyway_callback("V1__afterMigrate.sql"));
    }

    #[test]
    fn up_down_names_pair_by_suffix() {
        assert_eq!(
            up_down("20240101120000_users.up.sql"),
            name("20240101120000", "users", Role::Forward)
        );
        assert_eq!(
            up_down("1_create.users.down.sql"),
            name("1", "create.users", Role::Rollback)
        );
        assert_eq!(up_down("1_users.sql"), None);
        assert_eq!(up_down("V1__users.up.sql"), None);
    }

    #[test]
    fn plain_names_exclude_up_and_down() {
        assert_eq!(plain("3_seed.sql"), Some(("3".into(), "seed".into())));
        assert_eq!(plain("3_seed.up.sql"), None);
        assert_eq!(plain("seed.sql"), None);
    }

    #[test]
    fn by_name_takes_the_whole_name_as_the_version() {
        assert_eq!(
            by_name("001_users.up.sql"),
            name("001_users", "users", Role::Forward)
        );
        assert_eq!(by_name("002.up.sql"), name("002", "002", Role::Forward));
        assert_eq!(
            by_name("003_backfill_up.sql"),
            name("003_backfill", "backfill", Role::Forward)
        );
        assert_eq!(
            by_name("003_backfill_down.sql"),
            name("003_backfill", "backfill", Role::Rollback)
        );
        assert_eq!(
            by_name("1-accounts.down.sql"),
            name("1-accounts", "accounts", Role::Rollback)
        );
        assert_eq!(by_name("004.sql"), name("004", "004", Role::Forward));
        assert_eq!(by_name("up.sql"), name("up", "up", Role::Forward));
        assert_eq!(by_name("init.txt"), None);
    }

    #[test]
    fn maragu_reads_its_patterns_with_their_any_character_dots() {
        assert_eq!(
            maragu("1-accounts.up.sql"),
            name("1-accounts", "accounts", Role::Forward)
        );
        assert_eq!(maragu("2.down.sql"), name("2", "2", Role::Rollback));
        // `.` in `^([\w-]+).up.sql$` matches `_`.
        assert_eq!(
            maragu("3_users_up.sql"),
            name("3_users", "users", Role::Forward)
        );
        assert_eq!(maragu("4_users.sql"), None);
        assert_eq!(maragu("1.2.up.sql"), None);
        assert_eq!(maragu(".up.sql"), None);
    }

    #[test]
    fn prisma_folders_keep_the_whole_name_as_the_version() {
        assert_eq!(
            prisma_folder("20240101120000_add_users"),
            ("20240101120000_add_users".into(), "add_users".into())
        );
        assert_eq!(prisma_folder("01_init"), ("01_init".into(), "init".into()));
        assert_eq!(prisma_folder("init"), ("init".into(), "init".into()));
    }

    #[test]
    fn diesel_folders_allow_dashed_versions() {
        assert_eq!(
            diesel_folder("2024-01-01-120000_create_users"),
            Some(("2024-01-01-120000".into(), "create_users".into()))
        );
        assert_eq!(
            diesel_folder("00000000000000_diesel_initial_setup"),
            Some(("00000000000000".into(), "diesel_initial_setup".into()))
        );
        assert_eq!(diesel_folder("create_users"), None);
        assert_eq!(diesel_folder("-1_x"), None);
    }
}
