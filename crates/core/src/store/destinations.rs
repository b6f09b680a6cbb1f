//! The CMSs a workspace publishes to (WordPress, Directus), the sites that read from
//! each, and the post each document became in each: the only place these rows are
//! read and written.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, Store};
use crate::cms::RemotePost;
use crate::directus::FieldMapping;
use crate::error::{Error, Result};

/// A CMS to publish to. The password is in the secret store under `secret_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Destination {
    pub id: i64,
    pub name: String,
    /// "wordpress" or "directus".
    pub kind: String,
    /// The REST root (WordPress) or the server's address (Directus).
    pub url: String,
    /// WordPress's user name; empty for Directus (a token alone).
    pub user: String,
    /// Directus: the collection and which of its fields hold what.
    pub mapping: Option<FieldMapping>,
    /// The widest image it takes, in pixels: wider ones go as a downscaled copy (0: as
    /// they are).
    pub image_max_width: u32,
    #[serde(skip)]
    #[ts(skip)]
    pub secret_ref: String,
    pub created_at: String,
}

/// A document's link to a post (see `remote_link`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLink {
    pub slug: String,
    pub modified: String,
    pub synced_revision: Option<String>,
}

const COLUMNS: &str =
    "id, name, kind, url, user, secret_ref, created_at, settings, image_max_width";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Destination> {
    Ok(Destination {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        url: r.get(3)?,
        user: r.get(4)?,
        secret_ref: r.get(5)?,
        created_at: r.get(6)?,
        mapping: serde_json::from_str::<Option<FieldMapping>>(&r.get::<_, String>(7)?).map_err(
            |e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, e.into()),
        )?,
        image_max_width: r.get(8)?,
    })
}

impl Store {
    /// Records a destination; its name must be new. Returns it.
    pub fn add_destination(
        &mut self,
        name: &str,
        kind: &str,
        url: &str,
        user: &str,
        secret_ref: &str,
        mapping: Option<&FieldMapping>,
    ) -> Result<Destination> {
        let tx = self.write_transaction()?;
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM destinations WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::InvalidDestination {
                reason: format!("a destination named {name:?} exists already"),
            });
        }
        tx.execute(
            "INSERT INTO destinations (name, kind, url, user, secret_ref, created_at, settings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                name,
                kind,
                url,
                user,
                secret_ref,
                now(),
                serde_json::to_string(&mapping).expect("serializes")
            ],
        )?;
        tx.commit()?;
        self.destination(name)
    }

    /// Sets the widest image destination `name` takes (0: as they are).
    pub fn set_destination_image_max_width(
        &mut self,
        name: &str,
        width: u32,
    ) -> Result<Destination> {
        let changed = self.conn.execute(
            "UPDATE destinations SET image_max_width = ?2 WHERE name = ?1",
            params![name, width],
        )?;
        if changed == 0 {
            return Err(Error::DestinationNotFound {
                name: name.to_owned(),
            });
        }
        self.destination(name)
    }

    pub fn destinations(&self) -> Result<Vec<Destination>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM destinations ORDER BY name"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn destination(&self, name: &str) -> Result<Destination> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM destinations WHERE name = ?1"),
                [name],
                from_row,
            )
            .optional()?
            .ok_or_else(|| Error::DestinationNotFound {
                name: name.to_owned(),
            })
    }

    /// How many documents have a post in destination `id` that Pressroom knows of.
    pub fn remote_post_count(&self, id: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM remote_posts WHERE destination_id = ?1",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Changes where a destination is and who logs in (its kind and name stay).
    pub fn update_destination(
        &mut self,
        name: &str,
        url: &str,
        user: &str,
        mapping: Option<&FieldMapping>,
    ) -> Result<Destination> {
        // Moved elsewhere: what was uploaded to the old address is not known there.
        self.conn.execute(
            "DELETE FROM asset_uploads WHERE target = 'destination ' || (
                 SELECT id FROM destinations WHERE name = ?1 AND url IS NOT ?2)",
            params![name, url],
        )?;
        let n = self.conn.execute(
            "UPDATE destinations SET url = ?2, user = ?3, settings = ?4 WHERE name = ?1",
            params![
                name,
                url,
                user,
                serde_json::to_string(&mapping).expect("serializes")
            ],
        )?;
        if n == 0 {
            return Err(Error::DestinationNotFound {
                name: name.to_owned(),
            });
        }
        self.destination(name)
    }

    /// The sites (not removed) that read from destination `id`.
    pub fn sites_reading(&self, id: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name FROM sites WHERE destination_id = ?1 AND removed_at IS NULL ORDER BY name",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets a destination and where documents were in it (the posts stay there).
    /// Refused while a site reads from it; removed sites let go of it.
    pub fn remove_destination(&mut self, name: &str) -> Result<Destination> {
        let destination = self.destination(name)?;
        let readers = self.sites_reading(destination.id)?;
        if !readers.is_empty() {
            return Err(Error::InvalidDestination {
                reason: format!(
                    "site(s) {} read from {name:?}; point them elsewhere or remove them first",
                    readers.join(", ")
                ),
            });
        }
        let tx = self.write_transaction()?;
        tx.execute(
            "UPDATE sites SET destination_id = NULL WHERE destination_id = ?1",
            [destination.id],
        )?;
        tx.execute("DELETE FROM destinations WHERE id = ?1", [destination.id])?;
        // Its uploads went with it (and its id may be given to another one).
        tx.execute(
            "DELETE FROM asset_uploads WHERE target = 'destination ' || ?1",
            [destination.id],
        )?;
        tx.commit()?;
        Ok(destination)
    }

    /// The revision the content API holds of `slug`, as this workspace last wrote it:
    /// the base of its next publish there.
    pub fn api_revision(&self, slug: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT api_revision FROM documents WHERE slug = ?1",
                [slug],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Records what the content API holds of `slug` now (`None`: nothing).
    pub fn set_api_revision(&mut self, slug: &str, revision: Option<&str>) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE documents SET api_revision = ?2 WHERE slug = ?1",
            params![slug, revision],
        )?;
        if n == 0 {
            return Err(Error::DocumentNotFound {
                slug: slug.to_owned(),
            });
        }
        Ok(())
    }

    /// The document linked to post `remote_id` of destination `id`, if any: its slug,
    /// the post's modified time then, and the draft revision they agreed on.
    pub fn remote_link(&self, id: i64, remote_id: &str) -> Result<Option<RemoteLink>> {
        Ok(self
            .conn
            .query_row(
                "SELECT d.slug, r.modified, r.synced_revision
                 FROM remote_posts r JOIN documents d ON d.id = r.document_id
                 WHERE r.destination_id = ?1 AND r.remote_id = ?2",
                params![id, remote_id],
                |r| {
                    Ok(RemoteLink {
                        slug: r.get(0)?,
                        modified: r.get(1)?,
                        synced_revision: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// The post `slug` became in `destination`, if it was published there (also for a
    /// document in the Trash: its post is still online until taken down).
    pub fn remote_post(&self, slug: &str, destination: i64) -> Result<Option<RemotePost>> {
        Ok(self
            .conn
            .query_row(
                "SELECT r.remote_id, r.modified, r.link FROM remote_posts r
                 JOIN documents d ON d.id = r.document_id
                 WHERE d.slug = ?1 AND r.destination_id = ?2",
                params![slug, destination],
                |r| {
                    Ok(RemotePost {
                        id: r.get(0)?,
                        modified: r.get(1)?,
                        link: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records where `slug` is in `destination` now, and the draft revision the post
    /// agrees with (`None`: no longer there).
    pub fn set_remote_post(
        &mut self,
        slug: &str,
        destination: i64,
        post: Option<(&RemotePost, &str)>,
    ) -> Result<()> {
        let tx = self.write_transaction()?;
        let document: i64 = tx
            .query_row("SELECT id FROM documents WHERE slug = ?1", [slug], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound {
                slug: slug.to_owned(),
            })?;
        match post {
            Some((post, synced)) => tx.execute(
                "INSERT INTO remote_posts (document_id, destination_id, remote_id, modified, link,
                     synced_revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (document_id, destination_id) DO UPDATE SET
                     remote_id = excluded.remote_id, modified = excluded.modified,
                     link = excluded.link, synced_revision = excluded.synced_revision",
                params![
                    document,
                    destination,
                    post.id,
                    post.modified,
                    post.link,
                    synced
                ],
            )?,
            None => tx.execute(
                "DELETE FROM remote_posts WHERE document_id = ?1 AND destination_id = ?2",
                params![document, destination],
            )?,
        };
        tx.commit()?;
        Ok(())
    }
}
