//! The webhook outbox's storage. A publish and one delivery per target site are
//! written in one transaction, so either every site will be told or none was
//! recorded; every attempt is kept; a delivery's state only moves forward through
//! `record_attempt` or an explicit redelivery.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, timestamp_after, Store};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Given up (retries exhausted, redirect, or the site is gone).
    Failed,
    /// The site rejected the webhook (4xx): a setting to fix, not retried blindly.
    ConfigError,
    /// The site was removed or disabled before the delivery was made.
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::ConfigError => "config_error",
            DeliveryState::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> DeliveryState {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            "config_error" => DeliveryState::ConfigError,
            "cancelled" => DeliveryState::Cancelled,
            _ => DeliveryState::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub publish_id: i64,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub slug: String,
    pub revision: String,
    /// `webhook-id`: the same on every attempt and redelivery.
    pub message_id: String,
    pub body: String,
    pub state: DeliveryState,
    pub attempt_count: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub started_at: String,
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    pub response_headers: serde_json::Map<String, serde_json::Value>,
    /// The first 2 KB of the response body.
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// A delivery the worker is about to attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    pub publish_id: i64,
    pub site_id: Option<i64>,
    /// `webhook-id`.
    pub message_id: String,
    pub body: String,
    pub attempt_count: u32,
}

/// What one attempt produced, and where it leaves the delivery.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub started_at: String,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub response_headers: serde_json::Map<String, serde_json::Value>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub next: NextStep,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NextStep {
    Delivered,
    /// Try again after this many milliseconds.
    RetryIn(u64),
    Failed(String),
    ConfigError(String),
    Cancelled(String),
}

/// One delivery to enqueue with a publish.
pub struct NewDelivery {
    pub site_id: i64,
    pub message_id: String,
    pub body: String,
}

/// Every column of a `Delivery`; `{last_status}` is the expression for the status of
/// the latest attempt, which only the delivery log needs.
const DELIVERY_SELECT: &str = "SELECT d.id, d.publish_id, d.site_id, s.name, p.slug, p.revision,
        d.message_id, d.body, d.state, d.attempt_count, d.next_attempt_at, d.last_error,
        {last_status}, d.created_at, d.updated_at
     FROM deliveries d
     JOIN publishes p ON p.id = d.publish_id
     LEFT JOIN sites s ON s.id = d.site_id";

fn delivery_select(with_last_status: bool) -> String {
    DELIVERY_SELECT.replace(
        "{last_status}",
        if with_last_status {
            "(SELECT a.status FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1)"
        } else {
            "NULL"
        },
    )
}

/// `head` followed by `rows` tuples of `width` numbered parameters each, starting
/// after the first `shared` parameters; `extra(i)` adds to tuple `i` after them.
fn values_sql(
    head: &str,
    rows: usize,
    width: usize,
    shared: usize,
    extra: impl Fn(usize) -> String,
) -> String {
    let mut sql = String::from(head);
    for i in 0..rows {
        let first = shared + i * width + 1;
        let params: Vec<String> = (first..first + width).map(|p| format!("?{p}")).collect();
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("({}{})", params.join(", "), extra(i)));
    }
    sql
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let state: String = r.get(8)?;
    Ok(Delivery {
        id: r.get(0)?,
        publish_id: r.get(1)?,
        site_id: r.get(2)?,
        site_name: r.get(3)?,
        slug: r.get(4)?,
        revision: r.get(5)?,
        message_id: r.get(6)?,
        body: r.get(7)?,
        state: DeliveryState::parse(&state),
        attempt_count: r.get(9)?,
        next_attempt_at: r.get(10)?,
        last_error: r.get(11)?,
        last_status: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

impl Store {
    /// Records a publish (or unpublish) of `slug` and enqueues its deliveries, in one
    /// transaction; marks the document's published revision. Returns the publish id.
    pub fn record_publish_with_deliveries(
        &mut self,
        slug: &str,
        revision: &str,
        source: &str,
        unpublish: bool,
        deliveries: &[NewDelivery],
    ) -> Result<i64> {
        let tx = self.write_transaction()?;
        let document_id = super::documents::document_id(&tx, slug).ok();
        let ts = now();
        if let Some(id) = document_id {
            tx.execute(
                "UPDATE documents SET published_revision = ?2 WHERE id = ?1",
                params![id, if unpublish { None } else { Some(revision) }],
            )?;
        }
        tx.execute(
            "INSERT INTO publishes (document_id, slug, revision, kind, source, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                document_id,
                slug,
                revision,
                if unpublish {
                    "unpublished"
                } else {
                    "published"
                },
                source,
                ts
            ],
        )?;
        let publish_id = tx.last_insert_rowid();
        // Many rows per statement: a fan-out to many sites is one of the hot paths.
        const ROWS: usize = 64;
        for chunk in deliveries.chunks(ROWS) {
            let mut insert = tx.prepare_cached(&values_sql(
                "INSERT INTO deliveries (site_id, message_id, body, publish_id, state,
                     next_attempt_at, created_at, updated_at) VALUES ",
                chunk.len(),
                3,
                2,
                |_| ", ?1, 'pending', ?2, ?2, ?2".into(),
            ))?;
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 3 + 2);
            values.push(&publish_id);
            values.push(&ts);
            for d in chunk {
                values.extend([&d.site_id as &dyn rusqlite::ToSql, &d.message_id, &d.body]);
            }
            insert.execute(values.as_slice())?;
        }
        tx.commit()?;
        Ok(publish_id)
    }

    /// Pending deliveries due at or before `at` (RFC 3339), oldest first: what the
    /// worker needs to send them, nothing more (a fan-out reads thousands).
    pub fn due_deliveries(&self, at: &str, limit: usize) -> Result<Vec<DueDelivery>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, publish_id, site_id, message_id, body, attempt_count FROM deliveries
             WHERE state = 'pending' AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![at, limit as i64], |r| {
            Ok(DueDelivery {
                id: r.get(0)?,
                publish_id: r.get(1)?,
                site_id: r.get(2)?,
                message_id: r.get(3)?,
                body: r.get(4)?,
                attempt_count: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the next pending delivery is due, if any (optionally of one publish).
    pub fn next_due_at(&self, publish_id: Option<i64>) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT min(next_attempt_at) FROM deliveries
             WHERE state = 'pending' AND (?1 IS NULL OR publish_id = ?1)",
            [publish_id],
            |r| r.get(0),
        )?)
    }

    pub fn deliveries_of(&self, publish_id: i64) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE d.publish_id = ?1 ORDER BY d.id",
            delivery_select(true)
        ))?;
        let rows = stmt.query_map([publish_id], delivery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The delivery log, newest first; `failed_only` keeps failed and config errors.
    pub fn deliveries(&self, failed_only: bool, limit: usize) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE (?1 = 0 OR d.state IN ('failed', 'config_error'))
             ORDER BY d.id DESC LIMIT ?2",
            delivery_select(true)
        ))?;
        let rows = stmt.query_map(params![failed_only, limit as i64], delivery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn delivery(&self, id: i64) -> Result<Delivery> {
        self.conn
            .query_row(
                &format!("{} WHERE d.id = ?1", delivery_select(true)),
                [id],
                delivery_from_row,
            )
            .optional()?
            .ok_or(Error::DeliveryNotFound { id })
    }

    pub fn attempts(&self, delivery_id: i64) -> Result<Vec<Attempt>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, delivery_id, started_at, status, latency_ms, response_headers,
                    response_body, error
             FROM attempts WHERE delivery_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([delivery_id], |r| {
            let headers: Option<String> = r.get(5)?;
            Ok(Attempt {
                id: r.get(0)?,
                delivery_id: r.get(1)?,
                started_at: r.get(2)?,
                status: r.get(3)?,
                latency_ms: r.get::<_, Option<i64>>(4)?.map(|ms| ms as u64),
                response_headers: headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                response_body: r.get(6)?,
                error: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores an attempt and moves its delivery on, in one transaction.
    pub fn record_attempt(&mut self, delivery_id: i64, attempt: &AttemptRecord) -> Result<()> {
        self.record_attempts(&[(delivery_id, attempt.clone())])
    }

    /// Stores finished attempts and moves their deliveries on, all in one transaction
    /// (a fan-out to many sites commits in a few batches instead of one per site).
    pub fn record_attempts(&mut self, attempts: &[(i64, AttemptRecord)]) -> Result<()> {
        const ROWS: usize = 64;
        let tx = self.write_transaction()?;
        let ts = now();
        for chunk in attempts.chunks(ROWS) {
            let headers: Vec<String> = chunk
                .iter()
                .map(|(_, a)| serde_json::to_string(&a.response_headers).expect("serializes"))
                .collect();
            let latencies: Vec<i64> = chunk.iter().map(|(_, a)| a.latency_ms as i64).collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 7);
            for (((delivery_id, a), headers), latency) in chunk.iter().zip(&headers).zip(&latencies)
            {
                values.extend([
                    delivery_id as &dyn rusqlite::ToSql,
                    &a.started_at,
                    &a.status,
                    latency,
                    headers,
                    &a.response_body,
                    &a.error,
                ]);
            }
            tx.prepare_cached(&values_sql(
                "INSERT INTO attempts (delivery_id, started_at, status, latency_ms,
                     response_headers, response_body, error) VALUES ",
                chunk.len(),
                7,
                0,
                |_| String::new(),
            ))?
            .execute(values.as_slice())?;

            // Delivered ones all move to the same state: one statement for them.
            let delivered: Vec<&i64> = chunk
                .iter()
                .filter(|(_, a)| a.next == NextStep::Delivered)
                .map(|(id, _)| id)
                .collect();
            if !delivered.is_empty() {
                let list = (0..delivered.len())
                    .map(|i| format!("?{}", i + 2))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut values: Vec<&dyn rusqlite::ToSql> = vec![&ts];
                values.extend(delivered.iter().map(|id| *id as &dyn rusqlite::ToSql));
                tx.prepare_cached(&format!(
                    "UPDATE deliveries SET state = 'delivered', attempt_count = attempt_count + 1,
                         next_attempt_at = NULL, last_error = NULL, updated_at = ?1
                     WHERE id IN ({list})"
                ))?
                .execute(values.as_slice())?;
            }
            let mut update = tx.prepare_cached(
                "UPDATE deliveries SET state = ?2, attempt_count = attempt_count + 1,
                     next_attempt_at = ?3, last_error = ?4, updated_at = ?5
                 WHERE id = ?1",
            )?;
            for (delivery_id, attempt) in chunk {
                let (state, next_at, error) = match &attempt.next {
                    NextStep::Delivered => continue,
                    NextStep::RetryIn(ms) => (
                        DeliveryState::Pending,
                        Some(timestamp_after(std::time::Duration::from_millis(*ms))),
                        attempt.error.clone(),
                    ),
                    NextStep::Failed(why) => (DeliveryState::Failed, None, Some(why.clone())),
                    NextStep::ConfigError(why) => {
                        (DeliveryState::ConfigError, None, Some(why.clone()))
                    }
                    NextStep::Cancelled(why) => (DeliveryState::Cancelled, None, Some(why.clone())),
                };
                update.execute(params![delivery_id, state.as_str(), next_at, error, ts])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks a delivery that will not be attempted (its site is gone or disabled).
    pub fn cancel_delivery(&mut self, delivery_id: i64, why: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET state = 'cancelled', next_attempt_at = NULL,
                 last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![delivery_id, why, now()],
        )?;
        Ok(())
    }

    /// Queues a delivery again, now, keeping its `webhook-id` and its attempt log.
    pub fn redeliver(&mut self, delivery_id: i64) -> Result<Delivery> {
        let delivery = self.delivery(delivery_id)?;
        let site_id = delivery.site_id.ok_or_else(|| Error::InvalidSite {
            reason: "the site of this delivery was removed".into(),
        })?;
        let site = self
            .site_by_id(site_id)?
            .ok_or_else(|| Error::InvalidSite {
                reason: "the site of this delivery was removed".into(),
            })?;
        if !site.enabled {
            return Err(Error::InvalidSite {
                reason: format!(
                    "{} is disabled ({}); enable it with `pressroom site enable {}` first",
                    site.name,
                    site.disabled_reason.as_deref().unwrap_or("by the user"),
                    site.name
                ),
            });
        }
        let ts = now();
        self.conn.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2, last_error = NULL,
                 updated_at = ?2 WHERE id = ?1",
            params![delivery_id, ts],
        )?;
        self.delivery(delivery_id)
    }

    /// A publish: what was published, exactly (for the side-by-side view and for
    /// confirming it again after a re-send).
    pub fn publish_record(&self, publish_id: i64) -> Result<PublishRecord> {
        self.conn
            .query_row(
                "SELECT id, slug, revision, kind, source, created_at FROM publishes WHERE id = ?1",
                [publish_id],
                |r| {
                    Ok(PublishRecord {
                        id: r.get(0)?,
                        slug: r.get(1)?,
                        revision: r.get(2)?,
                        unpublished: r.get::<_, String>(3)? == "unpublished",
                        source: r.get(4)?,
                        created_at: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::PublishNotFound { id: publish_id })
    }

    /// The newest publish in the workspace, if any.
    pub fn latest_publish(&self) -> Result<Option<PublishRecord>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM publishes WHERE kind = 'published' ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.publish_record(id)).transpose()
    }

    /// The latest publish of `slug` before publish `before`, if any.
    pub fn previous_publish(&self, slug: &str, before: i64) -> Result<Option<PublishRecord>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM publishes WHERE slug = ?1 AND kind = 'published' AND id < ?2
                 ORDER BY id DESC LIMIT 1",
                params![slug, before],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.publish_record(id)).transpose()
    }
}

/// One publish (or unpublish) of a document, as recorded locally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishRecord {
    pub id: i64,
    pub slug: String,
    pub revision: String,
    pub unpublished: bool,
    pub source: String,
    pub created_at: String,
}
