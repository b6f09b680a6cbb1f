//! Live confirmations: for each (publish, site), the outcome and every poll of the page.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::Result;
use crate::stage::Stage;

/// How a confirmation ended — and what one poll saw (the last poll's verdict is the
/// outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The page serves the published revision.
    Live,
    /// The page still serves an older version.
    Stale,
    /// The page answered with an HTTP error.
    HttpError,
    /// The page could not be fetched at all.
    Unreachable,
}

/// How "live" was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The revision marker (meta tag or header) equals the published revision.
    Exact,
    /// No marker: the page's visible text contains the new title and text.
    Heuristic,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Live => "live",
            Outcome::Stale => "stale",
            Outcome::HttpError => "http_error",
            Outcome::Unreachable => "unreachable",
        }
    }
    fn parse(text: &str) -> Outcome {
        match text {
            "live" => Outcome::Live,
            "stale" => Outcome::Stale,
            "http_error" => Outcome::HttpError,
            _ => Outcome::Unreachable,
        }
    }
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Heuristic => "heuristic",
        }
    }
}

/// One fetch of the page, as a visitor would make it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Poll {
    /// Since the confirmation started.
    pub elapsed_ms: u64,
    pub status: Option<u16>,
    pub x_nextjs_cache: Option<String>,
    pub age: Option<String>,
    pub cache_control: Option<String>,
    pub etag: Option<String>,
    /// Cache layers in front of the site (a CDN, a caching proxy): Cloudflare's,
    /// Vercel's, and the common `x-cache`/`x-cache-status`.
    pub cf_cache_status: Option<String>,
    pub x_vercel_cache: Option<String>,
    pub x_cache: Option<String>,
    /// The instance that answered, as it names itself (`x-instance-id`).
    pub instance: Option<String>,
    /// The revision marker the page carried, if any.
    pub seen_revision: Option<String>,
    pub verdict: Outcome,
    pub error: Option<String>,
}

/// A finished confirmation of one site.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConfirmationRecord {
    pub id: i64,
    pub publish_id: i64,
    pub site_id: Option<i64>,
    pub site_name: String,
    pub url: String,
    /// The instance origin the URL was fetched through (none: as the public reaches it).
    pub instance: Option<String>,
    pub revision: String,
    pub outcome: Outcome,
    pub method: Option<Method>,
    pub message: String,
    /// Visible text of the last page fetched (for the side-by-side view).
    pub page_text: Option<String>,
    /// The last page fetched, sanitized (no scripts, no handlers), capped.
    pub page_html: Option<String>,
    /// Its styles: stylesheet links and inline `<style>` text (`Confirmer::page_css`
    /// turns them into one stylesheet for the side-by-side view).
    pub page_styles: Option<crate::confirm::PageStyles>,
    pub started_at: String,
    pub finished_at: String,
    pub polls: Vec<Poll>,
}

/// What `record_from_row` reads, in its order.
const RECORD_COLUMNS: &str = "id, publish_id, site_id, site_name, url, revision, outcome, \
     method, message, page_text, page_html, started_at, finished_at, instance, page_styles";

fn record_from_row(r: &Row<'_>) -> rusqlite::Result<ConfirmationRecord> {
    let outcome: String = r.get(6)?;
    let method: Option<String> = r.get(7)?;
    Ok(ConfirmationRecord {
        id: r.get(0)?,
        publish_id: r.get(1)?,
        site_id: r.get(2)?,
        site_name: r.get(3)?,
        url: r.get(4)?,
        revision: r.get(5)?,
        outcome: Outcome::parse(&outcome),
        method: method.map(|m| {
            if m == "exact" {
                Method::Exact
            } else {
                Method::Heuristic
            }
        }),
        message: r.get(8)?,
        page_text: r.get(9)?,
        page_html: r.get(10)?,
        started_at: r.get(11)?,
        finished_at: r.get(12)?,
        instance: r.get(13)?,
        page_styles: r
            .get::<_, Option<String>>(14)?
            .and_then(|json| serde_json::from_str(&json).ok()),
        polls: Vec::new(),
    })
}

impl Store {
    /// Stores a site's finished confirmations (one per URL and instance) with all their
    /// polls and, when `owner` still holds delivery `delivery_id`'s confirmation, moves
    /// it to `stage` (no confirmation owed any more), in one transaction; returns
    /// whether the delivery moved. (`id` and `polls[..]` ids of the arguments are
    /// ignored.)
    pub fn record_confirmation(
        &mut self,
        owner: &str,
        delivery_id: i64,
        records: &[ConfirmationRecord],
        stage: &Stage,
    ) -> Result<bool> {
        let tx = self.write_transaction()?;
        let moved = tx.execute(
            "UPDATE deliveries SET stage = ?2, confirm_timeout_ms = NULL, lease_owner = NULL,
                 lease_until = NULL, updated_at = ?3
             WHERE id = ?1 AND state = 'delivered' AND lease_owner IS ?4",
            params![delivery_id, stage.to_json(), super::now(), owner],
        )? > 0;
        for c in records {
            tx.prepare_cached(
                "INSERT INTO confirmations (publish_id, site_id, site_name, url, revision,
                     outcome, method, message, page_text, page_html, started_at, finished_at,
                     instance, page_styles)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                c.publish_id,
                c.site_id,
                c.site_name,
                c.url,
                c.revision,
                c.outcome.as_str(),
                c.method.map(Method::as_str),
                c.message,
                c.page_text,
                c.page_html,
                c.started_at,
                c.finished_at,
                c.instance,
                c.page_styles
                    .as_ref()
                    .map(|s| serde_json::to_string(s).expect("serializes"))
            ])?;
            let id = tx.last_insert_rowid();
            let mut insert = tx.prepare_cached(
                "INSERT INTO polls (confirmation_id, elapsed_ms, status, x_nextjs_cache, age,
                     cache_control, etag, seen_revision, verdict, error, cf_cache_status,
                     x_vercel_cache, x_cache, instance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for p in &c.polls {
                insert.execute(params![
                    id,
                    p.elapsed_ms as i64,
                    p.status,
                    p.x_nextjs_cache,
                    p.age,
                    p.cache_control,
                    p.etag,
                    p.seen_revision,
                    p.verdict.as_str(),
                    p.error,
                    p.cf_cache_status,
                    p.x_vercel_cache,
                    p.x_cache,
                    p.instance
                ])?;
            }
        }
        tx.commit()?;
        Ok(moved)
    }

    /// A page of `site` to show a draft of `slug` in the site's theme (without its
    /// polls): the page the latest confirmed publish of `slug` fetched, else the
    /// latest page the site served for any document — a site's page is the first
    /// place its confirmation fetched (listings and other instances come after).
    pub fn theme_page(&self, site: &str, slug: &str) -> Result<Option<ConfirmationRecord>> {
        const FIRST_PAGE: &str = "site_name = ?1 AND page_html IS NOT NULL
             AND id = (SELECT MIN(f.id) FROM confirmations f
                       WHERE f.publish_id = confirmations.publish_id AND f.site_name = ?1)";
        let own = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM confirmations
                 WHERE publish_id IN (SELECT id FROM publishes WHERE slug = ?2
                                      ORDER BY id DESC LIMIT 20)
                   AND {FIRST_PAGE}
                 ORDER BY publish_id DESC LIMIT 1"
            ))?
            .query_row(params![site, slug], record_from_row)
            .optional()?;
        if own.is_some() {
            return Ok(own);
        }
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM confirmations WHERE {FIRST_PAGE}
                 ORDER BY id DESC LIMIT 1"
            ))?
            .query_row(params![site], record_from_row)
            .optional()?)
    }

    /// The confirmations of a publish, with their polls, in the order they finished.
    pub fn confirmations_of(&self, publish_id: i64) -> Result<Vec<ConfirmationRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM confirmations WHERE publish_id = ?1 ORDER BY id"
        ))?;
        let mut records = stmt
            .query_map([publish_id], record_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut polls = self.conn.prepare_cached(
            "SELECT elapsed_ms, status, x_nextjs_cache, age, cache_control, etag,
                    seen_revision, verdict, error, cf_cache_status, x_vercel_cache, x_cache,
                    instance
             FROM polls WHERE confirmation_id = ?1 ORDER BY id",
        )?;
        for record in &mut records {
            record.polls = polls
                .query_map([record.id], |r| {
                    let verdict: String = r.get(7)?;
                    Ok(Poll {
                        elapsed_ms: r.get::<_, i64>(0)? as u64,
                        status: r.get(1)?,
                        x_nextjs_cache: r.get(2)?,
                        age: r.get(3)?,
                        cache_control: r.get(4)?,
                        etag: r.get(5)?,
                        seen_revision: r.get(6)?,
                        verdict: Outcome::parse(&verdict),
                        error: r.get(8)?,
                        cf_cache_status: r.get(9)?,
                        x_vercel_cache: r.get(10)?,
                        x_cache: r.get(11)?,
                        instance: r.get(12)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
        }
        Ok(records)
    }
}
