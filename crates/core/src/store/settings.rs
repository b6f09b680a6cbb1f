//! Workspace settings (key → text) and the publish record.

use rusqlite::{params, OptionalExtension};

use super::{now, Store};
use crate::error::Result;

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Records that the content API accepted `revision` of `slug`, made from `source`:
    /// a publish row (what was published, for the side-by-side view) and the
    /// document's published revision, in one transaction. Returns the publish id.
    pub fn record_publish(&mut self, slug: &str, revision: &str, source: &str) -> Result<i64> {
        let tx = self.write_transaction()?;
        let id = super::documents::document_id(&tx, slug)?;
        tx.execute(
            "UPDATE documents SET published_revision = ?2 WHERE id = ?1",
            params![id, revision],
        )?;
        tx.execute(
            "INSERT INTO publishes (document_id, slug, revision, kind, source, created_at)
             VALUES (?1, ?2, ?3, 'published', ?4, ?5)",
            params![id, slug, revision, source, now()],
        )?;
        let publish_id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(publish_id)
    }
}
