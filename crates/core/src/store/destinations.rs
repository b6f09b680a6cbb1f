//! The CMSs a workspace publishes to (WordPress today), and the post each document
//! became in each: the only place these rows are read and written.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, Store};
use crate::error::{Error, Result};
use crate::wordpress::RemotePost;

/// A CMS to publish to. The password is in the secret store under `secret_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Destination {
    pub id: i64,
    pub name: String,
    /// "wordpress".
    pub kind: String,
    /// The REST root.
    pub url: String,
    pub user: String,
    #[serde(skip)]
    #[ts(skip)]
    pub secret_ref: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, name, kind, url, user, secret_ref, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Destination> {
    Ok(Destination {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        url: r.get(3)?,
        user: r.get(4)?,
        secret_ref: r.get(5)?,
        created_at: r.get(6)?,
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
            "INSERT INTO destinations (name, kind, url, user, secret_ref, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![name, kind, url, user, secret_ref, now()],
        )?;
        tx.commit()?;
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

    /// Forgets a destination and where documents were in it (the posts stay there).
    pub fn remove_destination(&mut self, name: &str) -> Result<Destination> {
        let destination = self.destination(name)?;
        self.conn
            .execute("DELETE FROM destinations WHERE id = ?1", [destination.id])?;
        Ok(destination)
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
                        id: r.get::<_, i64>(0)? as u64,
                        modified_gmt: r.get(1)?,
                        link: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records where `slug` is in `destination` now (`None`: no longer there).
    pub fn set_remote_post(
        &mut self,
        slug: &str,
        destination: i64,
        post: Option<&RemotePost>,
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
            Some(post) => tx.execute(
                "INSERT INTO remote_posts (document_id, destination_id, remote_id, modified, link)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (document_id, destination_id) DO UPDATE SET
                     remote_id = excluded.remote_id, modified = excluded.modified,
                     link = excluded.link",
                params![
                    document,
                    destination,
                    post.id as i64,
                    post.modified_gmt,
                    post.link
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
