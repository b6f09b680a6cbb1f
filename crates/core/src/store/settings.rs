//! Key → text settings tables (`settings` in a workspace, `server_settings` in the
//! content API's database) and the integrity check, shared by both stores.

use rusqlite::{params, Connection, OptionalExtension};

use super::Store;
use crate::error::Result;

/// `table` is one of the two settings tables named above, never user input.
pub(super) fn read(conn: &Connection, table: &str, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            &format!("SELECT value FROM {table} WHERE key = ?1"),
            [key],
            |r| r.get(0),
        )
        .optional()?)
}

pub(super) fn write(conn: &Connection, table: &str, key: &str, value: &str) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO {table} (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ),
        params![key, value],
    )?;
    Ok(())
}

/// `PRAGMA integrity_check`: `["ok"]` for a sound database file.
pub(super) fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        read(&self.conn, "settings", key)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        write(&self.conn, "settings", key, value)
    }
}
