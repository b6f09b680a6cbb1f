//! The webhook outbox's storage. A publish and one delivery per target site are
//! committed together (in one transaction, or with a fan-out's later deliveries kept
//! as one record of their publish until they are written: `enqueue_publish`,
//! `Handed`), so either every site will be
//! told or none was recorded; every attempt is kept; a delivery's state only moves
//! forward through `record_attempt` or an explicit redelivery. The webhook body that
//! most of a publish's deliveries send is stored once, with the publish
//! (`deliveries.shared_body`): a fan-out writes each site's row without it.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, timestamp_after, Store};
use crate::error::{Error, Result};
use crate::stage::Stage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
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

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
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
    /// Where this site stands in this publish (the one state machine).
    pub stage: Stage,
    /// A confirmation of the page is still owed, for this long.
    pub confirm_timeout_ms: Option<u64>,
    pub attempt_count: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub started_at: String,
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    #[ts(type = "Record<string, string>")]
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
    /// Confirm the page for this long once the webhook is accepted (`None`: no).
    pub confirm_timeout_ms: Option<u64>,
}

/// A publish (or unpublish) to record.
pub struct NewPublish<'a> {
    pub slug: &'a str,
    pub revision: &'a str,
    /// The markdown source published.
    pub source: &'a str,
    pub unpublish: bool,
}

/// A recorded publish: its id, and where each of its sites stands.
pub struct Enqueued {
    pub publish_id: i64,
    pub standings: Vec<Standing>,
}

/// What a delivery whose site was removed shows as its site.
pub const REMOVED_SITE: &str = "(removed site)";

/// A delivery an answer moved on, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub delivery_id: i64,
    pub stage: Stage,
    /// A confirmation is owed.
    pub confirming: bool,
}

/// An accepted delivery whose page a worker has claimed to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct ToConfirm {
    pub delivery_id: i64,
    pub publish_id: i64,
    pub site_id: Option<i64>,
    pub timeout_ms: u64,
}

/// One site of one publish, as the window and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Standing {
    pub delivery_id: i64,
    pub publish_id: i64,
    pub site: String,
    pub stage: Stage,
    /// A confirmation is still owed (the stage will move on by itself).
    pub confirming: bool,
    /// What the stage means for the user, in one sentence.
    pub message: String,
    pub attempts: u32,
    pub updated_at: String,
}

/// The deliveries that can hold a lease, as the conditions of the partial indexes that
/// hold them (migration 22): pending ones (`deliveries_pending`: being sent), and
/// accepted ones whose confirmation is owed (`deliveries_to_confirm`: being confirmed).
/// Every statement that ends both also clears the lease.
const LEASABLE_PENDING: &str = "state = 'pending'";
const LEASABLE_OWED: &str = "state = 'delivered' AND confirm_timeout_ms IS NOT NULL";

/// The workers holding a lease that has not run out (`?1`: now). A pending delivery is
/// claimed only once due, so those waiting for a later retry (a backlog while a site
/// is down) are not read.
fn lease_owners_sql() -> String {
    format!(
        "SELECT lease_owner FROM deliveries
         WHERE {LEASABLE_PENDING} AND next_attempt_at <= ?1 AND lease_until > ?1
         UNION
         SELECT lease_owner FROM deliveries WHERE {LEASABLE_OWED} AND lease_until > ?1"
    )
}

/// Gives up the leases of the worker `?1` and of its passes (`?1/…`).
fn release_leases_sql() -> String {
    format!(
        "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL,
         stage = CASE WHEN state = 'pending' AND attempt_count = 0
                           THEN '{{\"stage\":\"queued\"}}'
                      WHEN state = 'pending'
                           THEN json_object('stage', 'retry_at', 'attempt', attempt_count,
                                'at', next_attempt_at, 'error', coalesce(last_error, ''))
                      ELSE '{{\"stage\":\"accepted\"}}' END
     WHERE id IN (SELECT id FROM deliveries WHERE {LEASABLE_PENDING}
                  UNION ALL
                  SELECT id FROM deliveries WHERE {LEASABLE_OWED})
       AND (lease_owner = ?1 OR lease_owner LIKE ?1 || '/%')"
    )
}

/// What `standing_from_row` reads, in its order (`:removed` is bound to `REMOVED_SITE`).
const STANDING_COLUMNS: &str = "d.id, d.publish_id, coalesce(s.name, :removed), d.stage, \
     d.confirm_timeout_ms IS NOT NULL, d.attempt_count, d.updated_at";

fn standing_from_row(r: &Row<'_>) -> rusqlite::Result<Standing> {
    let site: String = r.get(2)?;
    let stage = Stage::from_json(&r.get::<_, String>(3)?);
    Ok(Standing {
        delivery_id: r.get(0)?,
        publish_id: r.get(1)?,
        message: stage.sentence(&site),
        site,
        stage,
        confirming: r.get(4)?,
        attempts: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// Every column of a `Delivery`; `{last_status}` is the expression for the status of
/// the latest attempt, which only the delivery log needs.
const DELIVERY_SELECT: &str = "SELECT d.id, d.publish_id, s.id, s.name, p.slug, p.revision,
        d.message_id, CASE WHEN d.shared_body THEN p.body ELSE d.body END, d.state,
        d.attempt_count, d.next_attempt_at, d.last_error,
        {last_status}, d.created_at, d.updated_at, d.stage, d.confirm_timeout_ms
     FROM deliveries d
     JOIN publishes p ON p.id = d.publish_id
     LEFT JOIN sites s ON s.id = d.site_id AND s.removed_at IS NULL";

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

/// The most rows one many-row statement writes.
const ROWS: usize = 64;

/// `items` in pieces of `ROWS` rows, and what is left in pieces of a power of two rows:
/// a many-row statement comes in at most 7 sizes, which all stay prepared (a size for
/// every remainder would crowd other statements out of the connection's cache).
fn row_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let n = match items.len() {
            0 => return None,
            n if n >= ROWS => ROWS,
            n => 1 << n.ilog2(),
        };
        let (chunk, rest) = items.split_at(n);
        items = rest;
        Some(chunk)
    })
}

/// The texts of one many-row statement, built once per row count: building the text
/// of a 64-row insert costs more than SQLite takes to find its prepared statement.
struct Texts(std::sync::Mutex<Vec<(usize, std::sync::Arc<str>)>>);

impl Texts {
    const fn new() -> Texts {
        Texts(std::sync::Mutex::new(Vec::new()))
    }

    fn get(&self, rows: usize, build: impl FnOnce() -> String) -> std::sync::Arc<str> {
        let mut texts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, text)) = texts.iter().find(|(r, _)| *r == rows) {
            return text.clone();
        }
        let text: std::sync::Arc<str> = build().into();
        texts.push((rows, text.clone()));
        text
    }
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
        stage: Stage::from_json(&r.get::<_, String>(15)?),
        confirm_timeout_ms: r.get::<_, Option<i64>>(16)?.map(|ms| ms as u64),
    })
}

/// The most deliveries a publish handed to the worker writes with its record; a wider
/// fan-out writes only its last one then, and keeps the others unwritten (`Handed`).
const WRITTEN_WHOLE: usize = 65;

/// What every delivery of one publish is written with.
#[derive(Clone, Serialize, serde::Deserialize)]
struct Shared {
    at: String,
    /// `Stage` as JSON.
    stage: String,
    owner: Option<String>,
    until: Option<String>,
}

/// One delivery's own columns: site, `webhook-id`, body (empty when it sends its
/// publish's body: the last, `shared_body`), confirmation timeout.
#[derive(Clone, Serialize, serde::Deserialize)]
struct NewRow<'a>(
    i64,
    #[serde(borrow)] std::borrow::Cow<'a, str>,
    #[serde(borrow)] std::borrow::Cow<'a, str>,
    Option<i64>,
    bool,
);

impl<'a> NewRow<'a> {
    /// `d` as written with a publish whose body is `shared`.
    fn of(d: &'a NewDelivery, shared: Option<&str>) -> NewRow<'a> {
        let is_shared = shared == Some(d.body.as_str());
        NewRow(
            d.site_id,
            d.message_id.as_str().into(),
            if is_shared { "" } else { d.body.as_str() }.into(),
            d.confirm_timeout_ms.map(|ms| ms as i64),
            is_shared,
        )
    }
}

/// The body a publish stores once for the deliveries that send it: the first
/// delivery's, when another one sends the same.
fn shared_body(deliveries: &[NewDelivery]) -> Option<&str> {
    let first = deliveries.first()?;
    deliveries[1..]
        .iter()
        .any(|d| d.body == first.body)
        .then_some(first.body.as_str())
}

/// The deliveries of a publish committed before they were written
/// (`publishes.unwritten`): they get the ids from `first_id` on, in order.
#[derive(Serialize, serde::Deserialize)]
struct Unwritten<Rows> {
    first_id: i64,
    shared: Shared,
    rows: Rows,
}

impl NewRow<'_> {
    fn into_owned(self) -> NewRow<'static> {
        let NewRow(site_id, message_id, body, timeout, shared) = self;
        NewRow(
            site_id,
            message_id.into_owned().into(),
            body.into_owned().into(),
            timeout,
            shared,
        )
    }
}

/// The deliveries of fan-outs this store handed to a pass of its own process's worker
/// and has not written yet, by publish. Their publish keeps them as its `unwritten`
/// record (which anyone else who looks writes, claimed as they were); until then the
/// pass's recorder writes each one only when its answer comes, directly in the state
/// the answer leaves it in (`record_attempts`), rather than once claimed and again
/// answered.
#[derive(Default)]
pub(super) struct Handed(HashMap<i64, HandedRows>);

struct HandedRows {
    /// The pass they were claimed for.
    owner: String,
    first_id: i64,
    created_at: String,
    rows: Vec<NewRow<'static>>,
    written: Vec<bool>,
    left: usize,
}

impl Handed {
    /// The publish and the place among its handed rows of delivery `id`, if `owner`'s
    /// pass has it and it is not written yet.
    fn find(&self, owner: &str, id: i64) -> Option<(i64, usize)> {
        self.0.iter().find_map(|(publish_id, h)| {
            let i = usize::try_from(id - h.first_id).ok()?;
            (h.owner == owner && i < h.rows.len() && !h.written[i]).then_some((*publish_id, i))
        })
    }
}

/// The publishes with deliveries not written yet.
fn unwritten_ids(conn: &rusqlite::Connection) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM publishes WHERE unwritten IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Writes `rows` as deliveries of `publish_id` with the ids from `first_id` on; with
/// `missing_only`, only those not written already (by the recorder of the pass that
/// has them: `Handed`).
fn insert_deliveries(
    conn: &rusqlite::Connection,
    publish_id: i64,
    shared: &Shared,
    first_id: i64,
    rows: &[NewRow<'_>],
    missing_only: bool,
) -> Result<()> {
    // Many rows per statement: a fan-out to many sites is one of the hot paths.
    static INSERT: Texts = Texts::new();
    static INSERT_MISSING: Texts = Texts::new();
    let mut first_id = first_id;
    for chunk in row_chunks(rows) {
        let texts = if missing_only {
            &INSERT_MISSING
        } else {
            &INSERT
        };
        let mut insert = conn.prepare_cached(&texts.get(chunk.len(), || {
            let mut sql = values_sql(
                "INSERT INTO deliveries (id, site_id, message_id, body, confirm_timeout_ms,
                 shared_body, publish_id, state, next_attempt_at, created_at, updated_at,
                 stage, lease_owner, lease_until) VALUES ",
                chunk.len(),
                6,
                5,
                |_| ", ?1, 'pending', ?2, ?2, ?2, ?3, ?4, ?5".into(),
            );
            if missing_only {
                sql.push_str(" ON CONFLICT (id) DO NOTHING");
            }
            sql
        }))?;
        let ids: Vec<i64> = (first_id..).take(chunk.len()).collect();
        first_id += chunk.len() as i64;
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 6 + 5);
        values.extend([
            &publish_id as &dyn rusqlite::ToSql,
            &shared.at,
            &shared.stage,
            &shared.owner,
            &shared.until,
        ]);
        for (NewRow(site_id, message_id, body, timeout, shared), id) in chunk.iter().zip(&ids) {
            values.extend([
                id as &dyn rusqlite::ToSql,
                site_id,
                message_id,
                body,
                timeout,
                shared,
            ]);
        }
        insert.execute(values.as_slice())?;
    }
    Ok(())
}

/// Writes the deliveries of every publish committed with some of them unwritten (its
/// process died before it wrote them, or its pass is still sending them), claimed as
/// they were, except those `keep` has (this process's passes write them).
fn write_unwritten(tx: &rusqlite::Transaction<'_>, keep: Option<&Handed>) -> Result<()> {
    // The ids first: a kept record is not even read (a fan-out's is large).
    for publish_id in unwritten_ids(tx)? {
        if !keep.is_some_and(|k| k.0.contains_key(&publish_id)) {
            let json: String = tx
                .prepare_cached("SELECT unwritten FROM publishes WHERE id = ?1")?
                .query_row([publish_id], |r| r.get(0))?;
            write_unwritten_of(tx, publish_id, &json)?;
        }
    }
    Ok(())
}

/// Writes the deliveries of `publish_id` its `unwritten` record (`json`) keeps and that
/// are not written yet, and clears the record.
fn write_unwritten_of(tx: &rusqlite::Transaction<'_>, publish_id: i64, json: &str) -> Result<()> {
    match serde_json::from_str::<Unwritten<Vec<NewRow<'_>>>>(json) {
        Ok(u) => insert_deliveries(tx, publish_id, &u.shared, u.first_id, &u.rows, true)?,
        Err(e) => {
            tracing::error!(publish_id, error = %e, "the unwritten deliveries of a publish cannot be read; dropped")
        }
    }
    tx.execute(
        "UPDATE publishes SET unwritten = NULL WHERE id = ?1",
        [publish_id],
    )?;
    Ok(())
}

/// Whether `publish_id` still keeps deliveries unwritten.
fn still_unwritten(tx: &rusqlite::Transaction<'_>, publish_id: i64) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT unwritten IS NOT NULL FROM publishes WHERE id = ?1")?
        .query_row([publish_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The state an attempt leaves its delivery in, when the next attempt is due, and the
/// error it keeps.
fn outcome(attempt: &AttemptRecord) -> (DeliveryState, Option<String>, Option<String>) {
    match &attempt.next {
        NextStep::Delivered => (DeliveryState::Delivered, None, None),
        NextStep::RetryIn(ms) => (
            DeliveryState::Pending,
            Some(timestamp_after(std::time::Duration::from_millis(*ms))),
            attempt.error.clone(),
        ),
        NextStep::Failed(why) => (DeliveryState::Failed, None, Some(why.clone())),
        NextStep::ConfigError(why) => (DeliveryState::ConfigError, None, Some(why.clone())),
        NextStep::Cancelled(why) => (DeliveryState::Cancelled, None, Some(why.clone())),
    }
}

/// Writes handed deliveries (publish, place among its handed rows, first answer) as
/// their answer leaves them — the state, stage and columns that recording the answer
/// of a stored one gives it; returns them as moved.
fn insert_answered(
    tx: &rusqlite::Transaction<'_>,
    handed: &Handed,
    ts: &str,
    chunk: &[(i64, usize, &AttemptRecord)],
) -> Result<Vec<Moved>> {
    static INSERT: Texts = Texts::new();
    struct Answered<'a> {
        id: i64,
        publish_id: i64,
        row: &'a NewRow<'static>,
        created_at: &'a str,
        timeout: Option<i64>,
        state: &'static str,
        next_at: Option<String>,
        error: Option<String>,
        stage: Stage,
        stage_json: String,
    }
    let answered: Vec<Answered<'_>> = chunk
        .iter()
        .map(|&(publish_id, i, attempt)| {
            let h = &handed.0[&publish_id];
            let row = &h.rows[i];
            let (state, next_at, error) = outcome(attempt);
            let (stage, timeout) = match state {
                DeliveryState::Delivered => (Stage::Accepted, row.3),
                DeliveryState::Pending => (
                    Stage::RetryAt {
                        attempt: 1,
                        at: next_at.clone().unwrap_or_default(),
                        error: error.clone().unwrap_or_default(),
                    },
                    row.3,
                ),
                _ => (
                    Stage::Failed {
                        reason: error.clone().unwrap_or_default(),
                    },
                    None,
                ),
            };
            Answered {
                id: h.first_id + i as i64,
                publish_id,
                row,
                created_at: &h.created_at,
                timeout,
                state: state.as_str(),
                next_at,
                error,
                stage_json: stage.to_json(),
                stage,
            }
        })
        .collect();
    let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 12 + 1);
    values.push(&ts);
    for a in &answered {
        let NewRow(site_id, message_id, body, _, shared) = a.row;
        values.extend([
            &a.id as &dyn rusqlite::ToSql,
            site_id,
            message_id,
            body,
            &a.timeout,
            shared,
            &a.publish_id,
            &a.created_at,
            &a.state,
            &a.next_at,
            &a.error,
            &a.stage_json,
        ]);
    }
    tx.prepare_cached(&INSERT.get(chunk.len(), || {
        values_sql(
            "INSERT INTO deliveries (id, site_id, message_id, body, confirm_timeout_ms,
                 shared_body, publish_id, created_at, state, next_attempt_at, last_error,
                 stage, attempt_count, updated_at) VALUES ",
            chunk.len(),
            12,
            1,
            |_| ", 1, ?1".into(),
        )
    }))?
    .execute(values.as_slice())?;
    Ok(answered
        .into_iter()
        .map(|a| Moved {
            delivery_id: a.id,
            confirming: a.timeout.is_some(),
            stage: a.stage,
        })
        .collect())
}

/// A write transaction on `conn` (`Store::write_transaction`), for a method that also
/// needs another field of its store.
fn immediate(conn: &mut rusqlite::Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

/// The names of the sites not removed, by id.
fn site_names(conn: &rusqlite::Connection) -> Result<HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM sites WHERE removed_at IS NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
        let publish = NewPublish {
            slug,
            revision,
            source,
            unpublish,
        };
        Ok(self
            .enqueue_publish(&publish, deliveries, None, |_| {})?
            .publish_id)
    }

    /// Records a publish and enqueues its deliveries, as `record_publish_with_deliveries`.
    /// With `claim` (a worker's claim name and lease) the deliveries are written
    /// already claimed for that worker, and `handover` gets what it needs to send them
    /// as soon as the publish is committed. A fan-out to many sites is committed with
    /// its last delivery and the rest as one `unwritten` record, and handed over
    /// before anything else is done: the pass's recorder writes each of the rest when
    /// its answer comes (`record_attempts`, `Handed`); whatever else looks at the
    /// deliveries first — a reader, another process, the next pass should this process
    /// die — writes them as they were handed (`write_unwritten`). Returns where every
    /// site stands.
    pub fn enqueue_publish(
        &mut self,
        publish: &NewPublish<'_>,
        deliveries: &[NewDelivery],
        claim: Option<(&str, std::time::Duration)>,
        handover: impl FnOnce(Vec<DueDelivery>),
    ) -> Result<Enqueued> {
        let tx = immediate(&mut self.conn)?;
        write_unwritten(&tx, Some(&self.handed))?;
        let document_id = super::documents::document_id(&tx, publish.slug).ok();
        let ts = now();
        if let Some(id) = document_id {
            tx.execute(
                "UPDATE documents SET published_revision = ?2 WHERE id = ?1",
                params![
                    id,
                    if publish.unpublish {
                        None
                    } else {
                        Some(publish.revision)
                    }
                ],
            )?;
        }
        let stage = match claim {
            Some(_) => Stage::Sending { attempt: 1 },
            None => Stage::Queued,
        };
        let shared = Shared {
            at: ts.clone(),
            stage: stage.to_json(),
            owner: claim.map(|(owner, _)| owner.to_owned()),
            until: claim.map(|(_, lease)| timestamp_after(lease)),
        };
        // The deliveries get the ids after the highest one, in the order given: no
        // statement has to hand them back, and they are known before they are written.
        let first_id: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM deliveries", [], |r| {
                r.get(0)
            })?;
        // How many are kept unwritten at the handover: all but the last, whose row
        // reserves the ids of the others (a new row gets the highest id + 1).
        let kept = match claim {
            Some(_) if deliveries.len() > WRITTEN_WHOLE => deliveries.len() - 1,
            _ => 0,
        };
        let body = shared_body(deliveries);
        let rows: Vec<NewRow<'_>> = deliveries.iter().map(|d| NewRow::of(d, body)).collect();
        let unwritten = (kept > 0).then(|| {
            serde_json::to_string(&Unwritten {
                first_id,
                shared: shared.clone(),
                rows: &rows[..kept],
            })
            .expect("serializes")
        });
        tx.execute(
            "INSERT INTO publishes (document_id, slug, revision, kind, source, created_at,
                 unwritten, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                document_id,
                publish.slug,
                publish.revision,
                if publish.unpublish {
                    "unpublished"
                } else {
                    "published"
                },
                publish.source,
                ts,
                unwritten,
                body
            ],
        )?;
        let publish_id = tx.last_insert_rowid();
        insert_deliveries(
            &tx,
            publish_id,
            &shared,
            first_id + kept as i64,
            &rows[kept..],
            false,
        )?;
        tx.commit()?;
        // From here on the publish is recorded and (when claimed) being sent: nothing
        // may fail it any more.
        if claim.is_some() {
            handover(
                deliveries
                    .iter()
                    .zip(first_id..)
                    .map(|(d, id)| DueDelivery {
                        id,
                        publish_id,
                        site_id: Some(d.site_id),
                        message_id: d.message_id.clone(),
                        body: d.body.clone(),
                        attempt_count: 0,
                    })
                    .collect(),
            );
        }
        // Kept for the pass's recorder, which records nothing before this returns (the
        // caller holds the store).
        if let (Some((owner, _)), true) = (claim, kept > 0) {
            self.handed.0.insert(
                publish_id,
                HandedRows {
                    owner: owner.to_owned(),
                    first_id,
                    created_at: ts.clone(),
                    rows: rows[..kept]
                        .iter()
                        .cloned()
                        .map(NewRow::into_owned)
                        .collect(),
                    written: vec![false; kept],
                    left: kept,
                },
            );
        }
        // Read after the handover, which waits for nothing it does not need.
        let names = site_names(&self.conn).unwrap_or_else(|e| {
            tracing::warn!(publish_id, error = %e, "site names could not be read for a publish's standings");
            HashMap::new()
        });
        let standings = deliveries
            .iter()
            .zip(first_id..)
            .map(|(d, delivery_id)| {
                let site = names
                    .get(&d.site_id)
                    .map_or(REMOVED_SITE, String::as_str)
                    .to_owned();
                Standing {
                    delivery_id,
                    publish_id,
                    message: stage.sentence(&site),
                    site,
                    stage: stage.clone(),
                    confirming: d.confirm_timeout_ms.is_some(),
                    attempts: 0,
                    updated_at: ts.clone(),
                }
            })
            .collect();
        Ok(Enqueued {
            publish_id,
            standings,
        })
    }

    /// Writes the deliveries other processes left unwritten (`enqueue_publish`: one
    /// that died, or one still sending them), claimed as they were: a worker does this
    /// before taking over dead workers' claims, so those are taken over too. This
    /// process's own passes write theirs.
    pub fn write_unwritten_deliveries(&mut self) -> Result<()> {
        self.write_unwritten_but(Some(&self.handed))
    }

    /// Writes every delivery not written yet, this process's handed ones too: what
    /// reads or changes deliveries other than through a pass's recorder sees them all.
    pub(super) fn flush_unwritten(&self) -> Result<()> {
        self.write_unwritten_but(None)
    }

    /// Writes every delivery not written yet except those `keep` has.
    fn write_unwritten_but(&self, keep: Option<&Handed>) -> Result<()> {
        let kept = |id: &i64| keep.is_some_and(|k| k.0.contains_key(id));
        if !unwritten_ids(&self.conn)?.iter().all(kept) {
            let tx = rusqlite::Transaction::new_unchecked(
                &self.conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            write_unwritten(&tx, keep)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Writes what `owner`'s pass, now ended, left of its handed deliveries unwritten
    /// (it failed, panicked or was stopped, or never started): claimed as they were, so
    /// they are sent again once the lease runs out. Whatever becomes of this, the
    /// store keeps them no longer (others write them from the publish's record).
    pub fn finish_handed(&mut self, owner: &str) -> Result<()> {
        let ended: Vec<i64> = (self.handed.0.iter())
            .filter(|(_, h)| h.owner == owner)
            .map(|(id, _)| *id)
            .collect();
        for publish_id in ended {
            self.handed.0.remove(&publish_id);
            let tx = immediate(&mut self.conn)?;
            let json: Option<String> = tx
                .query_row(
                    "SELECT unwritten FROM publishes WHERE id = ?1",
                    [publish_id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if let Some(json) = json {
                write_unwritten_of(&tx, publish_id, &json)?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    /// Claims up to `limit` pending deliveries due now, oldest first, for `owner` until
    /// `lease` has passed: no other worker (in this process or another) takes them
    /// meanwhile, and one that died holding them loses them when the lease runs out (a
    /// worker whose delivery waits long for a free slot renews it first: `renew_lease`).
    /// Their stage becomes `sending`. Returns what the worker needs to send them,
    /// nothing more (a fan-out claims thousands).
    pub fn claim_due(
        &mut self,
        owner: &str,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<DueDelivery>> {
        let (at, until) = (now(), timestamp_after(lease));
        let tx = immediate(&mut self.conn)?;
        // This process's passes' handed deliveries are theirs, not due: left to them.
        write_unwritten(&tx, Some(&self.handed))?;
        let claimed = {
            let mut stmt = tx.prepare_cached(
                "UPDATE deliveries SET lease_owner = ?1, lease_until = ?2,
                     stage = json_object('stage', 'sending', 'attempt', attempt_count + 1)
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE state = 'pending' AND next_attempt_at <= ?3
                                AND (lease_until IS NULL OR lease_until <= ?3)
                              ORDER BY next_attempt_at, id LIMIT ?4)
                 RETURNING id, publish_id, site_id, message_id,
                     CASE WHEN shared_body
                          THEN (SELECT body FROM publishes WHERE id = deliveries.publish_id)
                          ELSE body END,
                     attempt_count",
            )?;
            let rows = stmt.query_map(params![owner, until, at, limit as i64], |r| {
                Ok(DueDelivery {
                    id: r.get(0)?,
                    publish_id: r.get(1)?,
                    site_id: r.get(2)?,
                    message_id: r.get(3)?,
                    body: r.get(4)?,
                    attempt_count: r.get(5)?,
                })
            })?;
            let mut claimed: Vec<DueDelivery> = rows.collect::<rusqlite::Result<_>>()?;
            claimed.sort_by_key(|d| d.id);
            claimed
        };
        tx.commit()?;
        Ok(claimed)
    }

    /// When the next pending delivery (optionally of one publish) can be sent: its due
    /// time, or while a worker holds it, the end of that worker's lease.
    pub fn next_due_at(&self, publish_id: Option<i64>) -> Result<Option<String>> {
        self.flush_unwritten()?;
        self.next_due(publish_id)
    }

    /// `next_due_at(None)` for this process's worker, which asks it every time it looks
    /// around (a fan-out's answers make it look): what its own passes have unwritten is
    /// left so (they are sending it, and the worker looks again as each one ends).
    pub fn next_due_for_worker(&self) -> Result<Option<String>> {
        self.write_unwritten_but(Some(&self.handed))?;
        self.next_due(None)
    }

    fn next_due(&self, publish_id: Option<i64>) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT min(max(next_attempt_at, coalesce(lease_until, ''))) FROM deliveries
             WHERE state = 'pending' AND (?1 IS NULL OR publish_id = ?1)",
            [publish_id],
            |r| r.get(0),
        )?)
    }

    /// When the next owed confirmation can be claimed: now (`""`) if one is free, else
    /// the end of the earliest lease on one.
    pub fn next_confirmation_at(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT min(coalesce(lease_until, '')) FROM deliveries
             WHERE state = 'delivered' AND confirm_timeout_ms IS NOT NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Claims up to `limit` accepted deliveries whose page is still to be confirmed
    /// (none is being confirmed by a live worker) for `owner`: their stage becomes
    /// `confirming`, their lease lasts the confirmation's timeout and a minute more.
    pub fn claim_confirmations(&mut self, owner: &str, limit: usize) -> Result<Vec<ToConfirm>> {
        let at = now();
        let tx = self.write_transaction()?;
        let claimed = {
            let mut stmt = tx.prepare_cached(
                "UPDATE deliveries SET lease_owner = ?1,
                     lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', ?2,
                         '+' || ((confirm_timeout_ms + 60000) / 1000.0) || ' seconds'),
                     stage = '{\"stage\":\"confirming\",\"polls\":0}'
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE state = 'delivered' AND confirm_timeout_ms IS NOT NULL
                                AND (lease_until IS NULL OR lease_until <= ?2)
                              ORDER BY id LIMIT ?3)
                 RETURNING id, publish_id, site_id, confirm_timeout_ms",
            )?;
            let rows = stmt.query_map(params![owner, at, limit as i64], |r| {
                Ok(ToConfirm {
                    delivery_id: r.get(0)?,
                    publish_id: r.get(1)?,
                    site_id: r.get(2)?,
                    timeout_ms: r.get::<_, i64>(3)? as u64,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.commit()?;
        Ok(claimed)
    }

    /// Extends the lease `owner` holds on a pending delivery it is about to send;
    /// whether it still held it (if not, another worker took it over: do not send).
    pub fn renew_lease(
        &mut self,
        owner: &str,
        delivery_id: i64,
        lease: std::time::Duration,
    ) -> Result<bool> {
        self.flush_unwritten()?;
        let changed = self.conn.execute(
            "UPDATE deliveries SET lease_until = ?3
             WHERE id = ?1 AND state = 'pending' AND lease_owner IS ?2",
            params![delivery_id, owner, timestamp_after(lease)],
        )?;
        Ok(changed > 0)
    }

    /// The workers holding leases now.
    pub fn lease_owners(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(&lease_owners_sql())?;
        let rows = stmt.query_map([now()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Gives up every lease `owner` holds (a worker stopping cleanly), so another
    /// worker takes its deliveries and confirmations over at once.
    pub fn release_leases(&mut self, owner: &str) -> Result<()> {
        self.flush_unwritten()?;
        self.conn.execute(&release_leases_sql(), [owner])?;
        Ok(())
    }

    /// Ends a confirmation that cannot run (its site was removed): the stage becomes
    /// `failed` with `why`, and no confirmation is owed any more.
    /// Only the worker holding the confirmation (`owner`) ends it; whether it did.
    pub fn end_confirmation(
        &mut self,
        owner: &str,
        delivery_id: i64,
        stage: &Stage,
    ) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE deliveries SET stage = ?2, confirm_timeout_ms = NULL, lease_owner = NULL,
                 lease_until = NULL, updated_at = ?3
             WHERE id = ?1 AND state = 'delivered' AND lease_owner IS ?4",
            params![delivery_id, stage.to_json(), now(), owner],
        )?;
        Ok(changed > 0)
    }

    /// Where every site of a publish stands, in delivery order.
    pub fn standings(&self, publish_id: i64) -> Result<Vec<Standing>> {
        self.flush_unwritten()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {STANDING_COLUMNS} FROM deliveries d
             LEFT JOIN sites s ON s.id = d.site_id AND s.removed_at IS NULL
             WHERE d.publish_id = :publish ORDER BY d.id"
        ))?;
        let rows = stmt.query_map(
            rusqlite::named_params! {":publish": publish_id, ":removed": REMOVED_SITE},
            standing_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Brings `standings` (of one publish, in delivery order, as `standings` returned
    /// them or a follower kept them since) up to what is stored: stage, confirmation,
    /// attempts and time. Cheaper than reading them again, which is what a follower
    /// does last: no site names, and a sentence only for a stage that changed.
    pub fn refresh_standings(&self, standings: &mut [Standing]) -> Result<()> {
        self.flush_unwritten()?;
        let Some(publish_id) = standings.first().map(|s| s.publish_id) else {
            return Ok(());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, stage, confirm_timeout_ms IS NOT NULL, attempt_count, updated_at
             FROM deliveries WHERE publish_id = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([publish_id])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let Ok(i) = standings.binary_search_by_key(&id, |s| s.delivery_id) else {
                continue;
            };
            let s = &mut standings[i];
            let stage = Stage::from_json(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?);
            let confirming: bool = row.get(2)?;
            if stage != s.stage || confirming != s.confirming {
                s.message = stage.sentence(&s.site);
                s.stage = stage;
                s.confirming = confirming;
            }
            s.attempts = row.get(3)?;
            s.updated_at = row.get(4)?;
        }
        Ok(())
    }

    /// Where the sites of each document's latest publish stand, by slug (documents
    /// never published, published to no site, or taken down since, have none).
    pub fn latest_standings(&self) -> Result<Vec<(String, Standing)>> {
        self.flush_unwritten()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {STANDING_COLUMNS}, p.slug FROM deliveries d
             JOIN publishes p ON p.id = d.publish_id
             LEFT JOIN sites s ON s.id = d.site_id AND s.removed_at IS NULL
             WHERE d.publish_id IN (SELECT max(id) FROM publishes GROUP BY slug)
               AND p.kind = 'published'
             ORDER BY d.id"
        ))?;
        let rows = stmt.query_map(rusqlite::named_params! {":removed": REMOVED_SITE}, |r| {
            Ok((r.get(7)?, standing_from_row(r)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest publish of `slug`, if any: its id and revision.
    pub fn latest_publish_of(&self, slug: &str) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, revision FROM publishes WHERE slug = ?1 ORDER BY id DESC LIMIT 1",
                [slug],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// What the publish of `slug` before `publish_id` published (none when it is the
    /// first, or the one before was an unpublish).
    pub fn previous_published_source(&self, slug: &str, publish_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT kind, source FROM publishes WHERE slug = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT 1",
                params![slug, publish_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .and_then(|(kind, source)| (kind == "published").then_some(source)))
    }

    pub fn deliveries_of(&self, publish_id: i64) -> Result<Vec<Delivery>> {
        self.flush_unwritten()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE d.publish_id = ?1 ORDER BY d.id",
            delivery_select(true)
        ))?;
        let rows = stmt.query_map([publish_id], delivery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The delivery log, newest first; `failed_only` keeps failed and config errors.
    pub fn deliveries(&self, failed_only: bool, limit: usize) -> Result<Vec<Delivery>> {
        self.flush_unwritten()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE (?1 = 0 OR d.state IN ('failed', 'config_error'))
             ORDER BY d.id DESC LIMIT ?2",
            delivery_select(true)
        ))?;
        let rows = stmt.query_map(params![failed_only, limit as i64], delivery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn delivery(&self, id: i64) -> Result<Delivery> {
        self.flush_unwritten()?;
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
    pub fn record_attempt(
        &mut self,
        owner: &str,
        delivery_id: i64,
        attempt: &AttemptRecord,
    ) -> Result<Vec<Moved>> {
        self.record_attempts(owner, &[(delivery_id, attempt)])
    }

    /// Stores finished attempts of deliveries `owner` claimed and moves them on, all in
    /// one transaction (a fan-out to many sites commits in a few batches instead of one
    /// per site). Every attempt is kept; a delivery moves only while it is pending —
    /// nothing ever goes back from delivered — and, unless it was accepted, only while
    /// `owner` still holds it (a worker whose lease ran out does not undo another's).
    /// A delivery `owner`'s pass was handed unwritten (`Handed`) is written now, as its
    /// answer leaves it. Returns the deliveries that did move, as stored.
    pub fn record_attempts(
        &mut self,
        owner: &str,
        attempts: &[(i64, &AttemptRecord)],
    ) -> Result<Vec<Moved>> {
        static INSERT: Texts = Texts::new();
        let tx = immediate(&mut self.conn)?;
        // The answers may be to deliveries another process has not written yet (it
        // died, or its pass still sends them): written first.
        write_unwritten(&tx, Some(&self.handed))?;
        // Handed deliveries that someone else wrote meanwhile (their record is gone)
        // are moved as stored ones.
        let ours: Vec<i64> = (self.handed.0.iter())
            .filter(|(_, h)| h.owner == owner)
            .map(|(id, _)| *id)
            .collect();
        for id in ours {
            if !still_unwritten(&tx, id)? {
                self.handed.0.remove(&id);
            }
        }
        let ts = now();
        let mut moved = Vec::with_capacity(attempts.len());
        let mut fresh: Vec<(i64, usize, &AttemptRecord)> = Vec::new();
        let mut stored: Vec<(i64, &AttemptRecord)> = Vec::new();
        // A second answer in the same batch (there is none) would move the written row.
        let mut written_now = std::collections::HashSet::new();
        for &(delivery_id, attempt) in attempts {
            match self.handed.find(owner, delivery_id) {
                Some((publish_id, i)) if written_now.insert((publish_id, i)) => {
                    fresh.push((publish_id, i, attempt))
                }
                _ => stored.push((delivery_id, attempt)),
            }
        }
        // In id order: answers come in any order, and rows inserted in order land next
        // to each other in the table and its index by publish. (Attempts keep the
        // order of the answers.)
        fresh.sort_unstable_by_key(|&(publish_id, i, _)| (publish_id, i));

        for chunk in row_chunks(&fresh) {
            moved.extend(insert_answered(&tx, &self.handed, &ts, chunk)?);
        }
        let moved_row = |r: &Row<'_>| {
            Ok(Moved {
                delivery_id: r.get(0)?,
                stage: Stage::from_json(&r.get::<_, String>(1)?),
                confirming: r.get(2)?,
            })
        };
        for chunk in row_chunks(&stored) {
            // Delivered ones all move to the same state: one statement for them (the
            // ids as one JSON array, so it is one cached statement whatever their number).
            let delivered: Vec<i64> = chunk
                .iter()
                .filter(|(_, a)| a.next == NextStep::Delivered)
                .map(|(id, _)| *id)
                .collect();
            if !delivered.is_empty() {
                let ids = serde_json::to_string(&delivered).expect("serializes");
                tx.prepare_cached(
                    "UPDATE deliveries SET state = 'delivered', attempt_count = attempt_count + 1,
                         next_attempt_at = NULL, last_error = NULL, updated_at = ?1,
                         stage = '{\"stage\":\"accepted\"}', lease_owner = NULL,
                         lease_until = NULL
                     WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'pending'
                     RETURNING id, stage, confirm_timeout_ms IS NOT NULL",
                )?
                .query_map(params![ts, ids], moved_row)?
                .try_for_each(|m| m.map(|m| moved.push(m)))?;
            }
            let mut update = tx.prepare_cached(
                "UPDATE deliveries SET state = ?2, attempt_count = attempt_count + 1,
                     next_attempt_at = ?3, last_error = ?4, updated_at = ?5,
                     stage = CASE WHEN ?2 = 'pending'
                         THEN json_object('stage', 'retry_at', 'attempt', attempt_count + 1,
                                          'at', ?3, 'error', coalesce(?4, ''))
                         ELSE json_object('stage', 'failed', 'reason', ?4) END,
                     confirm_timeout_ms = CASE WHEN ?2 = 'pending'
                         THEN confirm_timeout_ms END,
                     lease_owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND state = 'pending' AND lease_owner IS ?6
                 RETURNING id, stage, confirm_timeout_ms IS NOT NULL",
            )?;
            for (delivery_id, attempt) in chunk {
                if attempt.next == NextStep::Delivered {
                    continue;
                }
                let (state, next_at, error) = outcome(attempt);
                let row = update
                    .query_row(
                        params![delivery_id, state.as_str(), next_at, error, ts, owner],
                        moved_row,
                    )
                    .optional()?;
                moved.extend(row);
            }
        }

        // Every attempt is kept (after its delivery is written: it refers to it).
        for chunk in row_chunks(attempts) {
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
            tx.prepare_cached(&INSERT.get(chunk.len(), || {
                values_sql(
                    "INSERT INTO attempts (delivery_id, started_at, status, latency_ms,
                         response_headers, response_body, error) VALUES ",
                    chunk.len(),
                    7,
                    0,
                    |_| String::new(),
                )
            }))?
            .execute(values.as_slice())?;
        }

        // A handed fan-out all written is no longer kept unwritten.
        let mut finished = Vec::new();
        for (publish_id, h) in &self.handed.0 {
            let now_written = fresh.iter().filter(|f| f.0 == *publish_id).count();
            if now_written > 0 && now_written == h.left {
                tx.execute(
                    "UPDATE publishes SET unwritten = NULL WHERE id = ?1",
                    [publish_id],
                )?;
                finished.push(*publish_id);
            }
        }
        tx.commit()?;
        for (publish_id, i, _) in &fresh {
            if let Some(h) = self.handed.0.get_mut(publish_id) {
                h.written[*i] = true;
                h.left -= 1;
            }
        }
        for publish_id in finished {
            self.handed.0.remove(&publish_id);
        }
        Ok(moved)
    }

    /// Marks a delivery that will not be attempted (its site is gone or disabled);
    /// whether it was still pending (and so is cancelled now).
    pub fn cancel_delivery(&mut self, delivery_id: i64, why: &str) -> Result<bool> {
        self.flush_unwritten()?;
        let changed = self.conn.execute(
            "UPDATE deliveries SET state = 'cancelled', next_attempt_at = NULL,
                 last_error = ?2, updated_at = ?3, confirm_timeout_ms = NULL,
                 stage = json_object('stage', 'failed', 'reason', ?2),
                 lease_owner = NULL, lease_until = NULL
             WHERE id = ?1 AND state = 'pending'",
            params![delivery_id, why, now()],
        )?;
        Ok(changed > 0)
    }

    /// Queues a delivery again, now, keeping its `webhook-id` and its attempt log; its
    /// page is confirmed again once it is accepted, for `confirm_timeout_ms` (or not).
    /// A delivery being sent right now is left to its worker.
    pub fn redeliver(
        &mut self,
        delivery_id: i64,
        confirm_timeout_ms: Option<u64>,
    ) -> Result<Delivery> {
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
        let changed = self.conn.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2, last_error = NULL,
                 updated_at = ?2, stage = '{\"stage\":\"queued\"}', confirm_timeout_ms = ?3,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = ?1 AND (lease_until IS NULL OR lease_until <= ?2)",
            params![delivery_id, ts, confirm_timeout_ms.map(|ms| ms as i64)],
        )?;
        if changed == 0 {
            return Err(Error::InvalidSite {
                reason: "this delivery is being sent or confirmed right now; wait for it to finish"
                    .into(),
            });
        }
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
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PublishRecord {
    pub id: i64,
    pub slug: String,
    pub revision: String,
    pub unpublished: bool,
    pub source: String,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each step of the plan of `sql` (one parameter) that reads the deliveries.
    fn plan(store: &Store, sql: &str) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let steps = stmt.query_map(["x"], |r| r.get::<_, String>(3)).unwrap();
        steps
            .map(Result::unwrap)
            .filter(|step| step.contains(" deliveries"))
            .collect()
    }

    #[test]
    fn many_row_statements_come_in_few_sizes() {
        let sizes = |n: usize| -> Vec<usize> {
            let items = vec![0; n];
            row_chunks(&items).map(<[_]>::len).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(64), [64]);
        assert_eq!(sizes(200), [64, 64, 64, 8]);
        assert_eq!(sizes(127), [64, 32, 16, 8, 4, 2, 1]);
        for n in 0..1000 {
            let all = sizes(n);
            assert_eq!(all.iter().sum::<usize>(), n);
            assert!(
                all.iter().all(|s| s.is_power_of_two() && *s <= ROWS),
                "{n}: {all:?}"
            );
        }
    }

    #[test]
    fn an_answer_moves_its_delivery_once_and_refreshed_standings_show_it() {
        use crate::store::{NewSite, Preset};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("w.db")).unwrap();
        let site = |name: &str| NewSite {
            name: name.into(),
            webhook_url: "http://127.0.0.1:9/hook".into(),
            page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
            tag_templates: vec![],
            path_templates: vec![],
            preset: Preset::StandardWebhooks,
            destination: None,
        };
        let (a, b) = (
            store.add_site(&site("a"), None).unwrap(),
            store.add_site(&site("b"), None).unwrap(),
        );
        let delivery = |site_id, id: &str, confirm_timeout_ms| NewDelivery {
            site_id,
            message_id: id.into(),
            body: "{}".into(),
            confirm_timeout_ms,
        };
        let publish = NewPublish {
            slug: "post",
            revision: "r_1",
            source: "x",
            unpublish: false,
        };
        let mut due = Vec::new();
        let enqueued = store
            .enqueue_publish(
                &publish,
                &[
                    delivery(a.id, "msg_a", Some(5000)),
                    delivery(b.id, "msg_b", None),
                ],
                Some(("worker/test", std::time::Duration::from_secs(60))),
                |d| due = d,
            )
            .unwrap();
        let mut kept = enqueued.standings;
        assert_eq!(kept, store.standings(enqueued.publish_id).unwrap());

        let accepted = AttemptRecord {
            started_at: now(),
            status: Some(204),
            latency_ms: 1,
            response_headers: Default::default(),
            response_body: None,
            error: None,
            next: NextStep::Delivered,
        };
        let answers: Vec<(i64, &AttemptRecord)> = due.iter().map(|d| (d.id, &accepted)).collect();
        let mut moved = store.record_attempts("worker/test", &answers).unwrap();
        moved.sort_by_key(|m| m.delivery_id);
        let seen: Vec<(Stage, bool)> = moved.into_iter().map(|m| (m.stage, m.confirming)).collect();
        assert_eq!(seen, [(Stage::Accepted, true), (Stage::Accepted, false)]);
        // A second answer to a delivered delivery is kept, and moves nothing.
        assert!(store
            .record_attempts("worker/test", &answers)
            .unwrap()
            .is_empty());
        assert_eq!(store.attempts(due[1].id).unwrap().len(), 2);

        // Standings kept since the enqueue, with no event applied, come out as stored.
        store.refresh_standings(&mut kept).unwrap();
        let stored = store.standings(enqueued.publish_id).unwrap();
        assert_eq!(kept, stored);
        assert!(stored
            .iter()
            .all(|s| s.stage == Stage::Accepted && s.attempts == 1));
    }

    #[test]
    fn leases_are_found_without_reading_the_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("w.db")).unwrap();
        for sql in [lease_owners_sql(), release_leases_sql()] {
            let steps = plan(&store, &sql);
            assert!(!steps.is_empty(), "{sql}");
            for step in steps {
                // A lookup by id, or one of the two partial indexes: never every row.
                assert!(
                    step.contains("INTEGER PRIMARY KEY")
                        || step.contains("deliveries_pending")
                        || step.contains("deliveries_to_confirm"),
                    "{step}"
                );
            }
        }
        // The leases a pass looks for skip the pending deliveries not due yet.
        let steps = plan(&store, &lease_owners_sql());
        assert!(
            steps.contains(
                &"SEARCH deliveries USING INDEX deliveries_pending (next_attempt_at<?)".into()
            ),
            "{steps:?}"
        );
    }
}
