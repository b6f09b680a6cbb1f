//! What each image of the workspace is (its bytes are files: `crate::assets`): the only
//! place these rows are read and written.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Store};
use crate::assets::{Asset, Upload};
use crate::error::{Error, Result};

const COLUMNS: &str = "sha256, name, mime, bytes, width, height";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Asset> {
    Ok(Asset {
        sha256: r.get(0)?,
        name: r.get(1)?,
        mime: r.get(2)?,
        bytes: r.get::<_, i64>(3)? as u64,
        width: r.get(4)?,
        height: r.get(5)?,
    })
}

impl Store {
    /// Records `asset`; one already recorded stays as it was (its first name).
    pub fn add_asset(&mut self, asset: &Asset) -> Result<Asset> {
        self.conn.execute(
            "INSERT INTO assets (sha256, name, mime, bytes, width, height, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sha256) DO NOTHING",
            params![
                asset.sha256,
                asset.name,
                asset.mime,
                asset.bytes as i64,
                asset.width,
                asset.height,
                now()
            ],
        )?;
        self.asset(&asset.sha256)
    }

    pub fn asset(&self, sha256: &str) -> Result<Asset> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM assets WHERE sha256 = ?1"),
                [sha256],
                from_row,
            )
            .optional()?
            .ok_or_else(|| Error::AssetNotFound {
                sha256: sha256.to_owned(),
            })
    }

    /// Where image `sha256` was uploaded for `target`, if it was.
    pub fn uploaded(&self, target: &str, sha256: &str) -> Result<Option<Upload>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, remote_id FROM asset_uploads WHERE target = ?1 AND sha256 = ?2",
                params![target, sha256],
                |r| {
                    Ok(Upload {
                        url: r.get(0)?,
                        id: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records that image `sha256` is `upload` for `target`.
    pub fn set_uploaded(&mut self, target: &str, sha256: &str, upload: &Upload) -> Result<()> {
        self.conn.execute(
            "INSERT INTO asset_uploads (target, sha256, url, remote_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (target, sha256) DO UPDATE SET url = excluded.url,
                 remote_id = excluded.remote_id",
            params![target, sha256, upload.url, upload.id, now()],
        )?;
        Ok(())
    }

    /// The copy of image `sha256` made for destinations `max_width` wide, if made.
    pub fn asset_copy(&self, sha256: &str, max_width: u32) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT copy FROM asset_copies WHERE sha256 = ?1 AND max_width = ?2",
                params![sha256, max_width],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records that `copy` is image `sha256` for destinations `max_width` wide.
    pub fn set_asset_copy(&mut self, sha256: &str, max_width: u32, copy: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO asset_copies (sha256, max_width, copy) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256, max_width) DO UPDATE SET copy = excluded.copy",
            params![sha256, max_width, copy],
        )?;
        Ok(())
    }

    /// Every copy made of image `sha256` (besides itself).
    pub fn asset_copies(&self, sha256: &str) -> Result<Vec<String>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT DISTINCT copy FROM asset_copies WHERE sha256 = ?1 AND copy <> sha256",
        )?;
        let copies = statement
            .query_map([sha256], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(copies)
    }
}
