//! The history database's schema and its migrations.
//!
//! `schema_version` holds one row: the version the database is at. Each
//! migration takes the database from the version before it to its own, in
//! one transaction with the version's update; a database at a version this
//! flowtoy does not know (written by a newer one) is refused, not touched.
//! To change the schema, append a migration: never edit one that shipped.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// Migration `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1: runs and their finished steps.
    "
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        INTEGER NOT NULL,
        files         TEXT NOT NULL,          -- JSON list of absolute paths
        config_hash   TEXT NOT NULL,
        steps         TEXT NOT NULL,          -- JSON list of step names, file order
        started_at    REAL NOT NULL,
        ended_at      REAL,
        outcome       TEXT NOT NULL,          -- running, finished, halted, interrupted
        succeeded     INTEGER NOT NULL DEFAULT 0,
        failed        INTEGER NOT NULL DEFAULT 0,
        skipped       INTEGER NOT NULL DEFAULT 0,
        total_steps   INTEGER NOT NULL,
        resumed_from  INTEGER,
        pid           INTEGER NOT NULL,
        process_start TEXT,
        host          TEXT NOT NULL
    );
    CREATE INDEX runs_by_outcome ON runs (outcome);
    CREATE TABLE steps (
        run          INTEGER NOT NULL,
        position     INTEGER NOT NULL,        -- file order
        name         TEXT NOT NULL,
        state        TEXT NOT NULL,           -- succeeded, failed, skipped
        attempt      INTEGER,
        started_at   REAL,
        ended_at     REAL,
        error        TEXT,
        outputs      TEXT,                    -- JSON, secret values masked
        secret       INTEGER NOT NULL DEFAULT 0,
        definition   TEXT NOT NULL,           -- the step's definition hash
        reused_from  INTEGER,
        items        TEXT,                    -- JSON item counts of a foreach step
        PRIMARY KEY (run, position)
    ) WITHOUT ROWID;
    ",
    // Version 2: a configuration's step names and definition hashes are
    // stored once per configuration hash (`plans`), not in every run's row
    // and step rows. Steps that never finished had no definition recorded:
    // theirs is empty (they are never reused).
    "
    CREATE TABLE plans (
        config_hash  TEXT PRIMARY KEY,
        names        TEXT NOT NULL,           -- JSON list of step names, file order
        definitions  TEXT NOT NULL            -- JSON list of their definition hashes
    );
    INSERT OR IGNORE INTO plans (config_hash, names, definitions)
    SELECT runs.config_hash, runs.steps,
           (SELECT json_group_array(coalesce(steps.definition, '') ORDER BY name.key)
              FROM json_each(runs.steps) AS name
              LEFT JOIN steps ON steps.run = runs.id AND steps.position = name.key)
      FROM runs ORDER BY runs.id DESC;
    ALTER TABLE runs DROP COLUMN steps;
    ALTER TABLE steps DROP COLUMN name;
    ALTER TABLE steps DROP COLUMN definition;
    ",
];

/// The version this flowtoy writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Why the schema cannot be used.
#[derive(Debug)]
pub enum SchemaError {
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// Not a flowtoy history, or one from a newer flowtoy.
    Foreign(String),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sqlite(e)
    }
}

/// The version the database is at: 0 for an empty database.
fn version(conn: &Connection) -> Result<i64, SchemaError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version')",
        [],
        |row| row.get(0),
    )?;
    if has_table {
        let version: Option<i64> = conn
            .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
            .optional()?;
        return Ok(version.unwrap_or(0));
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
        [],
        |row| row.get(0),
    )?;
    if tables > 0 {
        return Err(SchemaError::Foreign(
            "it is an SQLite database, but not a flowtoy run history".into(),
        ));
    }
    Ok(0)
}

/// Brings the database to [`CURRENT`]; concurrent processes doing the same
/// wait for each other (the write lock is taken first, then the version is
/// read again).
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    match version(conn)? {
        v if v == CURRENT => return Ok(()),
        v if v > CURRENT => return Err(newer(v)),
        _ => {}
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from = version(&tx)?;
    if from > CURRENT {
        return Err(newer(from));
    }
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.execute_batch(sql)?;
        tracing::debug!("run history: schema migrated to version {}", i + 1);
    }
    tx.execute("DELETE FROM schema_version", [])?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES (?1)",
        [CURRENT],
    )?;
    tx.commit()?;
    Ok(())
}

fn newer(version: i64) -> SchemaError {
    SchemaError::Foreign(format!(
        "it was written by a newer flowtoy (schema version {version}; this one knows up to {CURRENT})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_is_migrated_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
        migrate(&mut conn).unwrap();
        conn.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
        let Err(SchemaError::Foreign(why)) = migrate(&mut conn) else {
            panic!("a newer schema is refused")
        };
        assert!(why.contains("newer flowtoy"), "{why}");
    }

    #[test]
    fn another_programs_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE mine (x)").unwrap();
        assert!(matches!(migrate(&mut conn), Err(SchemaError::Foreign(_))));
    }

    #[test]
    fn a_version_1_history_keeps_its_runs_in_version_2() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES (1);
             INSERT INTO runs (run_id, files, config_hash, steps, started_at, outcome,
                               total_steps, pid, host)
                  VALUES (7, '[]', 'h', '[\"a\",\"b\",\"c\"]', 1.0, 'halted', 3, 1, 'x');
             INSERT INTO steps (run, position, name, state, secret, definition, outputs)
                  VALUES (1, 0, 'a', 'succeeded', 0, 'da', '{\"v\": 1}'),
                         (1, 2, 'c', 'failed', 0, 'dc', NULL);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
        let (names, definitions): (String, String) = conn
            .query_row(
                "SELECT names, definitions FROM plans WHERE config_hash = 'h'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(names, r#"["a","b","c"]"#);
        assert_eq!(definitions, r#"["da","","dc"]"#);
        let outputs: String = conn
            .query_row(
                "SELECT outputs FROM steps WHERE run = 1 AND position = 0",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(outputs, r#"{"v": 1}"#);
    }
}
