//! The publishing service: one `Publisher` per process, started once by each front
//! (the app at launch, `pressroom daemon`, or a one-shot CLI command for its own
//! duration) and stopped through a shutdown future — `serve(shutdown)`.
//!
//! It owns the outbox worker (one HTTP client for webhooks), live confirmation and
//! re-send. The worker sleeps until the next delivery is due or it is woken (a publish,
//! a re-send), so it makes no wakeups while nothing is due; everything it does is
//! claimed with a lease in SQLite, so several processes on one workspace never send one
//! delivery twice at once, and whatever a stopped or killed process left is taken over
//! when its lease runs out (or at once, after a clean stop).
//!
//! Every (publish, site) moves through one persisted state machine (`stage::Stage`);
//! each change is committed first and then broadcast as an `Event`, so what a
//! subscriber sees is always already in the database.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::confirm::{self, Confirmer, Expected};
use crate::error::Result;
use crate::events::{self, Events};
use crate::frontmatter;
use crate::outbox::{Answered, Outbox, OutboxConfig};
use crate::publish::{self, LiveWait, PublishReport, Targets};
use crate::secrets::SecretStore;
use crate::stage::{Partly, Stage};
use crate::store::{
    current_timestamp, lock, AttemptRecord, ConfirmationRecord, DueDelivery, Enqueued, Method,
    Moved, NewDelivery, NewPublish, NextStep, Outcome, Poll, PublishRecord, Site, Standing, Store,
    ToConfirm, REMOVED_SITE,
};
use crate::webhook::{Envelope, EventKind};

/// Outbox passes that may run at once (each claims what is due when it starts, so a
/// publish need not wait for a slow site of an earlier one).
const MAX_PASSES: usize = 4;
/// How often `follow` reads the standings again (another process may be working on the
/// run: its events do not reach this one).
const REREAD: Duration = Duration::from_secs(2);
/// After the workspace's watch fired, the service looks for other connections' commits
/// again this long after, and then this long after that: the watch can fire on another
/// process's write to the log a moment before that commit is visible, and nothing
/// fires when it becomes so.
const SETTLE: [Duration; 2] = [Duration::from_millis(20), Duration::from_millis(250)];
/// Confirmations running at once (more are claimed as these finish).
const MAX_CONFIRMATIONS: usize = 128;

/// What the publisher reports, as it happens (after it is committed).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A publish was recorded; one delivery per site is queued.
    Published {
        publish_id: i64,
        slug: String,
        revision: String,
        created: bool,
        already_live: bool,
        /// It was taken down (an unpublish), not published.
        #[serde(default)]
        unpublish: bool,
        sites: Vec<Standing>,
    },
    /// A site's stage moved; `message` says what happened and what to do.
    Changed {
        publish_id: i64,
        delivery_id: i64,
        site: String,
        stage: Stage,
        /// A confirmation of its page is (still) owed: the stage will move on.
        confirming: bool,
        message: String,
    },
    /// A webhook attempt was answered (or failed to get an answer).
    Attempted {
        publish_id: i64,
        delivery_id: i64,
        site: String,
        attempt: u32,
        status: Option<u16>,
        latency_ms: u64,
        error: Option<String>,
    },
    /// The site's page is being fetched until it shows the revision.
    Confirming {
        publish_id: i64,
        delivery_id: i64,
        site: String,
        url: String,
        timeout_ms: u64,
    },
    /// One fetch of the page.
    Polled {
        publish_id: i64,
        delivery_id: i64,
        site: String,
        poll: Poll,
    },
    /// A scheduled publish fell due and was carried out (its publish's events follow
    /// or came before), put off to be tried again, or given up.
    Scheduled {
        slug: String,
        outcome: ScheduleOutcome,
    },
}

/// What became of a scheduled publish when it fell due.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ScheduleOutcome {
    /// Published as publish `publish_id`; `late` says how late, when it was.
    Published {
        publish_id: i64,
        late: Option<String>,
    },
    /// Could not be published (the content API or a destination unreachable): tried
    /// again at `at` (RFC 3339, UTC); `attempt` tries have failed so far.
    Retrying {
        error: String,
        at: String,
        attempt: u32,
    },
    /// Given up.
    Failed { error: String },
}

impl Event {
    /// Where `standing` says its site is, as a change (a re-send, a re-read).
    fn changed_to(standing: &Standing) -> Event {
        Event::Changed {
            publish_id: standing.publish_id,
            delivery_id: standing.delivery_id,
            site: standing.site.clone(),
            stage: standing.stage.clone(),
            confirming: standing.confirming,
            message: standing.message.clone(),
        }
    }

    /// The publish the event is of (a schedule's outcome is of none).
    pub fn publish_id(&self) -> Option<i64> {
        match self {
            Event::Published { publish_id, .. }
            | Event::Changed { publish_id, .. }
            | Event::Attempted { publish_id, .. }
            | Event::Confirming { publish_id, .. }
            | Event::Polled { publish_id, .. } => Some(*publish_id),
            Event::Scheduled { .. } => None,
        }
    }

    pub fn delivery_id(&self) -> Option<i64> {
        match self {
            Event::Published { .. } | Event::Scheduled { .. } => None,
            Event::Changed { delivery_id, .. }
            | Event::Attempted { delivery_id, .. }
            | Event::Confirming { delivery_id, .. }
            | Event::Polled { delivery_id, .. } => Some(*delivery_id),
        }
    }
}

/// A publish and where each of its sites ended up (or stands, when the wait ended
/// first).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub publish: PublishReport,
    pub sites: Vec<Standing>,
}

impl RunReport {
    /// Every site is live (or, when no confirmation was asked for, accepted the webhook).
    pub fn all_done(&self, live: LiveWait) -> bool {
        self.sites.iter().all(|s| match live {
            LiveWait::No => matches!(s.stage, Stage::Accepted),
            _ => matches!(s.stage, Stage::Live { .. }),
        })
    }
}

/// How many times a scheduled publish is tried when what it goes to cannot be reached
/// (over about two hours), before it is recorded as failed.
const SCHEDULE_TRIES: u32 = 10;

/// How long a worker holds a due schedule while it publishes it: past it, another
/// worker may take it up (this one died).
const SCHEDULE_LEASE: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Mutex<Store>>,
    secrets: SecretStore,
    outbox: Outbox,
    confirmer: Confirmer,
    events: events::Sender,
    /// A publish or re-send queued something: look at the outbox now.
    wake: Notify,
    /// The outbox committed answers (claim the confirmations they made owed), or a
    /// publish's pass ended (work out when to look next): look around.
    look_again: Arc<Notify>,
    /// While `serve` runs (and only then): where a publish starts the pass that sends
    /// the deliveries it claimed for the worker, at once, whatever `serve` is busy with.
    handed: Mutex<Option<HandedPasses>>,
    /// Outbox passes `serve` has started (each claims what is due).
    passes: std::sync::atomic::AtomicU64,
}

/// The passes publishes started for the deliveries they claimed, on `serve`'s runtime.
struct HandedPasses {
    runtime: tokio::runtime::Handle,
    passes: JoinSet<()>,
}

/// Ends what `serve` lets publishes do, however `serve` ends (stopped, or dropped):
/// claim for the worker, and start passes on its runtime.
struct StopsServing<'a>(&'a Inner);

impl Drop for StopsServing<'_> {
    fn drop(&mut self) {
        // Passes still under way (`serve` was dropped) end with it.
        lock_handed(&self.0.handed).take();
    }
}

/// Wakes whoever waits on the `Notify` when dropped.
struct NotifyOnDrop(Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

fn lock_handed<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A publisher serving in the background; dropping it leaves the task running until
/// `stop` is called or the runtime ends.
pub struct Running {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Stops taking work, lets what is in flight finish (briefly), gives up the rest's
    /// leases, and waits for the worker to end.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

impl Publisher {
    pub fn new(store: Arc<Mutex<Store>>, secrets: SecretStore) -> Publisher {
        Publisher::with_config(
            store,
            secrets,
            OutboxConfig::default(),
            Confirmer::default(),
        )
    }

    pub fn with_config(
        store: Arc<Mutex<Store>>,
        secrets: SecretStore,
        outbox: OutboxConfig,
        confirmer: Confirmer,
    ) -> Publisher {
        let events = events::Sender::new();
        let look_again = Arc::new(Notify::new());
        let (sender, wake) = (events.clone(), look_again.clone());
        let outbox = Outbox::new(store.clone(), secrets.clone(), outbox).with_observer(
            move |batch: &[Answered]| {
                // All at once: a subscriber is woken once for the batch, not per event.
                sender.send_all(batch.iter().flat_map(events_of));
                // `serve` has something new to do only for a confirmation made owed, or
                // a retry to time; plain acceptances (most of a fan-out) need nothing.
                let news = |m: &Moved| m.confirming || matches!(m.stage, Stage::RetryAt { .. });
                if batch.iter().any(|a| a.moved.as_ref().is_some_and(news)) {
                    wake.notify_one();
                }
            },
        );
        Publisher {
            inner: Arc::new(Inner {
                store,
                secrets,
                outbox,
                confirmer,
                events,
                wake: Notify::new(),
                look_again,
                handed: Mutex::new(None),
                passes: Default::default(),
            }),
        }
    }

    pub fn store(&self) -> &Arc<Mutex<Store>> {
        &self.inner.store
    }

    pub fn secrets(&self) -> &SecretStore {
        &self.inner.secrets
    }

    /// The confirmer this publisher fetches pages with (and their stylesheets, for the
    /// side-by-side view).
    pub fn confirmer(&self) -> &Confirmer {
        &self.inner.confirmer
    }

    /// Every event from now on. Subscribe before publishing to see the whole run.
    pub fn subscribe(&self) -> Events {
        self.inner.events.subscribe()
    }

    /// Tells the worker to look at the outbox now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// How many outbox passes the service has started (each claims what is due); for
    /// tests of when it wakes.
    #[doc(hidden)]
    pub fn passes_started(&self) -> u64 {
        self.inner.passes.load(Ordering::Relaxed)
    }

    /// Whether another connection has committed to the workspace since `seen` (which
    /// is moved on); `true` when that cannot be told. `None` while this process is
    /// using the store (a publish writing its fan-out): look again a little later
    /// rather than wait for it.
    fn others_wrote(&self, seen: &mut Option<i64>) -> Option<bool> {
        let store = match self.inner.store.try_lock() {
            Ok(store) => store,
            Err(std::sync::TryLockError::WouldBlock) => return None,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        };
        let now = store.data_version().ok();
        let moved = now.is_none() || now != *seen;
        *seen = now;
        Some(moved)
    }

    /// Serves on the current Tokio runtime until `stop`.
    pub fn spawn(&self) -> Running {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let me = self.clone();
        Running {
            shutdown: Some(tx),
            task: tokio::spawn(async move {
                me.serve(async {
                    let _ = rx.await;
                })
                .await
            }),
        }
    }

    /// The worker: sends what is due, confirms what was accepted, sleeps until the next
    /// due time or a wake, until `shutdown` completes.
    pub async fn serve(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        *lock_handed(&self.inner.handed) = Some(HandedPasses {
            runtime: tokio::runtime::Handle::current(),
            passes: JoinSet::new(),
        });
        // Should this future be dropped rather than stopped, publishes stop handing
        // passes over, and those under way end with it.
        let _stopped = StopsServing(&self.inner);
        let mut passes: JoinSet<Result<usize>> = JoinSet::new();
        let mut confirmations: JoinSet<()> = JoinSet::new();
        let mut schedules: JoinSet<()> = JoinSet::new();
        let watch = {
            let database = lock(&self.inner.store).path().to_path_buf();
            match crate::watch::Writes::of(&database) {
                Ok(watch) => Some(watch),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the workspace for other processes' work");
                    None
                }
            }
        };
        // The database as other connections left it when the service last looked, and
        // when to look again after the watch fired (and which look that is).
        let mut seen_version = lock(&self.inner.store).data_version().ok();
        let mut recheck_at: Option<(Instant, usize)> = None;
        let mut want_pass = true;
        // After a failed pass (the database busy or broken), wait a little.
        let mut not_before = Instant::now();
        // Whether to claim what is owed and work out when to look next: not when the
        // only news is this process's own commits.
        let mut look_around = true;
        let mut wake_at: Option<SystemTime> = None;
        loop {
            if want_pass && passes.len() < MAX_PASSES && Instant::now() >= not_before {
                want_pass = false;
                self.inner.passes.fetch_add(1, Ordering::Relaxed);
                let me = self.clone();
                passes.spawn(async move { me.inner.outbox.run_due().await });
            }
            if look_around {
                let room = MAX_CONFIRMATIONS.saturating_sub(confirmations.len());
                match self.claim_confirmations(room).await {
                    Ok(owed) => {
                        for c in owed {
                            let me = self.clone();
                            confirmations.spawn(async move { me.confirm(c).await });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim confirmations");
                        not_before = Instant::now() + Duration::from_secs(1);
                    }
                }
                // Scheduled publishes that are due (or were missed while nothing ran).
                match self.claim_schedules().await {
                    Ok(due) => {
                        for schedule in due {
                            let me = self.clone();
                            schedules.spawn(async move { me.run_schedule(schedule).await });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim scheduled publishes");
                        not_before = Instant::now() + Duration::from_secs(1);
                    }
                }
                // When to look again: the next delivery due (unless every pass slot is busy:
                // a finishing pass wakes us), the next confirmation that can be claimed
                // (unless there is no room: a finishing one wakes us), the next schedule due,
                // or never (another process's writes wake us: `watch`).
                let next = {
                    let store = lock(&self.inner.store);
                    let deliveries = if passes.len() < MAX_PASSES {
                        store.next_due_for_worker()
                    } else {
                        Ok(None)
                    };
                    let confirmations = if confirmations.len() < MAX_CONFIRMATIONS {
                        store.next_confirmation_at()
                    } else {
                        Ok(None)
                    };
                    let schedules = store.next_schedule_at();
                    deliveries.and_then(|d| Ok((d, confirmations?, schedules?)))
                };
                let wait = match next {
                    Ok((d, c, s)) => [d, c, s]
                        .into_iter()
                        .flatten()
                        .map(|at| crate::outbox::until(&at))
                        .min(),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the outbox");
                        Some(Duration::from_secs(1))
                    }
                }
                .map(|w| w.max(not_before.saturating_duration_since(Instant::now())));
                wake_at = wait.map(|w| SystemTime::now() + w);
            }
            look_around = true;
            // On the wall clock: a time that passed while the machine was suspended
            // wakes the service as soon as it resumes (`wall_timer`).
            let timer = async {
                match wake_at {
                    Some(at) => crate::wall_timer::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            // Another process (the CLI, an app beside a daemon) writing the workspace
            // may have scheduled a publish or queued work: looked at again then.
            let others = async {
                match &watch {
                    Some(watch) => watch.changed().await,
                    None => std::future::pending().await,
                }
            };
            let recheck = async {
                match recheck_at {
                    Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.inner.wake.notified() => want_pass = true,
                _ = self.inner.look_again.notified() => {}
                _ = timer => want_pass = true,
                // This process's own commits (a fan-out records its answers as they
                // come, an edit saves) wake the watch too, but what they make to do
                // wakes the service itself: only another connection's commit, which
                // moves `data_version`, calls for a pass. One not yet visible when the
                // watch fired is looked for again shortly after (`SETTLE`).
                // Nothing to look around for unless it did.
                _ = others => {
                    let wrote = self.others_wrote(&mut seen_version);
                    want_pass |= wrote == Some(true);
                    look_around = want_pass;
                    recheck_at = Some((Instant::now() + SETTLE[0], 0));
                }
                _ = recheck => {
                    let wrote = self.others_wrote(&mut seen_version);
                    want_pass |= wrote == Some(true);
                    look_around = want_pass;
                    recheck_at = recheck_at.and_then(|(_, look)| {
                        // The store was busy: this look again, shortly.
                        let next = if wrote.is_none() { look } else { look + 1 };
                        let after = SETTLE.get(next)?;
                        Some((Instant::now() + *after, next))
                    });
                }
                Some(done) = passes.join_next() => match done {
                    Ok(Ok(attempts)) => {
                        if attempts == 0 {
                            // Nothing was due after all (another process took it):
                            // no hot loop while its lease lasts.
                            not_before = Instant::now() + Duration::from_millis(50);
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "an outbox pass failed; trying again shortly");
                        not_before = Instant::now() + Duration::from_secs(1);
                        want_pass = true;
                    }
                    Err(e) => tracing::error!(error = %e, "an outbox pass panicked"),
                },
                Some(_) = confirmations.join_next() => {}
                Some(_) = schedules.join_next() => {}
            }
        }
        // Stopping: confirmations are cheap to redo; attempts in flight get a moment.
        // What a publish claims from now on it releases (`enqueue_announced`).
        let mut handed = lock_handed(&self.inner.handed)
            .take()
            .map(|h| h.passes)
            .unwrap_or_default();
        confirmations.abort_all();
        // Scheduled publishes under way get the moment attempts get (one cut off in a
        // CMS write is taken up again once its lease ends).
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while schedules.join_next().await.is_some() {}
        })
        .await;
        schedules.abort_all();
        while schedules.join_next().await.is_some() {}
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while passes.join_next().await.is_some() {}
            while handed.join_next().await.is_some() {}
        })
        .await;
        passes.abort_all();
        handed.abort_all();
        while confirmations.join_next().await.is_some() {}
        while passes.join_next().await.is_some() {}
        while handed.join_next().await.is_some() {}
        let store = self.inner.store.clone();
        let owner = self.inner.outbox.owner().to_owned();
        match tokio::task::spawn_blocking(move || lock(&store).release_leases(&owner)).await {
            Ok(released) => released,
            // The runtime is shutting down under us: the leases run out by themselves
            // (or are taken over at once, this process being gone).
            Err(e) => {
                tracing::warn!(error = %e, "could not release the leases while stopping");
                Ok(())
            }
        }
    }

    /// Publishes `slug` to the content API and queues one webhook per target site (all
    /// enabled ones when `sites` is empty), each confirmed per `live` once accepted; the
    /// worker takes it from there. Subscribe first to see every event of the run.
    pub async fn publish(
        &self,
        targets: &Targets,
        slug: &str,
        live: LiveWait,
    ) -> Result<PublishReport> {
        Ok(self.publish_run(targets, slug, live, false).await?.0)
    }

    /// Takes `slug` down from the content API and tells its sites
    /// (`content.unpublished`); with `live`, each site's page is confirmed gone.
    pub async fn unpublish(
        &self,
        targets: &Targets,
        slug: &str,
        live: LiveWait,
    ) -> Result<PublishReport> {
        Ok(self.publish_run(targets, slug, live, true).await?.0)
    }

    /// `publish`, or with `unpublish` `unpublish`; also what was enqueued, to follow
    /// the run from (`follow_enqueued`).
    pub async fn publish_run(
        &self,
        targets: &Targets,
        slug: &str,
        live: LiveWait,
        unpublish: bool,
    ) -> Result<(PublishReport, Enqueued)> {
        let store = &self.inner.store;
        let p = if unpublish {
            publish::unpublish(store, targets, slug, live).await?
        } else {
            publish::publish(store, targets, slug, live).await?
        };
        self.record_run(p, unpublish)
    }

    /// Records what the content API took (a publish, or with `unpublish` a take-down)
    /// and hands its deliveries to the worker, announcing it first.
    fn record_run(
        &self,
        p: publish::ApiPublished,
        unpublish: bool,
    ) -> Result<(PublishReport, Enqueued)> {
        let record = NewPublish {
            slug: &p.slug,
            revision: &p.revision,
            source: &p.source,
            unpublish,
        };
        let enqueued = self.enqueue_announced(&record, &p.deliveries, |e| Event::Published {
            publish_id: e.publish_id,
            slug: p.slug.clone(),
            revision: p.revision.clone(),
            created: p.created,
            already_live: p.already_live,
            unpublish,
            sites: e.standings.clone(),
        })?;
        let report = PublishReport {
            publish_id: enqueued.publish_id,
            slug: p.slug,
            revision: p.revision,
            created: p.created,
            already_live: p.already_live,
            document: p.document,
            sites: p.sites,
            unpublished: unpublish,
        };
        Ok((report, enqueued))
    }

    /// Records a publish and queues its deliveries (one transaction), and has the
    /// worker send them now. Returns where each site stands.
    pub fn enqueue(
        &self,
        publish: &NewPublish<'_>,
        deliveries: &[NewDelivery],
    ) -> Result<Enqueued> {
        self.enqueue_announced(publish, deliveries, |_| None)
    }

    /// `enqueue`, broadcasting the event `announce` makes of the recorded publish
    /// before any answer to it is reported. While the worker serves, the deliveries
    /// are recorded already claimed for a pass of its own, started on its runtime as
    /// soon as the publish is committed (a wide fan-out's deliveries are written as
    /// their answers come: `Store::enqueue_publish`): no claim query, no wait for the
    /// worker to look, nor for whatever the worker is doing.
    fn enqueue_announced<E: Into<Option<Event>>>(
        &self,
        publish: &NewPublish<'_>,
        deliveries: &[NewDelivery],
        announce: impl FnOnce(&Enqueued) -> E,
    ) -> Result<Enqueued> {
        let inner = &self.inner;
        let claimed_at = Instant::now();
        let claim = lock_handed(&inner.handed)
            .is_some()
            .then(|| inner.outbox.pass_name());
        // Held until the publish is announced: answers are recorded, and reported,
        // only after it.
        let mut store = lock(&inner.store);
        // What the worker's pass needs to start without the store (only when claimed).
        let sites_version = claim.as_ref().and_then(|_| store.sites_version().ok());
        let mut handed = false;
        let enqueued = store.enqueue_publish(
            publish,
            deliveries,
            claim.as_deref().map(|c| (c, inner.outbox.lease())),
            |due| {
                let claim = claim.clone().expect("handed over only when claimed");
                handed = self.hand_over(claim, claimed_at, due, sites_version);
            },
        )?;
        if let Some(event) = announce(&enqueued).into() {
            inner.events.send(event);
        }
        match claim {
            // The worker stopped meanwhile (it gives up its leases as it ends): give
            // these up too, for whoever serves next.
            Some(claim) if !handed => {
                store.finish_handed(&claim)?;
                store.release_leases(&claim)?
            }
            Some(_) => {}
            None => {
                drop(store);
                self.wake();
            }
        }
        Ok(enqueued)
    }

    /// Starts the pass that sends `due`, which a publish claimed under `claim` at
    /// `claimed_at`, on the worker's runtime; whether the worker was serving to take it.
    fn hand_over(
        &self,
        claim: String,
        claimed_at: Instant,
        due: Vec<DueDelivery>,
        sites_version: Option<i64>,
    ) -> bool {
        let mut handed = lock_handed(&self.inner.handed);
        let Some(handed) = handed.as_mut() else {
            return false;
        };
        // Those that ended are let go of (each logged its own failure).
        while let Some(ended) = handed.passes.try_join_next() {
            if let Some(e) = ended.err().filter(|e| e.is_panic()) {
                tracing::error!(error = %e, "a publish's outbox pass panicked");
            }
        }
        let me = self.clone();
        let pass = async move {
            // However the pass ends, the worker then looks around: a delivery it left
            // unanswered (a lease it could not renew, a panic) is due again once its
            // lease runs out, and only a look around sets the timer for that.
            let _look_around = NotifyOnDrop(me.inner.look_again.clone());
            let outbox = &me.inner.outbox;
            let sent = outbox.send_claimed(claim, claimed_at, due, sites_version);
            if let Err(e) = sent.await {
                tracing::warn!(
                    error = %e,
                    "a publish's outbox pass failed; what it did not record is sent again once its leases run out"
                );
            }
        };
        handed.passes.spawn_on(pass, &handed.runtime);
        true
    }

    /// Queues one delivery again, now (same webhook-id), its page confirmed per `live`.
    pub fn resend(&self, delivery_id: i64, live: LiveWait) -> Result<Standing> {
        let standing = {
            let mut store = lock(&self.inner.store);
            let delivery = store.delivery(delivery_id)?;
            let timeout = match delivery.site_id {
                Some(id) => store.site_by_id(id)?.and_then(|s| live.timeout_for(&s)),
                None => None,
            };
            store.redeliver(delivery_id, timeout)?;
            store
                .standings(delivery.publish_id)?
                .into_iter()
                .find(|s| s.delivery_id == delivery_id)
                .expect("the delivery belongs to its publish")
        };
        self.inner.events.send(Event::changed_to(&standing));
        self.wake();
        Ok(standing)
    }

    /// Follows publish `publish_id` (only delivery `only`, when given) with the events of
    /// `events` (subscribed before the publish or re-send) until every site is settled —
    /// or, once `deliver_for` has passed, until the only ones left are waiting for their
    /// webhook (a worker goes on with them). What another process does is not in
    /// `events`: the standings are read again every few seconds. Returns where each
    /// site stands.
    pub async fn follow(
        &self,
        events: Events,
        publish_id: i64,
        only: Option<i64>,
        deliver_for: Option<Duration>,
        on_event: impl FnMut(&Event),
    ) -> Result<Vec<Standing>> {
        self.follow_from(events, publish_id, only, None, deliver_for, on_event)
            .await
    }

    /// `follow` for a publish enqueued after `events` was subscribed, starting from where
    /// `enqueue` said its sites stand (the events since then bring them up to date)
    /// instead of reading them.
    pub async fn follow_enqueued(
        &self,
        events: Events,
        enqueued: Enqueued,
        deliver_for: Option<Duration>,
        on_event: impl FnMut(&Event),
    ) -> Result<Vec<Standing>> {
        let Enqueued {
            publish_id,
            standings,
        } = enqueued;
        self.follow_from(
            events,
            publish_id,
            None,
            Some(standings),
            deliver_for,
            on_event,
        )
        .await
    }

    /// `follow`, from `known` standings when given (else they are read).
    async fn follow_from(
        &self,
        mut events: Events,
        publish_id: i64,
        only: Option<i64>,
        known: Option<Vec<Standing>>,
        deliver_for: Option<Duration>,
        mut on_event: impl FnMut(&Event),
    ) -> Result<Vec<Standing>> {
        let deadline = deliver_for.map(|d| Instant::now() + d);
        let read = || -> Result<Vec<Standing>> {
            let mut standings = lock(&self.inner.store).standings(publish_id)?;
            standings.retain(|s| only.is_none_or(|id| id == s.delivery_id));
            Ok(standings)
        };
        let unsettled_in = |all: &[Standing]| {
            all.iter()
                .filter(|s| !s.stage.is_settled(s.confirming))
                .count()
        };
        let mut standings = match known {
            Some(known) => known,
            None => read()?,
        };
        // How many sites are not settled yet, kept as events come (a fan-out's run
        // sees thousands).
        let mut unsettled = unsettled_in(&standings);
        let mut next_reread = Instant::now() + REREAD;
        // Applies one event; `None`: the standings were read again (an event was missed,
        // or another process may have worked on the run) and every site whose stage
        // differs is reported as changed, so the follower misses nothing.
        let mut apply = |event: Option<&Event>,
                         standings: &mut Vec<Standing>,
                         unsettled: &mut usize|
         -> Result<()> {
            let Some(event) = event else {
                let fresh = read()?;
                for s in &fresh {
                    let known = standings
                        .binary_search_by_key(&s.delivery_id, |o| o.delivery_id)
                        .ok()
                        .map(|i| &standings[i]);
                    if known.is_none_or(|o| o.stage != s.stage || o.confirming != s.confirming) {
                        on_event(&Event::changed_to(s));
                    }
                }
                *unsettled = unsettled_in(&fresh);
                *standings = fresh;
                return Ok(());
            };
            if event.publish_id() != Some(publish_id)
                || only.is_some_and(|id| event.delivery_id() != Some(id))
            {
                return Ok(());
            }
            on_event(event);
            if let Event::Changed {
                delivery_id,
                stage,
                confirming,
                message,
                ..
            } = event
            {
                // In delivery order (`standings`): a fan-out reports thousands.
                if let Ok(i) = standings.binary_search_by_key(delivery_id, |s| s.delivery_id) {
                    let s = &mut standings[i];
                    let was = s.stage.is_settled(s.confirming);
                    s.confirming = *confirming;
                    s.stage = stage.clone();
                    s.message.clone_from(message);
                    match (was, s.stage.is_settled(s.confirming)) {
                        (false, true) => *unsettled -= 1,
                        (true, false) => *unsettled += 1,
                        _ => {}
                    }
                }
            }
            Ok(())
        };
        loop {
            // What already arrived is reported before deciding whether the run is over.
            loop {
                match events.try_recv_many() {
                    Ok(received) => {
                        for event in received.iter() {
                            apply(Some(event), &mut standings, &mut unsettled)?
                        }
                    }
                    Err(TryRecvError::Lagged(_)) => apply(None, &mut standings, &mut unsettled)?,
                    Err(_) => break,
                }
            }
            let past = deadline.is_some_and(|d| Instant::now() >= d);
            let done = unsettled == 0
                || (past
                    && standings.iter().all(|s| {
                        s.stage.is_settled(s.confirming)
                            || matches!(
                                s.stage,
                                Stage::Queued | Stage::Sending { .. } | Stage::RetryAt { .. }
                            )
                    }));
            if done {
                break;
            }
            let until_deadline = async {
                match deadline.filter(|_| !past) {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = events.recv_many() => match received {
                    Ok(received) => {
                        for event in received.iter() {
                            apply(Some(event), &mut standings, &mut unsettled)?
                        }
                    }
                    Err(RecvError::Lagged(_)) => apply(None, &mut standings, &mut unsettled)?,
                    Err(RecvError::Closed) => break,
                },
                _ = until_deadline => {}
                // On a fixed schedule: a steady stream of other runs' events must not
                // put it off.
                _ = tokio::time::sleep_until(next_reread.into()) => {
                    apply(None, &mut standings, &mut unsettled)?;
                    next_reread = Instant::now() + REREAD;
                }
            }
        }
        // What the events did not bring (attempt counts, times; another process's
        // changes since the last reading).
        lock(&self.inner.store).refresh_standings(&mut standings)?;
        Ok(standings)
    }

    /// Publishes and follows the run: what `pressroom publish` and the tests do.
    pub async fn publish_and_follow(
        &self,
        targets: &Targets,
        slug: &str,
        live: LiveWait,
        deliver_for: Duration,
        on_event: impl FnMut(&Event),
    ) -> Result<RunReport> {
        let events = self.subscribe();
        let run = self.publish_run(targets, slug, live, false).await?;
        self.follow_run(events, run, deliver_for, on_event).await
    }

    /// `unpublish`, then follows it as `publish_and_follow` does.
    pub async fn unpublish_and_follow(
        &self,
        targets: &Targets,
        slug: &str,
        live: LiveWait,
        deliver_for: Duration,
        on_event: impl FnMut(&Event),
    ) -> Result<RunReport> {
        let events = self.subscribe();
        let run = self.publish_run(targets, slug, live, true).await?;
        self.follow_run(events, run, deliver_for, on_event).await
    }

    async fn follow_run(
        &self,
        events: Events,
        (publish, enqueued): (PublishReport, Enqueued),
        deliver_for: Duration,
        on_event: impl FnMut(&Event),
    ) -> Result<RunReport> {
        let sites = self
            .follow_enqueued(events, enqueued, Some(deliver_for), on_event)
            .await?;
        Ok(RunReport { publish, sites })
    }

    /// "Test webhook": sends site `name` a signed `content.published` event now, for
    /// the latest publish in the workspace (revalidating a page that is already current
    /// is harmless) or, before any, for a `pressroom-test` slug. Neither queued nor
    /// recorded; the answer says whether the URL and the secret work.
    pub async fn test_webhook(&self, name: &str) -> Result<AttemptRecord> {
        let (site, latest) = {
            let store = lock(&self.inner.store);
            (store.site(name)?, store.latest_publish()?)
        };
        let (slug, revision) = latest
            .map(|p| (p.slug, p.revision))
            .unwrap_or_else(|| ("pressroom-test".into(), "r_test".into()));
        let body = serde_json::to_string(&Envelope::new(
            EventKind::Published,
            &slug,
            &revision,
            &site,
            &current_timestamp(),
        ))
        .expect("envelopes serialize");
        Ok(self
            .inner
            .outbox
            .send_once(&site, &publish::message_id(), &body)
            .await)
    }

    async fn claim_confirmations(&self, limit: usize) -> Result<Vec<ToConfirm>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let store = self.inner.store.clone();
        let owner = self.inner.outbox.owner().to_owned();
        tokio::task::spawn_blocking(move || lock(&store).claim_confirmations(&owner, limit))
            .await
            .expect("claiming does not panic")
    }

    async fn claim_schedules(&self) -> Result<Vec<crate::store::Schedule>> {
        let store = self.inner.store.clone();
        let owner = self.inner.outbox.owner().to_owned();
        tokio::task::spawn_blocking(move || {
            lock(&store).claim_due_schedules(&owner, SCHEDULE_LEASE)
        })
        .await
        .expect("claiming does not panic")
    }

    /// Carries out a claimed schedule: publishes the draft as it is now to its sites
    /// (each confirmed within its own timeout, by this worker), and records how it
    /// went.
    async fn run_schedule(&self, schedule: crate::store::Schedule) {
        if let Some(late) = crate::schedule::lateness(&schedule) {
            tracing::warn!(slug = %schedule.slug, %late, "a scheduled publish runs late");
        }
        let publishing = async {
            let targets = Targets::resolve(
                &lock(&self.inner.store),
                &self.inner.secrets,
                &schedule.sites,
            )?;
            self.publish(&targets, &schedule.slug, LiveWait::SiteTimeout)
                .await
                .map(|report| report.publish_id)
        };
        // Held while it runs (uploads may take minutes): no one else takes it up, and
        // it cannot be cancelled or moved halfway.
        let renewing = async {
            #[allow(clippy::infinite_loop)]
            loop {
                tokio::time::sleep(SCHEDULE_LEASE / 4).await;
                let store = self.inner.store.clone();
                let owner = self.inner.outbox.owner().to_owned();
                let id = schedule.id;
                let renewed = tokio::task::spawn_blocking(move || {
                    lock(&store).renew_schedule_lease(id, &owner, SCHEDULE_LEASE)
                })
                .await;
                if !matches!(renewed, Ok(Ok(true))) {
                    tracing::warn!(slug = %schedule.slug, "could not hold a scheduled publish");
                }
            }
        };
        let outcome = tokio::select! {
            outcome = publishing => outcome,
            () = renewing => unreachable!("renews until the publish ends"),
        };
        // The content API or a destination could not be reached: tried again later,
        // backing off (30 s, 1 min, 2 min … 30 min), at most `SCHEDULE_TRIES` times.
        if let Err(e) = &outcome {
            let transient = matches!(
                e.kind(),
                "unreachable" | "destination_unreachable" | "server_error"
            );
            if transient && schedule.attempts + 1 < SCHEDULE_TRIES {
                let wait = (Duration::from_secs(30) * 2u32.pow(schedule.attempts.min(6)))
                    .min(Duration::from_secs(1800));
                let at = crate::store::current_timestamp_after(wait);
                let kept = lock(&self.inner.store).retry_schedule(
                    schedule.id,
                    self.inner.outbox.owner(),
                    &e.to_string(),
                    &at,
                );
                tracing::warn!(slug = %schedule.slug, error = %e, ?wait, "a scheduled publish will be tried again");
                match kept {
                    Ok(true) => self.scheduled(
                        &schedule.slug,
                        ScheduleOutcome::Retrying {
                            error: e.to_string(),
                            at,
                            attempt: schedule.attempts + 1,
                        },
                    ),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not record a scheduled publish"),
                }
                return;
            }
        }
        let error = outcome.as_ref().err().map(ToString::to_string);
        let recorded = lock(&self.inner.store).finish_schedule(
            schedule.id,
            self.inner.outbox.owner(),
            match (&outcome, &error) {
                (Ok(id), _) => Ok(*id),
                (Err(_), e) => Err(e.as_deref().unwrap_or("failed")),
            },
        );
        match (recorded, error) {
            (Err(e), _) => tracing::warn!(error = %e, "could not record a scheduled publish"),
            (Ok(false), _) => {
                tracing::warn!(slug = %schedule.slug, "a scheduled publish ended after its lease did")
            }
            (Ok(_), Some(e)) => {
                tracing::warn!(slug = %schedule.slug, error = %e, "a scheduled publish failed");
                self.scheduled(&schedule.slug, ScheduleOutcome::Failed { error: e });
            }
            (Ok(_), None) => {
                tracing::info!(slug = %schedule.slug, "published as scheduled");
                if let Ok(publish_id) = outcome {
                    self.scheduled(
                        &schedule.slug,
                        ScheduleOutcome::Published {
                            publish_id,
                            late: crate::schedule::lateness(&schedule),
                        },
                    );
                }
            }
        }
    }

    fn scheduled(&self, slug: &str, outcome: ScheduleOutcome) {
        self.inner.events.send(Event::Scheduled {
            slug: slug.to_owned(),
            outcome,
        });
    }

    /// The work this workspace still has to do by itself — scheduled publishes,
    /// webhooks waiting for a retry, pages still to confirm — for a front about to
    /// close (whichever process would do it).
    pub fn pending(&self) -> Result<crate::store::PendingWork> {
        lock(&self.inner.store).pending_work()
    }

    fn changed(&self, c: &ToConfirm, site: &str, stage: Stage, message: String) {
        self.inner.events.send(Event::Changed {
            publish_id: c.publish_id,
            delivery_id: c.delivery_id,
            site: site.to_owned(),
            confirming: !stage.is_terminal(),
            stage,
            message,
        });
    }

    /// Ends a claimed confirmation that cannot go on with `stage`, if it is still ours.
    fn end_confirmation(&self, c: &ToConfirm, site: &str, stage: Stage) -> Result<()> {
        let ended = lock(&self.inner.store).end_confirmation(
            self.inner.outbox.owner(),
            c.delivery_id,
            &stage,
        )?;
        if ended {
            let message = stage.sentence(site);
            self.changed(c, site, stage, message);
        }
        Ok(())
    }

    /// Confirms one claimed delivery's page and records how it ended.
    async fn confirm(&self, c: ToConfirm) {
        let site = {
            let store = lock(&self.inner.store);
            match c.site_id.map(|id| store.site_by_id(id)) {
                Some(Ok(Some(site))) => Some(site),
                _ => None,
            }
        };
        let Some(site) = site else {
            let stage = Stage::Failed {
                reason: "the site was removed before its page was confirmed".into(),
            };
            if let Err(e) = self.end_confirmation(&c, REMOVED_SITE, stage) {
                tracing::warn!(error = %e, delivery = c.delivery_id, "could not end a confirmation");
            }
            return;
        };
        if let Err(e) = self.try_confirm(&c, &site).await {
            tracing::warn!(error = %e, delivery = c.delivery_id, "confirmation failed");
            let stage = Stage::Failed {
                reason: format!("its page could not be confirmed: {e}"),
            };
            if let Err(e) = self.end_confirmation(&c, &site.name, stage) {
                tracing::warn!(error = %e, delivery = c.delivery_id, "could not end a confirmation");
            }
        }
    }

    async fn try_confirm(&self, c: &ToConfirm, site: &Site) -> Result<()> {
        let publish = lock(&self.inner.store).publish_record(c.publish_id)?;
        let (expected, tags) = self.expected_of(&publish)?;
        let targets = confirm::targets(
            &site.page_url(&publish.slug),
            &site.also_confirm,
            &site.instances,
            &publish.slug,
            &tags,
        );
        let timeout = Duration::from_millis(c.timeout_ms);
        self.inner.events.send(Event::Confirming {
            publish_id: c.publish_id,
            delivery_id: c.delivery_id,
            site: site.name.clone(),
            url: targets[0].url.clone(),
            timeout_ms: c.timeout_ms,
        });
        let confirming = Stage::Confirming { polls: 0 };
        self.changed(
            c,
            &site.name,
            confirming.clone(),
            confirming.sentence(&site.name),
        );
        let started_at = current_timestamp();
        let on_poll = |_: usize, poll: &Poll| {
            self.inner.events.send(Event::Polled {
                publish_id: c.publish_id,
                delivery_id: c.delivery_id,
                site: site.name.clone(),
                poll: poll.clone(),
            });
        };
        let confirmer = &self.inner.confirmer;
        let mut results = confirmer
            .confirm_all(&targets, &expected, timeout, on_poll)
            .await;
        // Self-healing: what is still stale gets the webhook once more (every
        // instance), and each stale URL is fetched again — warmed — for one more timeout.
        let stale: Vec<usize> = (0..results.len())
            .filter(|i| results[*i].outcome == Outcome::Stale)
            .collect();
        let mut healed = false;
        if confirmer.config().heal && site.heal && !stale.is_empty() {
            healed = self.send_again(c.delivery_id, site).await;
            let again: Vec<confirm::Target> = stale.iter().map(|i| targets[*i].clone()).collect();
            let retried = confirmer
                .confirm_all(&again, &expected, timeout, on_poll)
                .await;
            for (i, mut result) in stale.iter().zip(retried) {
                let mut polls = std::mem::take(&mut results[*i].polls);
                let offset = polls.last().map_or(0, |p| p.elapsed_ms);
                for p in &mut result.polls {
                    p.elapsed_ms += offset;
                }
                polls.append(&mut result.polls);
                result.polls = polls;
                results[*i] = result;
            }
        }
        let (stage, message) = site_verdict(&site.name, &expected, &results, healed);
        let records: Vec<ConfirmationRecord> = results
            .into_iter()
            .map(|r| ConfirmationRecord {
                id: 0,
                publish_id: c.publish_id,
                site_id: Some(site.id),
                site_name: site.name.clone(),
                url: r.url,
                instance: r.instance,
                revision: expected.revision.clone(),
                outcome: r.outcome,
                method: r.method,
                message: r.message,
                page_text: r.page_text,
                page_html: r.page_html,
                page_styles: r.page_styles,
                started_at: started_at.clone(),
                finished_at: current_timestamp(),
                polls: r.polls,
            })
            .collect();
        let (store, owner, delivery_id, recorded) = (
            self.inner.store.clone(),
            self.inner.outbox.owner().to_owned(),
            c.delivery_id,
            stage.clone(),
        );
        let moved = tokio::task::spawn_blocking(move || {
            lock(&store).record_confirmation(&owner, delivery_id, &records, &recorded)
        })
        .await
        .expect("recording does not panic")?;
        // Not ours any more (re-sent meanwhile, or taken over): the record stays as
        // history, the stage is the new owner's to tell.
        if moved {
            self.changed(c, &site.name, stage, message);
        }
        Ok(())
    }

    /// Sends delivery `delivery_id`'s webhook (same `webhook-id`) to `site` once more,
    /// now, outside the queue: the self-healing re-send. Whether it was accepted.
    async fn send_again(&self, delivery_id: i64, site: &Site) -> bool {
        let delivery = lock(&self.inner.store).delivery(delivery_id);
        let Ok(delivery) = delivery else {
            return false;
        };
        let record = self
            .inner
            .outbox
            .send_once(site, &delivery.message_id, &delivery.body)
            .await;
        record.next == NextStep::Delivered
    }

    /// What the pages must show after `publish` (its revision, title and the text that
    /// changed since the publish before it), and the document's tags (for `{tag}` URLs).
    fn expected_of(&self, publish: &PublishRecord) -> Result<(Expected, Vec<String>)> {
        if publish.unpublished {
            // Gone everywhere it was: its tags are those it was published with.
            let tags = frontmatter::parse(&publish.source)
                .map(|p| p.tags)
                .unwrap_or_default();
            return Ok((Expected::gone(&publish.revision), tags));
        }
        let previous = lock(&self.inner.store).previous_publish(&publish.slug, publish.id)?;
        let parsed = frontmatter::parse(&publish.source)?;
        let body_of = |p: &PublishRecord| {
            frontmatter::parse(&p.source)
                .map(|p| p.body)
                .unwrap_or_default()
        };
        let mut expected = Expected::new(
            &publish.revision,
            &parsed.title,
            &parsed.body,
            previous.as_ref().map(body_of).as_deref(),
        );
        // A page may show an image as a downscaled copy.
        let store = lock(&self.inner.store);
        for shas in &mut expected.images {
            let copies = store.asset_copies(&shas[0])?;
            shas.extend(copies);
        }
        drop(store);
        Ok((expected, parsed.tags))
    }
}

/// Where a site stands after every one of its places (URL × instance) was confirmed,
/// and the sentence for the user: live only when every place is.
fn site_verdict(
    site: &str,
    expected: &Expected,
    results: &[confirm::Confirmation],
    healed: bool,
) -> (Stage, String) {
    let fresh = results
        .iter()
        .filter(|r| r.outcome == Outcome::Live)
        .count();
    let after = if healed {
        " (after the webhook was sent once more and the stale pages fetched again)"
    } else {
        ""
    };
    if fresh == results.len() {
        let method = if results.iter().all(|r| r.method == Some(Method::Exact)) {
            Method::Exact
        } else {
            Method::Heuristic
        };
        let message = match results {
            [one] => one.message.clone(),
            _ => {
                let instances: std::collections::BTreeSet<_> = results
                    .iter()
                    .filter_map(|r| r.instance.as_deref())
                    .collect();
                // Every URL is confirmed once per instance (or once, without them).
                let pages = results.len() / instances.len().max(1);
                format!(
                    "Live: {pages} pages{} serve revision {}{after}.",
                    if instances.is_empty() {
                        String::new()
                    } else {
                        format!(" on {} instances", instances.len())
                    },
                    expected.revision
                )
            }
        };
        return (Stage::Live { method }, message);
    }
    let stale: Vec<&confirm::Confirmation> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Stale)
        .collect();
    if stale.is_empty() {
        // Errors only, besides live ones: the first tells what to fix.
        let failed = results
            .iter()
            .find(|r| r.outcome != Outcome::Live)
            .expect("not all live");
        return (
            Stage::Failed {
                reason: failed.message.clone(),
            },
            format!("{site}: {}", failed.message),
        );
    }
    let seen = stale[0].polls.last().and_then(|p| p.seen_revision.clone());
    let mixed = stale.iter().find(|r| !r.mixed.is_empty());
    let partly = if results.len() > 1 && fresh > 0 {
        Some(Partly {
            fresh: fresh as u32,
            of: results.len() as u32,
        })
    } else {
        mixed.map(|r| {
            let named = r.mixed.iter().all(|m| m.id.is_some());
            Partly {
                fresh: r.mixed.iter().filter(|m| m.fresh).count() as u32,
                of: if named { r.mixed.len() as u32 } else { 0 },
            }
        })
    };
    let message = match (&partly, results) {
        (None, [one]) => format!("{}{after}", one.message),
        (None, _) | (Some(_), _) => {
            let mut sentences = Vec::new();
            if results.len() > 1 {
                sentences.push(format!(
                    "{} of {} places serve revision {}{after}.",
                    fresh,
                    results.len(),
                    expected.revision
                ));
            } else if !after.is_empty() {
                sentences.push(format!("Checked again{after}."));
            }
            sentences.extend(stale.iter().map(|r| match &r.instance {
                Some(instance) => format!("On instance {instance}: {}", r.message),
                None => r.message.clone(),
            }));
            sentences.join(" ")
        }
    };
    (Stage::Stale { seen, partly }, message)
}

/// The events of one committed answer: the attempt (unless nothing was sent) and, when
/// it moved the delivery, the stage it moved it to, as stored.
fn events_of(a: &Answered) -> Vec<Event> {
    let mut events = Vec::with_capacity(2);
    if !matches!(a.record.next, NextStep::Cancelled(_)) {
        events.push(Event::Attempted {
            publish_id: a.publish_id,
            delivery_id: a.delivery_id,
            site: a.site.clone(),
            attempt: a.attempt,
            status: a.record.status,
            latency_ms: a.record.latency_ms,
            error: a.record.error.clone(),
        });
    }
    if let Some(moved) = &a.moved {
        events.push(Event::Changed {
            publish_id: a.publish_id,
            delivery_id: a.delivery_id,
            site: a.site.clone(),
            message: moved.stage.sentence(&a.site),
            stage: moved.stage.clone(),
            confirming: moved.confirming,
        });
    }
    events
}
