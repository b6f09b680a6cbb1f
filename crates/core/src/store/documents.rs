//! Drafts and their revisions: create, save (one revision per save that changes the
//! text), read, list, history, diff, restore, rename, delete.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

pub use crate::diff::DiffLine;
use serde_json::{Map, Value};

use super::{now, Store, MAX_DOCUMENT_BYTES};
use crate::diff;
use crate::error::{Error, Result};
use crate::frontmatter;
use crate::markdown;
use crate::revision::Content;
use crate::slug;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never published.
    Draft,
    /// The draft is exactly what the content API last accepted.
    Published,
    /// Published once, changed since.
    Modified,
}

/// SQL for `Status`, so it is derived in one place and never stored stale.
const STATUS_SQL: &str = "CASE WHEN published_revision IS NULL THEN 'draft' \
     WHEN content_revision IS published_revision THEN 'published' ELSE 'modified' END";

/// The document list, answered from the `documents_list` index alone (a test holds
/// the plan to that: reading the rows would read every document's text).
fn list_sql() -> String {
    format!(
        "SELECT slug, title, tags, {STATUS_SQL}, content_revision IS NULL, updated_at
         FROM documents INDEXED BY documents_list
         WHERE deleted_at IS NULL ORDER BY updated_at DESC, id DESC"
    )
}

fn status_from(s: &str) -> Status {
    match s {
        "draft" => Status::Draft,
        "published" => Status::Published,
        _ => Status::Modified,
    }
}

/// A line of the front matter that does not parse, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ParseProblem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Document {
    pub slug: String,
    pub title: String,
    pub source: String,
    pub body: String,
    pub tags: Vec<String>,
    #[ts(type = "Record<string, unknown>")]
    pub front_matter: Map<String, Value>,
    /// Set while the source's front matter does not parse (the draft is saved anyway).
    pub parse_error: Option<ParseProblem>,
    /// Content revision id of the draft; `None` while it does not parse.
    pub revision: Option<String>,
    pub published_revision: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub updated_at: String,
}

impl Document {
    /// The publishable content, or the parse error that prevents publishing.
    pub fn content(&self) -> Result<Content> {
        if let Some(p) = &self.parse_error {
            return Err(Error::FrontMatter {
                line: p.line,
                message: p.message.clone(),
            });
        }
        Ok(Content {
            slug: self.slug.clone(),
            title: self.title.clone(),
            markdown: self.body.clone(),
            tags: self.tags.clone(),
            front_matter: self.front_matter.clone(),
        })
    }
}

/// A document in the Trash.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Trashed {
    pub slug: String,
    pub title: String,
    pub deleted_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DocumentSummary {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub status: Status,
    pub has_error: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RevisionInfo {
    pub id: i64,
    pub content_revision: Option<String>,
    pub created_at: String,
    pub bytes: usize,
    /// The first words this save changed (`diff::first_changed_words`); none for the
    /// first save, and for saves from before history kept them.
    pub change: Option<String>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    pub document: Document,
    /// The history entry written, or `None` when the text was unchanged.
    pub revision_id: Option<i64>,
}

/// Derived columns for a source: parsed fields, or the parse problem.
enum Derived {
    Parsed(frontmatter::Parsed),
    Problem(ParseProblem),
}

fn derive(source: &str) -> Result<Derived> {
    if source.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::TooLarge {
            size: source.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(match frontmatter::parse(source) {
        Ok(parsed) => Derived::Parsed(parsed),
        Err(Error::FrontMatter { line, message }) => {
            Derived::Problem(ParseProblem { line, message })
        }
        Err(other) => return Err(other),
    })
}

const DOCUMENT_COLUMNS: &str = "slug, title, source, body, tags, front_matter, parse_error, \
     parse_error_line, content_revision, published_revision, created_at, updated_at";

fn document_from_row(row: &Row<'_>) -> rusqlite::Result<Document> {
    let tags: String = row.get(4)?;
    let front_matter: String = row.get(5)?;
    let parse_error: Option<String> = row.get(6)?;
    let parse_line: Option<i64> = row.get(7)?;
    let status: String = row.get(12)?;
    Ok(Document {
        slug: row.get(0)?,
        title: row.get(1)?,
        source: row.get(2)?,
        body: row.get(3)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        front_matter: serde_json::from_str(&front_matter).unwrap_or_default(),
        parse_error: parse_error.map(|message| ParseProblem {
            line: parse_line.unwrap_or(1) as usize,
            message,
        }),
        revision: row.get(8)?,
        published_revision: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        status: status_from(&status),
    })
}

impl Store {
    /// Creates a document; its first revision is the given source.
    pub fn create(&mut self, slug: &str, source: &str) -> Result<Document> {
        slug::validate(slug)?;
        let derived = derive(source)?;
        let tx = self.write_transaction()?;
        slug_free(&tx, slug)?;
        let ts = now();
        tx.execute(
            "INSERT INTO documents (slug, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
            params![slug, source, ts],
        )?;
        let id = tx.last_insert_rowid();
        write_revision(&tx, id, slug, source, None, &derived, &ts)?;
        tx.commit()?;
        self.get(slug)
    }

    /// Saves a new text for a draft. Writes a history entry unless the text is unchanged.
    /// Malformed front matter does not stop the save: the document records the problem.
    pub fn save(&mut self, slug: &str, source: &str) -> Result<Saved> {
        let derived = derive(source)?;
        let tx = self.write_transaction()?;
        let (id, old_source) = id_and_source(&tx, slug)?;
        let revision_id = if old_source == source {
            None
        } else {
            let ts = now();
            tx.execute(
                "UPDATE documents SET source = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, source, ts],
            )?;
            let change = diff::first_changed_words(&old_source, source);
            Some(write_revision(
                &tx,
                id,
                slug,
                source,
                change.as_deref(),
                &derived,
                &ts,
            )?)
        };
        tx.commit()?;
        Ok(Saved {
            document: self.get(slug)?,
            revision_id,
        })
    }

    pub fn get(&self, slug: &str) -> Result<Document> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {DOCUMENT_COLUMNS}, {STATUS_SQL} FROM documents
                     WHERE slug = ?1 AND deleted_at IS NULL"
                ),
                [slug],
                document_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound {
                slug: slug.to_owned(),
            })
    }

    /// The slug is held by a document, in the Trash or not.
    pub fn exists(&self, slug: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM documents WHERE slug = ?1)",
            [slug],
            |r| r.get(0),
        )?)
    }

    /// A free slug made from `title` ("untitled" when it has nothing to make one of):
    /// the slugified title, else with `-2`, `-3`… appended. `mine` counts as free.
    pub fn slug_for_title(&self, title: &str, mine: Option<&str>) -> Result<String> {
        let base = match crate::slug::slugify(title.trim()) {
            s if s.is_empty() => "untitled".to_owned(),
            s => s,
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while Some(candidate.as_str()) != mine && self.exists(&candidate)? {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// Until a document is first published its slug follows its title: when `slug` is
    /// what `old_title` made (or an "untitled" one) and was never published, it is
    /// renamed to what `new_title` makes. The renamed document, or `None` when the slug
    /// stays (published, chosen by hand, or already right).
    pub fn follow_title(
        &mut self,
        slug: &str,
        old_title: &str,
        new_title: &str,
    ) -> Result<Option<Document>> {
        let doc = self.get(slug)?;
        if doc.published_revision.is_some() || self.latest_publish_of(slug)?.is_some() {
            return Ok(None);
        }
        let untitled = slug == "untitled"
            || slug
                .strip_prefix("untitled-")
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        let derived = self.slug_for_title(old_title, Some(slug))? == slug;
        if !untitled && !derived {
            return Ok(None);
        }
        let wanted = self.slug_for_title(new_title, Some(slug))?;
        if wanted == slug || new_title.trim().is_empty() {
            return Ok(None);
        }
        self.rename(slug, &wanted).map(Some)
    }

    /// Every document, most recently edited first.
    pub fn list(&self) -> Result<Vec<DocumentSummary>> {
        let mut stmt = self.conn.prepare_cached(&list_sql())?;
        let rows = stmt.query_map([], |r| {
            // Borrowed, not copied: this runs once per document of the workspace.
            let tags = r.get_ref(2)?.as_str()?;
            Ok(DocumentSummary {
                slug: r.get(0)?,
                title: r.get(1)?,
                tags: if tags == "[]" {
                    Vec::new()
                } else {
                    serde_json::from_str(tags).unwrap_or_default()
                },
                status: status_from(r.get_ref(3)?.as_str()?),
                has_error: r.get(4)?,
                updated_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Saved revisions of a document, newest first.
    pub fn history(&self, slug: &str) -> Result<Vec<RevisionInfo>> {
        let id = self.document_id(slug)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, content_revision, created_at, length(CAST(source AS BLOB)), change
             FROM revisions WHERE document_id = ?1 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(RevisionInfo {
                id: r.get(0)?,
                content_revision: r.get(1)?,
                created_at: r.get(2)?,
                bytes: r.get::<_, i64>(3)? as usize,
                change: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The source text of one saved revision.
    pub fn revision_source(&self, slug: &str, revision: i64) -> Result<String> {
        let id = self.document_id(slug)?;
        self.conn
            .query_row(
                "SELECT source FROM revisions WHERE id = ?1 AND document_id = ?2",
                params![revision, id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::RevisionNotFound {
                slug: slug.to_owned(),
                revision,
            })
    }

    /// Line diff from revision `from` to revision `to` (`None` = the current draft).
    pub fn diff(&self, slug: &str, from: i64, to: Option<i64>) -> Result<Vec<DiffLine>> {
        let old = self.revision_source(slug, from)?;
        let new = match to {
            Some(to) => self.revision_source(slug, to)?,
            None => self.get(slug)?.source,
        };
        Ok(crate::diff::lines(&old, &new))
    }

    /// Makes an old revision the current draft again, as a new history entry (so the
    /// restore itself can be undone).
    pub fn restore(&mut self, slug: &str, revision: i64) -> Result<Saved> {
        let source = self.revision_source(slug, revision)?;
        self.save(slug, &source)
    }

    /// Changes a document's slug; its history and publish records follow it.
    pub fn rename(&mut self, slug: &str, new_slug: &str) -> Result<Document> {
        slug::validate(new_slug)?;
        if slug == new_slug {
            return self.get(slug);
        }
        let tx = self.write_transaction()?;
        slug_free(&tx, new_slug)?;
        let (id, source) = id_and_source(&tx, slug)?;
        tx.execute(
            "UPDATE documents SET slug = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, new_slug, now()],
        )?;
        // The slug is part of the content, so the revision id changes with it.
        write_derived(&tx, id, new_slug, &derive(&source)?)?;
        tx.commit()?;
        self.get(new_slug)
    }

    /// Moves `slug` to the Trash, history and all; `restore_from_trash` brings it back.
    pub fn delete(&mut self, slug: &str) -> Result<()> {
        let tx = self.write_transaction()?;
        let at = now();
        let n = tx.execute(
            "UPDATE documents SET deleted_at = ?2 WHERE slug = ?1 AND deleted_at IS NULL",
            params![slug, at],
        )?;
        if n == 0 {
            return Err(Error::DocumentNotFound {
                slug: slug.to_owned(),
            });
        }
        // A document in the Trash is not published later either (one being carried
        // out right now finishes).
        tx.execute(
            "UPDATE schedules SET state = 'cancelled', error = 'moved to the Trash',
                 updated_at = ?2
             WHERE state = 'pending' AND (lease_until IS NULL OR lease_until <= ?2)
               AND document_id = (SELECT id FROM documents WHERE slug = ?1)",
            params![slug, at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// What is in the Trash, most recently deleted first.
    pub fn trash(&self) -> Result<Vec<Trashed>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT slug, title, deleted_at FROM documents WHERE deleted_at IS NOT NULL
             ORDER BY deleted_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Trashed {
                slug: r.get(0)?,
                title: r.get(1)?,
                deleted_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Brings `slug` back from the Trash, as it was.
    pub fn restore_from_trash(&mut self, slug: &str) -> Result<Document> {
        let n = self.conn.execute(
            "UPDATE documents SET deleted_at = NULL WHERE slug = ?1 AND deleted_at IS NOT NULL",
            [slug],
        )?;
        if n == 0 {
            return Err(Error::DocumentNotFound {
                slug: slug.to_owned(),
            });
        }
        self.get(slug)
    }

    /// Deletes for good what has been in the Trash longer than `older_than` (`None`:
    /// all of it), history included; how many documents.
    pub fn purge_trash(&mut self, older_than: Option<std::time::Duration>) -> Result<usize> {
        let cutoff =
            older_than.map(|d| super::format_timestamp(time::OffsetDateTime::now_utc() - d));
        Ok(self.conn.execute(
            "DELETE FROM documents WHERE deleted_at IS NOT NULL AND (?1 IS NULL OR deleted_at < ?1)",
            [cutoff],
        )?)
    }

    /// Deletes one document in the Trash for good.
    pub fn purge_from_trash(&mut self, slug: &str) -> Result<()> {
        let n = self.conn.execute(
            "DELETE FROM documents WHERE slug = ?1 AND deleted_at IS NOT NULL",
            [slug],
        )?;
        if n == 0 {
            return Err(Error::DocumentNotFound {
                slug: slug.to_owned(),
            });
        }
        Ok(())
    }

    fn document_id(&self, slug: &str) -> Result<i64> {
        document_id(&self.conn, slug)
    }
}

/// `slug` is held by no document, in the Trash or not.
fn slug_free(conn: &Connection, slug: &str) -> Result<()> {
    let trashed: Option<bool> = conn
        .query_row(
            "SELECT deleted_at IS NOT NULL FROM documents WHERE slug = ?1",
            [slug],
            |r| r.get(0),
        )
        .optional()?;
    let slug = slug.to_owned();
    match trashed {
        None => Ok(()),
        Some(false) => Err(Error::DuplicateSlug { slug }),
        Some(true) => Err(Error::SlugInTrash { slug }),
    }
}

/// The row id of `slug`, or `DocumentNotFound`. Works on a connection or a transaction.
pub(super) fn document_id(conn: &Connection, slug: &str) -> Result<i64> {
    conn.query_row(
        "SELECT id FROM documents WHERE slug = ?1 AND deleted_at IS NULL",
        [slug],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::DocumentNotFound {
        slug: slug.to_owned(),
    })
}

fn id_and_source(conn: &Connection, slug: &str) -> Result<(i64, String)> {
    conn.query_row(
        "SELECT id, source FROM documents WHERE slug = ?1 AND deleted_at IS NULL",
        [slug],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| Error::DocumentNotFound {
        slug: slug.to_owned(),
    })
}

/// A new text for document `id`: its derived columns, then one history entry.
/// Returns the history entry's id.
fn write_revision(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    slug: &str,
    source: &str,
    change: Option<&str>,
    derived: &Derived,
    at: &str,
) -> Result<i64> {
    let content_revision = write_derived(tx, id, slug, derived)?;
    tx.execute(
        "INSERT INTO revisions (document_id, source, content_revision, created_at, change)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, source, content_revision, at, change],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Writes the derived columns; returns the content revision (None on a parse problem).
fn write_derived(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    slug: &str,
    derived: &Derived,
) -> Result<Option<String>> {
    match derived {
        Derived::Parsed(p) => {
            let revision = Content {
                slug: slug.to_owned(),
                title: p.title.clone(),
                markdown: p.body.clone(),
                tags: p.tags.clone(),
                front_matter: p.front_matter.clone(),
            }
            .revision();
            tx.execute(
                "UPDATE documents SET title = ?2, body = ?3, tags = ?4, front_matter = ?5,
                     parse_error = NULL, parse_error_line = NULL, content_revision = ?6,
                     search_text = ?7
                 WHERE id = ?1",
                params![
                    id,
                    p.title,
                    p.body,
                    serde_json::to_string(&p.tags).expect("strings serialize"),
                    serde_json::to_string(&p.front_matter).expect("JSON values serialize"),
                    revision,
                    markdown::plain_text(&p.body),
                ],
            )?;
            Ok(Some(revision))
        }
        Derived::Problem(problem) => {
            tx.execute(
                "UPDATE documents SET parse_error = ?2, parse_error_line = ?3,
                     content_revision = NULL WHERE id = ?1",
                params![id, problem.message, problem.line as i64],
            )?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_list_reads_only_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("w.db")).unwrap();
        let plan: Vec<String> = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", list_sql()))
            .unwrap()
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            plan,
            ["SCAN documents USING COVERING INDEX documents_list"],
            "the list must not read the documents' rows"
        );
    }
}
