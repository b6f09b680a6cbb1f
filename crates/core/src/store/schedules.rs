//! Scheduled publishes (`crate::schedule`): the only place their rows are read and
//! written.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, timestamp_after, Store};
use crate::error::{Error, Result};

/// A document's publish set for a time.
/// What a workspace still has to do by itself (`Store::pending_work`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PendingWork {
    /// Scheduled publishes not yet carried out.
    pub scheduled: u32,
    /// Webhooks to send (queued, or waiting for their next attempt).
    pub sending: u32,
    /// Pages still to be confirmed.
    pub confirming: u32,
}

impl PendingWork {
    pub fn is_empty(&self) -> bool {
        *self == PendingWork::default()
    }

    /// For people: "2 scheduled publishes, 1 webhook to send".
    pub fn describe(&self) -> String {
        let part = |n: u32, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        [
            part(self.scheduled, "scheduled publish", "scheduled publishes"),
            part(self.sending, "webhook to send", "webhooks to send"),
            part(self.confirming, "page to confirm", "pages to confirm"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Schedule {
    pub id: i64,
    pub slug: String,
    /// When it is due (UTC, `2026-12-24T07:00:00.000Z`).
    pub due_at: String,
    /// The sites it goes to; empty: every enabled one.
    pub sites: Vec<String>,
    /// `pending`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// How long after its due time it started, when it did (in ms).
    #[ts(type = "number | null")]
    pub late_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub publish_id: Option<i64>,
    /// Why the last try failed (a pending one is tried again), or why it gave up.
    pub error: Option<String>,
    /// Tries made so far.
    pub attempts: u32,
    /// The destinations (ids) that hold it as their own scheduled post (WordPress's
    /// `future`): removed there when it is cancelled while still held.
    #[ts(type = "number[]")]
    pub staged: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "s.id, d.slug, s.due_at, s.sites, s.state, s.late_ms, s.publish_id, \
                       s.error, s.created_at, s.updated_at, s.attempts, s.staged";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Schedule> {
    let sites: String = r.get(3)?;
    Ok(Schedule {
        id: r.get(0)?,
        slug: r.get(1)?,
        due_at: r.get(2)?,
        sites: serde_json::from_str(&sites).unwrap_or_default(),
        state: r.get(4)?,
        late_ms: r.get(5)?,
        publish_id: r.get(6)?,
        error: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        attempts: r.get(10)?,
        staged: serde_json::from_str(&r.get::<_, String>(11)?).unwrap_or_default(),
    })
}

impl Store {
    /// Sets `slug` to be published at `due_at` to `sites`; a pending schedule of it is
    /// moved (one per document).
    pub fn set_schedule(&mut self, slug: &str, due_at: &str, sites: &[String]) -> Result<Schedule> {
        let tx = self.write_transaction()?;
        let document = super::documents::document_id(&tx, slug)?;
        let at = now();
        let sites = serde_json::to_string(sites).expect("strings serialize");
        let running: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schedules WHERE document_id = ?1
                 AND state = 'pending' AND lease_until > ?2)",
            params![document, at],
            |r| r.get(0),
        )?;
        if running {
            return Err(Error::ScheduleRunning {
                slug: slug.to_owned(),
            });
        }
        let moved = tx.execute(
            "UPDATE schedules SET due_at = ?2, sites = ?3, updated_at = ?4, started_at = NULL,
                 late_ms = NULL, lease_owner = NULL, lease_until = NULL, error = NULL,
                 attempts = 0
             WHERE document_id = ?1 AND state = 'pending'",
            params![document, due_at, sites, at],
        )?;
        if moved == 0 {
            tx.execute(
                "INSERT INTO schedules (document_id, due_at, sites, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![document, due_at, sites, at],
            )?;
        }
        tx.commit()?;
        self.pending_schedule(slug)?
            .ok_or_else(|| Error::ScheduleNotFound {
                slug: slug.to_owned(),
            })
    }

    /// Records the destinations that hold schedule `id` as their own scheduled post.
    pub fn set_schedule_staged(&mut self, id: i64, destinations: &[i64]) -> Result<()> {
        let staged = serde_json::to_string(destinations).expect("numbers serialize");
        self.conn.execute(
            "UPDATE schedules SET staged = ?2 WHERE id = ?1",
            params![id, staged],
        )?;
        Ok(())
    }

    /// Cancels `slug`'s pending schedule (one being carried out right now is not).
    pub fn cancel_schedule(&mut self, slug: &str) -> Result<Schedule> {
        let pending = self
            .pending_schedule(slug)?
            .ok_or_else(|| Error::ScheduleNotFound {
                slug: slug.to_owned(),
            })?;
        let cancelled = self.conn.execute(
            "UPDATE schedules SET state = 'cancelled', updated_at = ?2
             WHERE id = ?1 AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?2)",
            params![pending.id, now()],
        )?;
        if cancelled == 0 {
            return Err(Error::ScheduleRunning {
                slug: slug.to_owned(),
            });
        }
        self.schedule(pending.id)
    }

    pub fn schedule(&self, id: i64) -> Result<Schedule> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT {COLUMNS} FROM schedules s JOIN documents d ON d.id = s.document_id
                 WHERE s.id = ?1"
            ),
            [id],
            from_row,
        )?)
    }

    /// `slug`'s pending schedule, if it has one.
    pub fn pending_schedule(&self, slug: &str) -> Result<Option<Schedule>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM schedules s JOIN documents d ON d.id = s.document_id
                     WHERE d.slug = ?1 AND s.state = 'pending'"
                ),
                [slug],
                from_row,
            )
            .optional()?)
    }

    /// The pending schedules, soonest first, then the latest `recent` others.
    pub fn schedules(&self, recent: usize) -> Result<Vec<Schedule>> {
        let mut out: Vec<Schedule> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM schedules s JOIN documents d ON d.id = s.document_id
                 WHERE s.state = 'pending' ORDER BY s.due_at, s.id"
            ))?
            .query_map([], from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let done: Vec<Schedule> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM schedules s JOIN documents d ON d.id = s.document_id
                 WHERE s.state <> 'pending' ORDER BY s.updated_at DESC, s.id DESC LIMIT ?1"
            ))?
            .query_map([recent as i64], from_row)?
            .collect::<rusqlite::Result<_>>()?;
        out.extend(done);
        Ok(out)
    }

    /// Claims every pending schedule due now for `owner` until `lease` has passed (no
    /// other worker takes them meanwhile), recording when each started.
    pub fn claim_due_schedules(
        &mut self,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<Vec<Schedule>> {
        let (at, until) = (now(), timestamp_after(lease));
        let tx = self.write_transaction()?;
        let ids: Vec<i64> = tx
            .prepare_cached(
                "UPDATE schedules SET lease_owner = ?1, lease_until = ?2,
                     started_at = coalesce(started_at, ?3),
                     late_ms = coalesce(late_ms, CAST(round(
                         (julianday(?3) - julianday(due_at)) * 86400000) AS INTEGER)),
                     updated_at = ?3
                 WHERE state = 'pending' AND due_at <= ?3
                   AND (lease_until IS NULL OR lease_until <= ?3)
                 RETURNING id",
            )?
            .query_map(params![owner, until, at], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        ids.into_iter().map(|id| self.schedule(id)).collect()
    }

    /// Extends `owner`'s lease on schedule `id` it is carrying out; false when it is no
    /// longer its own.
    pub fn renew_schedule_lease(
        &mut self,
        id: i64,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let renewed = self.conn.execute(
            "UPDATE schedules SET lease_until = ?3
             WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2",
            params![id, owner, timestamp_after(lease)],
        )?;
        Ok(renewed == 1)
    }

    /// When the next pending schedule is due (or its lease ends), if any.
    /// What is left to do by a publisher: pending schedules, deliveries waiting for
    /// an attempt, accepted ones still to be confirmed.
    pub fn pending_work(&self) -> Result<PendingWork> {
        self.flush_unwritten()?;
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM schedules WHERE state = 'pending'),
                    (SELECT count(*) FROM deliveries WHERE state = 'pending'),
                    (SELECT count(*) FROM deliveries
                      WHERE state = 'delivered' AND confirm_timeout_ms IS NOT NULL)",
            [],
            |r| {
                Ok(PendingWork {
                    scheduled: r.get(0)?,
                    sending: r.get(1)?,
                    confirming: r.get(2)?,
                })
            },
        )?)
    }

    pub fn next_schedule_at(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT min(max(due_at, coalesce(lease_until, ''))) FROM schedules
             WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Puts schedule `id`, claimed by `owner`, back to be tried again at `at` after a
    /// try that failed with `error`. False when it was no longer `owner`'s.
    pub fn retry_schedule(&mut self, id: i64, owner: &str, error: &str, at: &str) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE schedules SET due_at = ?3, error = ?4, attempts = attempts + 1,
                 lease_owner = NULL, lease_until = NULL, updated_at = ?5
             WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2",
            params![id, owner, at, error, now()],
        )?;
        Ok(changed == 1)
    }

    /// Ends schedule `id`, claimed by `owner`: done as publish `publish_id`, or failed
    /// with `error`. False when it was no longer `owner`'s.
    pub fn finish_schedule(
        &mut self,
        id: i64,
        owner: &str,
        outcome: std::result::Result<i64, &str>,
    ) -> Result<bool> {
        let (state, publish_id, error) = match outcome {
            Ok(publish_id) => ("done", Some(publish_id), None),
            Err(error) => ("failed", None, Some(error)),
        };
        let changed = self.conn.execute(
            "UPDATE schedules SET state = ?3, publish_id = ?4, error = ?5, lease_owner = NULL,
                 lease_until = NULL, updated_at = ?6, attempts = attempts + 1
             WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2",
            params![id, owner, state, publish_id, error, now()],
        )?;
        Ok(changed == 1)
    }
}
