//! What each image of the workspace is (its bytes are files: `crate::assets`): the only
//! place these rows are read and written.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Store};
use crate::assets::Asset;
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
}
