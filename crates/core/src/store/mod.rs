//! The one place that talks to SQLite for the local workspace.
//!
//! `Store::open` is the only connection-init: WAL, `synchronous=NORMAL`, foreign keys,
//! a busy timeout, then the embedded migrations. Writes that belong together run in one
//! transaction. Submodules add methods by topic (documents, search); nothing outside
//! this module sees a `rusqlite::Connection`.

mod assets;
mod checkpoint;
mod confirmations;
mod destinations;
mod documents;
mod outbox;
mod published;
mod schedules;
mod search;
mod settings;
mod sites;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::error::{Error, Result};

pub use confirmations::{ConfirmationRecord, Method, Outcome, Poll};
pub use destinations::{Destination, RemoteLink};
pub use documents::{
    DiffLine, Document, DocumentSummary, ParseProblem, RevisionInfo, Saved, Status, Trashed,
};
pub use outbox::{
    Attempt, AttemptRecord, Delivery, DeliveryState, DueDelivery, Enqueued, Moved, NewDelivery,
    NewPublish, NextStep, PublishRecord, Standing, ToConfirm, REMOVED_SITE,
};
pub use published::{
    Decision, Idempotency, PreparedPut, PublishedStore, PutOutcome, StoredAsset, IDEMPOTENCY_TTL,
};
pub use schedules::{PendingWork, Schedule};
pub use search::{SearchHit, SnippetPart};
pub use sites::{checked_reach, checked_selector, NewSite, Preset, Site};

/// Largest document source the store accepts (1 MiB). Bigger texts are refused with
/// `Error::TooLarge` before anything is written, so nothing stored is touched.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

const MIGRATION_SLICE: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_documents.sql")),
    M::up(include_str!("migrations/0002_sites_outbox.sql")),
    M::up(include_str!("migrations/0003_confirmations.sql")),
    M::up(include_str!("migrations/0004_sites_version.sql")),
    M::up(include_str!("migrations/0005_publisher.sql")),
    M::up(include_str!("migrations/0006_pending_index.sql")),
    M::up(include_str!(
        "migrations/0007_every_page_every_instance.sql"
    )),
    M::up(include_str!("migrations/0008_page_styles.sql")),
    M::up(include_str!("migrations/0009_trash.sql")),
    M::up(include_str!("migrations/0010_search_vocabulary.sql")),
    M::up(include_str!("migrations/0011_document_list_index.sql")),
    M::up(include_str!("migrations/0012_revision_change.sql")),
    M::up(include_str!("migrations/0013_destinations.sql")),
    M::up(include_str!("migrations/0014_site_destinations.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0015_assets.sql")),
    M::up(include_str!("migrations/0016_asset_copies.sql")),
    M::up(include_str!("migrations/0017_schedules.sql")),
    M::up(include_str!("migrations/0018_schedule_retries.sql")),
    M::up(include_str!("migrations/0019_schedule_staged.sql")),
    M::up(include_str!("migrations/0020_unwritten_deliveries.sql")),
    M::up(include_str!("migrations/0021_shared_bodies.sql")),
    M::up(include_str!("migrations/0022_no_lease_index.sql")),
    M::up(include_str!("migrations/0023_unwritten_partly_written.sql")),
];
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_SLICE);

/// How long a deleted document stays in the Trash, restorable.
pub const TRASH_KEEPS: Duration = Duration::from_secs(30 * 24 * 3600);

/// Schema version `Store::open` migrates to.
pub const SCHEMA_VERSION: usize = MIGRATION_SLICE.len();

pub struct Store {
    conn: Connection,
    path: PathBuf,
    checkpointer: Option<checkpoint::Checkpointer>,
    /// Fan-out deliveries handed to this process's worker and not written yet.
    handed: outbox::Handed,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the workspace database and brings its schema up to date.
    ///
    /// A workspace written by a newer Pressroom (a later schema) is refused untouched;
    /// one of an earlier schema is first copied as it is to
    /// `<database>.schema-<version>.bak` (kept), then migrated.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let found = existing_version(path)?;
        if found > SCHEMA_VERSION {
            return Err(Error::WorkspaceTooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found > 0 && found < SCHEMA_VERSION {
            back_up(path, found)?;
        }
        let mut store = Self::open_at_version(path, SCHEMA_VERSION)?;
        // What has been in the Trash for its time goes for good.
        if let Err(e) = store.purge_trash(Some(TRASH_KEEPS)) {
            tracing::warn!("the Trash could not be emptied of old documents: {e}");
        }
        Ok(store)
    }

    /// Like `open`, but migrates only up to `version`; for testing upgrades from old files.
    #[doc(hidden)]
    pub fn open_at_version(path: impl AsRef<Path>, version: usize) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut conn = init_connection(&path)?;
        MIGRATIONS.to_version(&mut conn, version)?;
        Ok(Store {
            conn,
            path,
            checkpointer: None,
            handed: Default::default(),
        })
    }

    /// Every write goes through `BEGIN IMMEDIATE`: a deferred transaction that reads and
    /// then writes fails with SQLITE_BUSY (no busy wait) when another connection wrote
    /// in between, which is exactly the two-writers case.
    pub(crate) fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves whenever another connection — another process, or another `Store` — has
    /// committed to the database since this one last looked (`PRAGMA data_version`);
    /// this connection's own commits do not move it.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(v as usize)
    }

    /// `PRAGMA integrity_check` and the FTS index's own check; `Ok` means both passed.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let rows = settings::integrity_check(&self.conn)?;
        self.conn.execute(
            "INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')",
            [],
        )?;
        Ok(rows)
    }
}

/// Locks a store shared between tasks. A panic in one holder must not lock the user
/// out of their workspace, so a poisoned lock is taken over: SQLite itself stays
/// consistent, every write being one transaction.
pub fn lock(shared: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The one connection-init for every database Pressroom opens: creates the parent
/// folder, then WAL, `synchronous=NORMAL`, foreign keys and a busy timeout.
/// The schema version of the database at `path` (0: none yet, or no file).
fn existing_version(path: &Path) -> Result<usize> {
    if !path.is_file() || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(0);
    }
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(usize::try_from(version).unwrap_or(0))
}

/// Where the copy of a workspace database at schema `version` is kept before it is
/// migrated.
pub fn backup_path(database: &Path, version: usize) -> PathBuf {
    let name = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workspace.db".into());
    database.with_file_name(format!("{name}.schema-{version}.bak"))
}

/// Copies the database at `path` (schema `version`), whole and consistent, to
/// `backup_path`; a copy made by an earlier attempt is kept as it is.
fn back_up(path: &Path, version: usize) -> Result<()> {
    let backup = backup_path(path, version);
    if backup.exists() {
        return Ok(());
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let partial = backup.with_extension("bak.partial");
    let _ = std::fs::remove_file(&partial);
    conn.execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])?;
    std::fs::rename(&partial, &backup).map_err(|e| Error::io(&backup, e))?;
    tracing::info!(backup = %backup.display(), version, "workspace copied before its upgrade");
    Ok(())
}

pub(crate) fn init_connection(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 32 MiB of page cache (the default is 2 MiB): the outbox's indexes over a long
    // history stay in memory, so a publish costs the same with a million deliveries
    // behind it as with none.
    conn.pragma_update(None, "cache_size", -32 * 1024)?;
    // A many-row statement's journal (a fan-out's recorded answers) stays in memory
    // instead of spilling to a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Room for every size of the many-row statements (`outbox::row_chunks`) besides
    // the others, so that none is prepared again.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// Current time as RFC 3339 UTC with milliseconds, the format of every stored
/// timestamp (so they also compare correctly as text).
pub fn now() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

/// `now()` plus `delay`, in the same format.
pub(crate) fn timestamp_after(delay: Duration) -> String {
    format_timestamp(time::OffsetDateTime::now_utc() + delay)
}

/// `now()` less `age`, in the same format.
pub fn timestamp_before(age: Duration) -> String {
    format_timestamp(time::OffsetDateTime::now_utc() - age)
}

/// `2026-11-27T10:00:00.123Z` (UTC, milliseconds): sortable as text. Written out by
/// hand — every delivery attempt stamps one, and this is several times faster than a
/// format description.
fn format_timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month() as u8,
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The current time as stored timestamps write it, for comparing with them.
pub fn current_timestamp() -> String {
    now()
}

/// `delay` from now, as stored timestamps write it.
pub fn current_timestamp_after(delay: Duration) -> String {
    timestamp_after(delay)
}

#[cfg(test)]
mod timestamp_tests {
    #[test]
    fn timestamps_are_utc_milliseconds_and_sort_as_text() {
        let at = time::macros::datetime!(2026-01-02 03:04:05.006 +02:00);
        assert_eq!(super::format_timestamp(at), "2026-01-02T01:04:05.006Z");
        let later = at + std::time::Duration::from_millis(995);
        assert!(super::format_timestamp(later) > super::format_timestamp(at));
    }
}
