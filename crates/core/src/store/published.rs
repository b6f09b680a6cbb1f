//! The reference content API's storage: published documents, their publish history,
//! Idempotency-Key answers and the hashed write token. A separate database file from
//! any editor workspace, with its own migrations, opened with the same connection-init.
//!
//! Every write checks and changes state inside one `BEGIN IMMEDIATE` transaction, so
//! concurrent publishes of one slug are decided one at a time: exactly one holder of
//! a base revision wins, the others see the new revision and get a conflict.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Row};
use rusqlite_migration::{Migrations, M};

use super::{init_connection, now};
use crate::error::{Error, Result};
use crate::markdown;
use crate::revision::Content;
use crate::slug;
use crate::wire::{ApiDocument, PutDocument};

const MIGRATION_SLICE: &[M<'static>] = &[
    M::up(include_str!("migrations/published/0001_published.sql")),
    M::up(include_str!(
        "migrations/published/0002_idempotency_expiry.sql"
    )),
    M::up(include_str!("migrations/published/0003_assets.sql")),
    M::up(include_str!("migrations/published/0004_cover.sql")),
];

/// How long an Idempotency-Key's answer is kept (and replayed).
pub const IDEMPOTENCY_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_SLICE);

pub struct PublishedStore {
    conn: Connection,
    path: PathBuf,
}

/// A retry-safe request: the client's key and a hash of what it asked for.
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PutOutcome {
    /// 201 when the slug was new, else 200 (as first answered, for a replay).
    pub status: u16,
    pub document: ApiDocument,
    /// True when this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

impl Idempotency<'_> {
    /// The stored first answer to this key — or `IdempotencyKeyReused` when the key
    /// came with another request.
    pub fn replay(&self, stored_hash: &str, status: u16, response: &str) -> Result<PutOutcome> {
        if stored_hash != self.request_hash {
            return Err(Error::IdempotencyKeyReused {
                key: self.key.to_owned(),
            });
        }
        Ok(PutOutcome {
            status,
            document: serde_json::from_str(response).map_err(|e| Error::Corrupt(e.to_string()))?,
            replayed: true,
        })
    }
}

/// A publish made ready before any lock is taken (rendering is its costly part), to
/// be decided against the document current under the lock. Every storage of the
/// content API (this file's SQLite, the server's PostgreSQL) decides the same way.
pub struct PreparedPut {
    slug: String,
    req_title: String,
    markdown: String,
    tags: Vec<String>,
    front_matter: serde_json::Map<String, serde_json::Value>,
    base_revision: Option<String>,
    revision: String,
    html: String,
    summary: String,
    cover: Option<String>,
}

/// What a publish does to the current document.
#[derive(Debug)]
pub enum Decision {
    /// The same content is there already: 200 with it, nothing written.
    Unchanged(ApiDocument),
    /// Write `document` (201 when the slug was new, else 200).
    Write { status: u16, document: ApiDocument },
}

impl PreparedPut {
    pub fn new(slug: &str, req: &PutDocument, asset_base: Option<&str>) -> Result<PreparedPut> {
        slug::validate(slug)?;
        let content = Content {
            slug: slug.to_owned(),
            title: req.title.clone(),
            markdown: req.markdown.clone(),
            tags: req.tags.clone(),
            front_matter: req.front_matter.clone(),
        };
        // An image sent as a downscaled copy is shown as that copy.
        let image_url = |sha: &str| {
            let sent = req.images.get(sha).map_or(sha, String::as_str);
            asset_base.map(|base| format!("{base}{sent}"))
        };
        let cover = match req.front_matter.get("cover").and_then(|v| v.as_str()) {
            Some(cover) => match crate::cms::cover_of(&req.front_matter) {
                Some(sha) => image_url(sha),
                None => Some(cover.trim().to_owned())
                    .filter(|c| c.starts_with("https://") || c.starts_with("http://")),
            },
            None => None,
        };
        Ok(PreparedPut {
            slug: slug.to_owned(),
            revision: content.revision(),
            html: markdown::render_with_assets(&req.markdown, &image_url),
            summary: markdown::summary(&req.markdown),
            cover,
            req_title: content.title,
            markdown: content.markdown,
            tags: content.tags,
            front_matter: content.front_matter,
            base_revision: req.base_revision.clone(),
        })
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// Decides against `current` (the slug's document under the write lock): a
    /// conflict when `create_only` and it exists, or when the request's base revision
    /// is not the current one; unchanged when the content is the same.
    pub fn decide(self, current: Option<ApiDocument>, create_only: bool) -> Result<Decision> {
        let current_revision = current.as_ref().map(|d| d.revision.clone());
        let stale_base = self
            .base_revision
            .as_ref()
            .is_some_and(|base| current_revision.as_ref() != Some(base));
        if (create_only && current.is_some()) || stale_base {
            return Err(Error::Conflict {
                slug: self.slug,
                current_revision,
            });
        }
        Ok(match current {
            Some(doc) if doc.revision == self.revision => Decision::Unchanged(doc),
            current => {
                let ts = now();
                let published_at = current
                    .as_ref()
                    .map_or(ts.clone(), |d| d.published_at.clone());
                Decision::Write {
                    status: if current.is_some() { 200 } else { 201 },
                    document: ApiDocument {
                        slug: self.slug,
                        title: self.req_title,
                        revision: self.revision,
                        html: self.html,
                        markdown: self.markdown,
                        summary: self.summary,
                        tags: self.tags,
                        front_matter: self.front_matter,
                        published_at,
                        updated_at: ts,
                        cover: self.cover,
                    },
                }
            }
        })
    }
}

const COLUMNS: &str = "slug, title, revision, html, markdown, summary, tags, front_matter, \
                       published_at, updated_at, cover";

fn from_row(row: &Row<'_>) -> rusqlite::Result<ApiDocument> {
    let tags: String = row.get(6)?;
    let front_matter: String = row.get(7)?;
    Ok(ApiDocument {
        slug: row.get(0)?,
        title: row.get(1)?,
        revision: row.get(2)?,
        html: row.get(3)?,
        markdown: row.get(4)?,
        summary: row.get(5)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        front_matter: serde_json::from_str(&front_matter).unwrap_or_default(),
        published_at: row.get(8)?,
        updated_at: row.get(9)?,
        cover: row.get(10)?,
    })
}

impl PublishedStore {
    pub fn open(path: impl AsRef<Path>) -> Result<PublishedStore> {
        let path = path.as_ref().to_path_buf();
        let mut conn = init_connection(&path)?;
        MIGRATIONS.to_latest(&mut conn)?;
        Ok(PublishedStore { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, slug: &str) -> Result<Option<ApiDocument>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM documents WHERE slug = ?1"))?
            .query_row([slug], from_row)
            .optional()?)
    }

    /// Published documents, newest first, optionally only those carrying `tag`.
    pub fn list(&self, tag: Option<&str>) -> Result<Vec<ApiDocument>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM documents
             WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(documents.tags) WHERE value = ?1)
             ORDER BY published_at DESC, slug"
        ))?;
        let rows = stmt.query_map([tag], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Publishes `prepared` (made before, outside any lock) — only creates its slug
    /// when `create_only` (a first publish: `If-None-Match: *`), so two first
    /// publishes cannot overwrite each other.
    pub fn put(
        &mut self,
        prepared: PreparedPut,
        create_only: bool,
        idempotency: Option<Idempotency<'_>>,
    ) -> Result<PutOutcome> {
        let slug = prepared.slug().to_owned();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(idem) = &idempotency {
            // Answers older than the TTL are forgotten (and a key may be used anew).
            let oldest = super::timestamp_before(IDEMPOTENCY_TTL);
            tx.prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
                .execute([&oldest])?;
            let earlier: Option<(String, u16, String)> = tx
                .query_row(
                    "SELECT request_hash, status, response FROM idempotency_keys WHERE key = ?1",
                    [idem.key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((hash, status, response)) = earlier {
                return idem.replay(&hash, status, &response);
            }
        }
        let current: Option<ApiDocument> = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM documents WHERE slug = ?1"),
                [&slug],
                from_row,
            )
            .optional()?;
        let (status, document) = match prepared.decide(current, create_only)? {
            Decision::Unchanged(document) => (200, document),
            Decision::Write { status, document } => {
                tx.execute(
                    &format!(
                        "INSERT OR REPLACE INTO documents ({COLUMNS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                    ),
                    params![
                        document.slug,
                        document.title,
                        document.revision,
                        document.html,
                        document.markdown,
                        document.summary,
                        serde_json::to_string(&document.tags).expect("strings serialize"),
                        serde_json::to_string(&document.front_matter).expect("JSON serializes"),
                        document.published_at,
                        document.updated_at,
                        document.cover,
                    ],
                )?;
                tx.execute(
                    "INSERT INTO publish_log (slug, revision, created_at) VALUES (?1, ?2, ?3)",
                    params![slug, document.revision, document.updated_at],
                )?;
                (status, document)
            }
        };
        if let Some(idem) = &idempotency {
            tx.execute(
                "INSERT INTO idempotency_keys (key, request_hash, status, response, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    idem.key,
                    idem.request_hash,
                    status,
                    serde_json::to_string(&document).expect("documents serialize"),
                    now()
                ],
            )?;
        }
        tx.commit()?;
        Ok(PutOutcome {
            status,
            document,
            replayed: false,
        })
    }

    /// Unpublishes `slug`; `DocumentNotFound` when it is not published.
    pub fn delete(&mut self, slug: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if tx.execute("DELETE FROM documents WHERE slug = ?1", [slug])? == 0 {
            return Err(Error::DocumentNotFound {
                slug: slug.to_owned(),
            });
        }
        tx.execute(
            "INSERT INTO publish_log (slug, revision, created_at) VALUES (?1, NULL, ?2)",
            params![slug, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// How many changes the server accepted for `slug` (publishes and unpublishes).
    pub fn history_len(&self, slug: &str) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM publish_log WHERE slug = ?1",
            [slug],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        super::settings::read(&self.conn, "server_settings", key)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        super::settings::write(&self.conn, "server_settings", key, value)
    }

    pub fn integrity_check(&self) -> Result<Vec<String>> {
        super::settings::integrity_check(&self.conn)
    }
}

/// An image the content API serves (`PUT /v1/assets/{sha256}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAsset {
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl PublishedStore {
    /// Keeps image `sha256` (the caller checked the bytes are it); `false` when it was
    /// there already (immutable: the first bytes stay).
    pub fn put_asset(&mut self, sha256: &str, mime: &str, bytes: &[u8]) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO assets (sha256, mime, bytes, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            rusqlite::params![sha256, mime, bytes, super::now()],
        )?;
        Ok(n == 1)
    }

    /// Whether image `sha256` is kept (its bytes not read).
    pub fn has_asset(&self, sha256: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM assets WHERE sha256 = ?1)",
            [sha256],
            |r| r.get(0),
        )?)
    }

    pub fn asset(&self, sha256: &str) -> Result<Option<StoredAsset>> {
        Ok(self
            .conn
            .query_row(
                "SELECT mime, bytes FROM assets WHERE sha256 = ?1",
                [sha256],
                |r| {
                    Ok(StoredAsset {
                        mime: r.get(0)?,
                        bytes: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(title: &str) -> PutDocument {
        PutDocument {
            title: title.into(),
            markdown: format!("# {title}"),
            tags: vec![],
            front_matter: Default::default(),
            base_revision: None,
            images: Default::default(),
        }
    }

    fn prepare(title: &str) -> PreparedPut {
        PreparedPut::new("a", &request(title), None).unwrap()
    }

    #[test]
    fn an_idempotency_key_is_forgotten_after_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PublishedStore::open(dir.path().join("api.db")).unwrap();
        let key = |hash| Idempotency {
            key: "k1",
            request_hash: hash,
        };
        store.put(prepare("A"), false, Some(key("h1"))).unwrap();
        // Reused with another request within the day: refused.
        let err = store.put(prepare("B"), false, Some(key("h2"))).unwrap_err();
        assert_eq!(err.kind(), "idempotency_key_reused");
        // A day and a second later, the key is free again.
        store
            .conn
            .execute(
                "UPDATE idempotency_keys SET created_at = ?1",
                [super::super::timestamp_before(
                    IDEMPOTENCY_TTL + std::time::Duration::from_secs(1),
                )],
            )
            .unwrap();
        let fresh = store.put(prepare("B"), false, Some(key("h2"))).unwrap();
        assert!(!fresh.replayed);
        assert_eq!(fresh.document.title, "B");
    }

    #[test]
    fn create_only_refuses_a_slug_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PublishedStore::open(dir.path().join("api.db")).unwrap();
        let first = store.put(prepare("A"), true, None).unwrap();
        assert_eq!(first.status, 201);
        match store.put(prepare("B"), true, None) {
            Err(Error::Conflict {
                current_revision, ..
            }) => assert_eq!(current_revision, Some(first.document.revision)),
            other => panic!("{other:?}"),
        }
    }
}
