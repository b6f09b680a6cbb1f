//! Delivers the outbox: every due delivery, concurrently (bounded overall and per site,
//! so one slow site cannot hold back the others), each attempt signed afresh with the
//! same `webhook-id`, and recorded — status, latency, headers, the first 2 KB of the
//! answer, or the error. Deliveries are claimed with a lease in SQLite (see
//! `Store::claim_due`), only as many as can be sent at once.
//!
//! Delivery rules (docs/webhook.md): 2xx delivered; 3xx a failure, never followed;
//! 410 disables the site; 429/502/503/504 (and other 5xx, timeouts, refused
//! connections) retried after the backoff schedule with jitter, or a longer `Retry-After`; other
//! 4xx a configuration error shown to the user, not retried. State lives in SQLite, so
//! whatever is pending when the process dies is delivered by the next one.

use crate::store::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::Result;
use crate::secrets::SecretStore;
use crate::stage::Stage;
use crate::store::{
    current_timestamp, AttemptRecord, DueDelivery, Moved, NextStep, Site, Store, REMOVED_SITE,
};
use crate::webhook::{self, SiteKeys};

/// One pass claims at most this many deliveries (a fan-out to thousands of sites is one
/// pass); the pass's slots bound what is in flight, and leases are renewed for what
/// waited long.
const CLAIM_LIMIT: usize = 100_000;
/// A delivery is sent only with at least an attempt's timeout and this much of its
/// lease left (else the lease is renewed first).
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// Finished attempts are committed together, up to this many…
const BATCH_SIZE: usize = 256;
/// …that arrive within this long of the first; as a pass nears its end, half as many
/// as are still to be answered, but no fewer than `LAST_BATCH`: its last answers are
/// recorded right after they come, not with a whole batch's worth of others.
const BATCH_WINDOW: Duration = Duration::from_millis(10);
const LAST_BATCH: usize = 16;

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts in flight at once, over all sites.
    pub concurrency: usize,
    /// Attempts in flight at once to one site.
    pub per_site: usize,
    /// Waits after the 1st, 2nd, … failed attempt; past its end the delivery fails.
    pub schedule: Vec<Duration>,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            timeout: Duration::from_secs(15),
            concurrency: 256,
            per_site: 8,
            schedule: [5, 300, 1800, 7200, 18000, 36000]
                .map(Duration::from_secs)
                .to_vec(),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

/// One finished attempt, as the outbox's observer sees it (before it is committed).
#[derive(Debug, Clone)]
pub struct Answered {
    pub site: String,
    pub delivery_id: i64,
    pub publish_id: i64,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub record: AttemptRecord,
    /// Where the answer moved the delivery, once committed; `None` when it moved
    /// nothing (another worker had taken the delivery over meanwhile).
    pub moved: Option<Moved>,
}

/// Sees every batch of committed answers.
type ObserverFn = dyn Fn(&[Answered]) + Send + Sync;
type Observer = Arc<ObserverFn>;

/// A site's secrets as a pass found them (the error: the secret store failed).
type Found = std::result::Result<Option<Arc<SiteKeys>>, String>;

/// Sites and decoded secrets kept between passes, valid for one `sites_version`.
#[derive(Default)]
struct SiteLookups(Mutex<Option<Lookups>>);

struct Lookups {
    version: i64,
    sites: HashMap<i64, Arc<Known>>,
    keys: HashMap<i64, Found>,
}

/// A site as passes send to it: its webhook URL parsed once, not for every attempt.
struct Known {
    site: Site,
    /// `site.webhook_url`, parsed (`None`: it does not parse).
    parsed_url: Option<reqwest::Url>,
}

impl Known {
    /// The webhook URL as stored, and parsed.
    fn parsed_webhook_url(&self) -> Option<(&str, &reqwest::Url)> {
        Some((&self.site.webhook_url, self.parsed_url.as_ref()?))
    }
}

impl std::ops::Deref for Known {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl SiteLookups {
    /// What is kept, if it was read at `version`.
    fn take(&self, version: i64) -> Option<Lookups> {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.take().filter(|l| l.version == version)
    }

    fn put(&self, lookups: Lookups) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(lookups);
    }
}

pub struct Outbox {
    /// Who claims deliveries (`deliveries.lease_owner`): unique per outbox.
    owner: String,
    store: Arc<Mutex<Store>>,
    secrets: SecretStore,
    http: reqwest::Client,
    config: Arc<OutboxConfig>,
    observer: Option<Observer>,
    lookups: SiteLookups,
    /// Attempts in flight, over every pass of this outbox…
    slots: Arc<Semaphore>,
    /// …and to each site.
    site_slots: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

impl Outbox {
    pub fn new(store: Arc<Mutex<Store>>, secrets: SecretStore, config: OutboxConfig) -> Outbox {
        // No client-wide headers: every prepared request carries its own user-agent.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .pool_max_idle_per_host(config.per_site)
            .build()
            .expect("an HTTP client with default TLS builds");
        Outbox {
            owner: owner_name(),
            store,
            secrets,
            http,
            slots: Arc::new(Semaphore::new(config.concurrency)),
            site_slots: Mutex::default(),
            config: Arc::new(config),
            observer: None,
            lookups: SiteLookups::default(),
        }
    }

    /// Calls `observer` with every batch of answers once it is committed (the publisher
    /// reports them and starts confirming from here); also with deliveries cancelled
    /// before sending (`NextStep::Cancelled`, nothing sent).
    pub fn with_observer(mut self, observer: impl Fn(&[Answered]) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The slots of one site, shared by every pass.
    fn site_slots(&self, site_id: i64) -> Arc<Semaphore> {
        let mut slots = self.site_slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry(site_id)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_site)))
            .clone()
    }

    /// The lease owner name this outbox claims deliveries under.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// How long a claim holds: an attempt's timeout and half a minute more, so a
    /// worker that died holding deliveries gives them up soon.
    pub fn lease(&self) -> Duration {
        self.config.timeout + Duration::from_secs(30)
    }

    /// Claims and attempts every delivery due now; returns how many attempts were made.
    ///
    /// Each pass claims under its own name (`<owner>/<pass>`), so two passes of one
    /// process are as distinct as two processes. A delivery that waited for a free slot
    /// long enough for its lease to be in danger renews the lease before sending, and
    /// is skipped if another worker has taken it meanwhile: a lease never runs out
    /// while its delivery is still to be sent.
    pub async fn run_due(&self) -> Result<usize> {
        let claim = self.pass_name();
        let claimed_at = Instant::now();
        let due = {
            let mut store = lock(&self.store);
            store.write_unwritten_deliveries()?;
            release_dead_owners(&mut store)?;
            store.claim_due(&claim, self.lease(), CLAIM_LIMIT)?
        };
        self.send_claimed(claim, claimed_at, due, None).await
    }

    /// A new pass's claim name (`<owner>/<pass>`): what `run_due` claims under, and
    /// what a publish claims its deliveries under when it hands them straight to the
    /// worker (`Store::enqueue_publish`).
    pub fn pass_name(&self) -> String {
        format!("{}/{}", self.owner, crate::random_hex(4))
    }

    /// Attempts `due`, claimed under `claim` at `claimed_at` (by `run_due`, or by a
    /// publish that recorded them claimed — a wide one kept unwritten until their
    /// answers, `Store::record_attempts` — which read the sites' version just before:
    /// `sites_version`); returns how many attempts were made.
    pub async fn send_claimed(
        &self,
        claim: String,
        claimed_at: Instant,
        due: Vec<DueDelivery>,
        sites_version: Option<i64>,
    ) -> Result<usize> {
        if due.is_empty() {
            return Ok(0);
        }
        // However the pass ends, what it was handed unwritten and did not answer is
        // written then.
        let _finish = FinishHanded {
            store: &self.store,
            claim: &claim,
        };
        let version = match sites_version {
            Some(version) => version,
            None => lock(&self.store).sites_version()?,
        };
        // Sites and their secrets as of `version`: kept from an earlier pass when nothing
        // changed since (keyring calls block), else read again.
        let mut known = match self.lookups.take(version) {
            Some(kept) => kept,
            None => Lookups {
                version,
                sites: lock(&self.store)
                    .sites()?
                    .into_iter()
                    .map(|site| {
                        let parsed_url = reqwest::Url::parse(&site.webhook_url).ok();
                        (site.id, Arc::new(Known { site, parsed_url }))
                    })
                    .collect(),
                keys: HashMap::new(),
            },
        };
        let sites: HashMap<i64, Option<Arc<Known>>> = due
            .iter()
            .filter_map(|d| d.site_id)
            .map(|id| (id, known.sites.get(&id).cloned()))
            .collect();
        let refs: HashMap<String, i64> = sites
            .iter()
            .filter(|(id, _)| !known.keys.contains_key(*id))
            .filter_map(|(id, s)| Some((s.as_ref()?.secret_ref.clone()?, *id)))
            .collect();
        let mut secrets: HashMap<i64, Found> = HashMap::new();
        if !refs.is_empty() {
            let secret_store = self.secrets.clone();
            secrets = tokio::task::spawn_blocking(move || {
                secret_store
                    .get_many(refs.keys().map(String::as_str))
                    .into_iter()
                    .map(|(r, found)| {
                        let found = found
                            .map(|s| s.map(|s| Arc::new(SiteKeys::from(s))))
                            .map_err(|e| e.to_string());
                        (refs[&r], found)
                    })
                    .collect()
            })
            .await
            .expect("secret lookups do not panic");
        }
        // Found secrets are kept; a failed lookup (keyring locked) is tried again.
        for (id, found) in &secrets {
            if found.is_ok() {
                known.keys.insert(*id, found.clone());
            }
        }
        for (id, found) in &known.keys {
            secrets.entry(*id).or_insert_with(|| found.clone());
        }

        let mut tasks = tokio::task::JoinSet::new();
        let mut attempts = 0;
        for delivery in due {
            let site = delivery
                .site_id
                .and_then(|id| sites.get(&id).cloned().flatten());
            let Some(site) = site else {
                self.cancel(&delivery, REMOVED_SITE, "the site was removed")?;
                continue;
            };
            if !site.enabled {
                let why = format!(
                    "{} is disabled: {}",
                    site.name,
                    site.disabled_reason.as_deref().unwrap_or("by the user")
                );
                self.cancel(&delivery, &site.name, &why)?;
                continue;
            }
            let secrets = match secrets.get(&site.id) {
                Some(Ok(s)) => s.clone(),
                Some(Err(e)) => {
                    // The keyring is unavailable right now: try again later.
                    let next = match backoff_ms(&self.config, delivery.attempt_count + 1, None) {
                        Some(ms) => NextStep::RetryIn(ms),
                        None => NextStep::Failed(e.clone()),
                    };
                    let record = failed_before_sending(next, e.clone());
                    let moved = lock(&self.store).record_attempt(&claim, delivery.id, &record)?;
                    if let Some(observer) = &self.observer {
                        observer(&[Answered {
                            site: site.name.clone(),
                            delivery_id: delivery.id,
                            publish_id: delivery.publish_id,
                            attempt: delivery.attempt_count + 1,
                            record,
                            moved: moved.into_iter().next(),
                        }]);
                    }
                    continue;
                }
                None => None,
            };
            attempts += 1;
            let (slots, site_slots) = (self.slots.clone(), self.site_slots(site.id));
            let (http, config, store) =
                (self.http.clone(), self.config.clone(), self.store.clone());
            let (claim, lease) = (claim.clone(), self.lease());
            tasks.spawn(async move {
                // The site's slot first: deliveries queued for one slow site wait
                // without holding slots that every other site needs.
                let _site_slot = site_slots.acquire_owned().await.expect("never closed");
                let _slot = slots.acquire_owned().await.expect("never closed");
                // Not enough lease left for a whole attempt (and a margin): renew it,
                // unless another worker has taken the delivery over meanwhile.
                if claimed_at.elapsed() + config.timeout + LEASE_MARGIN > lease {
                    let still_ours = tokio::task::spawn_blocking(move || {
                        lock(&store).renew_lease(&claim, delivery.id, lease)
                    })
                    .await
                    .expect("renewing does not panic");
                    if !matches!(still_ours, Ok(true)) {
                        return None;
                    }
                }
                let message = (delivery.message_id.as_str(), delivery.body.as_str());
                let attempt_no = delivery.attempt_count + 1;
                let record = attempt(
                    &http,
                    &config,
                    &site.site,
                    message,
                    attempt_no,
                    secrets.as_deref(),
                    site.parsed_webhook_url(),
                )
                .await;
                Some(Answered {
                    site: site.name.clone(),
                    delivery_id: delivery.id,
                    publish_id: delivery.publish_id,
                    attempt: delivery.attempt_count + 1,
                    record,
                    moved: None,
                })
            });
        }
        // Finished attempts are gathered here into batches — up to BATCH_SIZE (fewer
        // near the end), or what came within BATCH_WINDOW of the batch's first — and
        // handed to a recorder on the blocking pool (SQLite blocks), which commits each
        // batch, taking along any that queued up while it wrote. A crash before a
        // commit only means those deliveries are sent again, with the same webhook-id.
        let (to_recorder, batches) = tokio::sync::mpsc::unbounded_channel();
        let (store, owner, observer) = (self.store.clone(), claim.clone(), self.observer.clone());
        let recorder = tokio::task::spawn_blocking(move || {
            record_as_they_come(&store, &owner, batches, observer.as_deref())
        });
        let mut batch: Vec<Answered> = Vec::new();
        let mut window_ends = Instant::now();
        let mut refused = false;
        loop {
            // `Some(None)`: the batch's window closed with nothing new.
            let next: Option<Option<Answered>> = if batch.is_empty() {
                tasks.join_next().await.map(Some)
            } else {
                let left = window_ends.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, tasks.join_next()).await {
                    Ok(joined) => joined.map(Some),
                    Err(_) => Some(None),
                }
            }
            .map(|joined| joined.and_then(|done| done.expect("delivery tasks do not panic")));
            let Some(done) = next else { break };
            if let Some(answered) = done {
                // Refused: the secret may have changed outside Pressroom; read it again.
                if matches!(answered.record.status, Some(401 | 403)) {
                    refused = true;
                }
                if batch.is_empty() {
                    window_ends = Instant::now() + BATCH_WINDOW;
                }
                batch.push(answered);
            }
            let full = BATCH_SIZE.min((tasks.len() / 2).max(LAST_BATCH));
            if batch.len() >= full || (!batch.is_empty() && Instant::now() >= window_ends) {
                // A failed recorder has stopped listening; its error is returned below.
                let _ = to_recorder.send(std::mem::take(&mut batch));
            }
        }
        if !batch.is_empty() {
            let _ = to_recorder.send(batch);
        }
        drop(to_recorder);
        if !refused {
            self.lookups.put(known);
        }
        recorder.await.expect("recording does not panic")?;
        Ok(attempts)
    }

    /// A claimed delivery that will not be sent (its site is gone or disabled).
    fn cancel(&self, delivery: &DueDelivery, site: &str, why: &str) -> Result<()> {
        let cancelled = lock(&self.store).cancel_delivery(delivery.id, why)?;
        if let (true, Some(observer)) = (cancelled, &self.observer) {
            observer(&[Answered {
                site: site.to_owned(),
                delivery_id: delivery.id,
                publish_id: delivery.publish_id,
                attempt: delivery.attempt_count,
                record: failed_before_sending(NextStep::Cancelled(why.to_owned()), why.to_owned()),
                moved: Some(Moved {
                    delivery_id: delivery.id,
                    stage: Stage::Failed {
                        reason: why.to_owned(),
                    },
                    confirming: false,
                }),
            }]);
        }
        Ok(())
    }

    /// Sends `body` to `site` once, now, neither queued nor recorded: the settings'
    /// "Test webhook", which tells whether the URL and the secret work.
    pub async fn send_once(&self, site: &Site, message_id: &str, body: &str) -> AttemptRecord {
        let keys = match &site.secret_ref {
            None => None,
            Some(reference) => {
                let (store, reference) = (self.secrets.clone(), reference.clone());
                let found = tokio::task::spawn_blocking(move || store.get(&reference))
                    .await
                    .expect("secret lookups do not panic");
                match found {
                    Ok(found) => found.map(SiteKeys::from),
                    Err(e) => {
                        let why = e.to_string();
                        return failed_before_sending(NextStep::Failed(why.clone()), why);
                    }
                }
            }
        };
        attempt(
            &self.http,
            &self.config,
            site,
            (message_id, body),
            1,
            keys.as_ref(),
            None,
        )
        .await
    }

    /// Delivers until nothing pending (of `publish_id`, or at all) is due before
    /// `deadline`; what is due later stays queued for a later run.
    pub async fn drain(&self, publish_id: Option<i64>, deadline: Instant) -> Result<()> {
        loop {
            self.run_due().await?;
            let Some(next) = lock(&self.store).next_due_at(publish_id)? else {
                return Ok(());
            };
            let wait = until(&next);
            if Instant::now() + wait > deadline {
                return Ok(());
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// Has the store write, as a pass ends however it ends, what the pass was handed
/// unwritten and did not answer (`Store::finish_handed`).
struct FinishHanded<'a> {
    store: &'a Mutex<Store>,
    claim: &'a str,
}

impl Drop for FinishHanded<'_> {
    fn drop(&mut self) {
        if let Err(e) = lock(self.store).finish_handed(self.claim) {
            tracing::warn!(error = %e, "what a pass left unwritten is written by the next look at the outbox");
        }
    }
}

/// A lease owner's name: `worker/<machine>/<pid>/<random>`, so a worker in the same
/// machine and PID namespace can tell that the process holding a lease has died.
/// Short (~45 bytes): it is written into every delivery a worker claims, and a fan-out
/// claims thousands.
fn owner_name() -> String {
    format!(
        "worker/{}/{}/{}",
        machine_tag().unwrap_or_default(),
        std::process::id(),
        crate::random_hex(4)
    )
}

/// `this_machine` in a lease owner's name: 12 hex digits of its SHA-256.
fn machine_tag() -> Option<String> {
    use sha2::Digest;
    static TAG: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let digest = sha2::Sha256::digest(this_machine()?.as_bytes());
        Some(crate::hex(&digest[..6]))
    })
    .clone()
}

/// This boot of this machine and this PID namespace (a container's PIDs are not the
/// host's): `<boot id>:<pid namespace>`, or `None` without `/proc`.
fn this_machine() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let namespace = namespace
        .to_string_lossy()
        .replace(['/', ':', '[', ']'], "");
    Some(format!("{}:{namespace}", boot.trim()))
}

/// Whether `owner` is a process of this machine that no longer runs (killed, crashed).
/// Anything not known to be dead — another machine, no `/proc` — is taken as alive:
/// its leases then run out by themselves.
fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some("worker"), Some(machine), Some(pid)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    // Owners named before the tag was hashed carry `this_machine` itself.
    let here = [machine_tag(), this_machine()];
    if machine.is_empty() || !here.iter().any(|m| m.as_deref() == Some(machine)) {
        return false;
    }
    let Some(pid) = pid.parse::<libc::pid_t>().ok().filter(|p| *p > 0) else {
        return false;
    };
    // Signal 0 checks existence only; EPERM means it exists (another user's).
    // SAFETY: kill(2) with signal 0 sends nothing and touches no memory of ours.
    let gone = unsafe { libc::kill(pid, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    // A zombie has not been waited for yet, but it sends nothing any more.
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
    });
    gone || zombie
}

/// Gives up the leases of workers on this machine that died holding them, so their
/// deliveries and confirmations are taken over now rather than when the leases end.
fn release_dead_owners(store: &mut Store) -> Result<()> {
    for owner in store.lease_owners()? {
        if owner_is_dead(&owner) {
            tracing::info!(owner, "taking over the leases of a worker that died");
            store.release_leases(&owner)?;
        }
    }
    Ok(())
}

/// How long until an RFC 3339 timestamp (zero if past or unreadable).
pub(crate) fn until(at: &str) -> Duration {
    let Ok(at) = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
    else {
        return Duration::ZERO;
    };
    let left = at - time::OffsetDateTime::now_utc();
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}

/// Wait before the next attempt after attempt number `attempt` failed, or `None`
/// when the schedule is used up. ±20 % jitter spreads retries of many deliveries. A
/// site's `Retry-After` can only lengthen the wait (up to `max_retry_after`), never
/// shorten it: `Retry-After: 0` must not burn every retry at once.
fn backoff_ms(config: &OutboxConfig, attempt: u32, retry_after: Option<Duration>) -> Option<u64> {
    let base = config.schedule.get((attempt as usize).checked_sub(1)?)?;
    let mut r = [0u8; 2];
    getrandom::fill(&mut r).expect("the OS random source is available");
    let jitter = 0.8 + 0.4 * (u16::from_le_bytes(r) as f64 / u16::MAX as f64);
    let scheduled = (base.as_millis() as f64 * jitter) as u64;
    let asked = retry_after.map_or(0, |after| {
        after.min(config.max_retry_after).as_millis() as u64
    });
    Some(scheduled.max(asked))
}

fn failed_before_sending(next: NextStep, error: String) -> AttemptRecord {
    AttemptRecord {
        started_at: current_timestamp(),
        status: None,
        latency_ms: 0,
        response_headers: Default::default(),
        response_body: None,
        error: Some(error),
        next,
    }
}

/// Commits batches of finished attempts until the channel closes, each together with
/// any that queued up meanwhile, and disables sites that answered 410.
fn record_as_they_come(
    store: &Mutex<Store>,
    owner: &str,
    mut batches: tokio::sync::mpsc::UnboundedReceiver<Vec<Answered>>,
    observer: Option<&ObserverFn>,
) -> Result<()> {
    while let Some(mut batch) = batches.blocking_recv() {
        while let Ok(more) = batches.try_recv() {
            batch.extend(more);
        }
        let mut store = lock(store);
        for a in &batch {
            if let (Some(410), NextStep::Failed(why)) = (a.record.status, &a.record.next) {
                store.set_site_enabled(&a.site, false, Some(why))?;
            }
        }
        let records: Vec<(i64, &AttemptRecord)> =
            batch.iter().map(|a| (a.delivery_id, &a.record)).collect();
        let mut moved: HashMap<i64, Moved> = store
            .record_attempts(owner, &records)?
            .into_iter()
            .map(|m| (m.delivery_id, m))
            .collect();
        drop(store);
        for a in &mut batch {
            a.moved = moved.remove(&a.delivery_id);
        }
        if let Some(observer) = observer {
            observer(&batch);
        }
    }
    Ok(())
}

/// The HTTP request for a prepared attempt, built directly (no builder merging).
/// `parsed`: a URL parsed already, and the text it was parsed from, used when the
/// request goes there.
fn request_of(
    prepared: webhook::Prepared,
    parsed: Option<(&str, &reqwest::Url)>,
) -> std::result::Result<reqwest::Request, String> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    let url = match parsed.filter(|(text, _)| *text == prepared.url) {
        Some((_, url)) => url.clone(),
        None => reqwest::Url::parse(&prepared.url)
            .map_err(|e| format!("the webhook URL is not valid: {e}"))?,
    };
    let method = reqwest::Method::from_bytes(prepared.method.as_bytes()).expect("valid method");
    let mut request = reqwest::Request::new(method, url);
    let mut headers = HeaderMap::with_capacity(prepared.headers.len());
    for (name, value) in prepared.headers {
        let value = HeaderValue::try_from(value)
            .map_err(|_| format!("the {name} header has characters HTTP does not allow"))?;
        headers.insert(HeaderName::from_static(name), value);
    }
    *request.headers_mut() = headers;
    *request.body_mut() = prepared.body.map(reqwest::Body::from);
    Ok(request)
}

/// One attempt to `site`: to each of its instances when it lists them (self-hosted
/// replicas; each must accept, or the attempt failed and is retried for all — receivers
/// drop the duplicate `webhook-id`), else to its webhook URL (`webhook_url`: as stored
/// and parsed, when it was parsed already).
async fn attempt(
    http: &reqwest::Client,
    config: &OutboxConfig,
    site: &Site,
    message: (&str, &str),
    attempt_no: u32,
    keys: Option<&SiteKeys>,
    webhook_url: Option<(&str, &reqwest::Url)>,
) -> AttemptRecord {
    let fans_out = matches!(
        site.preset,
        crate::store::Preset::StandardWebhooks | crate::store::Preset::PlainSecret
    );
    if site.instances.is_empty() || !fans_out {
        return attempt_url(http, config, site, message, attempt_no, keys, webhook_url).await;
    }
    let copies: Vec<Site> = site
        .instances
        .iter()
        .map(|origin| Site {
            webhook_url: crate::confirm::on_origin(&site.webhook_url, origin),
            ..site.clone()
        })
        .collect();
    let sends = copies
        .iter()
        .map(|copy| attempt_url(http, config, copy, message, attempt_no, keys, None));
    let records = futures_util::future::join_all(sends).await;
    let latency_ms = records.iter().map(|r| r.latency_ms).max().unwrap_or(0);
    // The first instance that did not accept decides (its error names it).
    match records.iter().position(|r| r.next != NextStep::Delivered) {
        None => {
            let mut first = records.into_iter().next().expect("at least one instance");
            first.latency_ms = latency_ms;
            first
        }
        Some(i) => {
            let origin = &site.instances[i];
            let mut record = records.into_iter().nth(i).expect("in range");
            let name = |why: &str| format!("instance {origin}: {why}");
            record.error = record.error.as_deref().map(name);
            record.next = match record.next {
                NextStep::Failed(why) => NextStep::Failed(name(&why)),
                NextStep::ConfigError(why) => NextStep::ConfigError(name(&why)),
                other => other,
            };
            record.latency_ms = latency_ms;
            record
        }
    }
}

/// One attempt to the site's webhook URL: prepare (sign now), send, read at most 2 KB
/// back, classify.
async fn attempt_url(
    http: &reqwest::Client,
    config: &OutboxConfig,
    site: &Site,
    message: (&str, &str),
    attempt_no: u32,
    keys: Option<&SiteKeys>,
    webhook_url: Option<(&str, &reqwest::Url)>,
) -> AttemptRecord {
    let (message_id, body) = message;
    let retry = |after: Option<Duration>, why: String| match backoff_ms(config, attempt_no, after) {
        Some(ms) => NextStep::RetryIn(ms),
        None => NextStep::Failed(format!("gave up after {attempt_no} attempts; last: {why}")),
    };
    let now_unix = time::OffsetDateTime::now_utc().unix_timestamp();
    let prepared = match webhook::prepare(site, message_id, body, keys, now_unix) {
        Ok(p) => p,
        Err(e) => {
            return failed_before_sending(NextStep::ConfigError(e.to_string()), e.to_string())
        }
    };
    let started_at = current_timestamp();
    let start = Instant::now();
    let request = match request_of(prepared, webhook_url) {
        Ok(r) => r,
        Err(why) => return failed_before_sending(NextStep::ConfigError(why.clone()), why),
    };
    let response = match http.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {} s", config.timeout.as_secs_f32())
            } else if e.is_connect() {
                "could not connect (is the site up?)".to_owned()
            } else {
                "the request failed".to_owned()
            };
            return AttemptRecord {
                started_at,
                status: None,
                latency_ms: start.elapsed().as_millis() as u64,
                response_headers: Default::default(),
                response_body: None,
                error: Some(why.clone()),
                next: retry(None, why),
            };
        }
    };
    let status = response.status().as_u16();
    let headers: serde_json::Map<String, serde_json::Value> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = Some(crate::read_prefix(response, 2048).await).filter(|b| !b.is_empty());
    let latency_ms = start.elapsed().as_millis() as u64;
    let next = match status {
        200..=299 => NextStep::Delivered,
        300..=399 => NextStep::ConfigError(format!(
            "the site answered {status}, redirecting to {}; webhooks are never followed, so set the final URL",
            location.as_deref().unwrap_or("another URL")
        )),
        410 => NextStep::Failed(
            "the site answered 410 Gone, so it was disabled; enable it again once it accepts webhooks".into(),
        ),
        401 | 403 => NextStep::ConfigError(format!(
            "the site refused the webhook ({status}): the secret does not match the one the site verifies with"
        )),
        404 => NextStep::ConfigError("no webhook endpoint at this URL (404): check the webhook URL".into()),
        429 | 500..=599 => retry(retry_after, format!("the site answered {status}")),
        _ => NextStep::ConfigError(format!("the site rejected the webhook ({status})")),
    };
    let error = match &next {
        NextStep::Delivered => None,
        NextStep::RetryIn(_) => Some(format!("the site answered {status}")),
        NextStep::Failed(why) | NextStep::ConfigError(why) | NextStep::Cancelled(why) => {
            Some(why.clone())
        }
    };
    AttemptRecord {
        started_at,
        status: Some(status),
        latency_ms,
        response_headers: headers,
        response_body: body,
        error,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_goes_to_its_prepared_url_whatever_was_parsed_before() {
        let text = "http://127.0.0.1:9/hook";
        let url = reqwest::Url::parse(text).unwrap();
        let parsed = Some((text, &url));
        let prepared = |url: &str| webhook::Prepared {
            method: "POST",
            url: url.to_owned(),
            headers: vec![("webhook-id", "msg_1".to_owned())],
            body: None,
        };
        let same = request_of(prepared(text), parsed).unwrap();
        assert_eq!(same.url(), &url);
        assert_eq!(same.headers()["webhook-id"], "msg_1");
        // A preset that puts the secret in the query, an instance's origin: their own.
        let other = request_of(prepared("http://127.0.0.1:9/hook?secret=s"), parsed);
        assert_eq!(
            other.unwrap().url().as_str(),
            "http://127.0.0.1:9/hook?secret=s"
        );
        let bad = request_of(prepared("not a URL"), parsed).unwrap_err();
        assert!(bad.starts_with("the webhook URL is not valid"), "{bad}");
    }

    #[test]
    fn a_dead_worker_of_this_machine_is_known_by_either_name() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let (Some(tag), Some(machine)) = (machine_tag(), this_machine()) else {
            return; // no /proc: nothing is known to be dead
        };
        assert!(owner_name().len() < 50, "{}", owner_name());
        assert!(owner_is_dead(&format!("worker/{tag}/{dead}/00000000/0000")));
        // As named by an older Pressroom.
        assert!(owner_is_dead(&format!(
            "worker/{machine}/{dead}/0000000000000000"
        )));
        assert!(!owner_is_dead(&format!(
            "worker/{tag}/{}/00000000",
            std::process::id()
        )));
        assert!(!owner_is_dead(&format!(
            "worker/000000000000/{dead}/00000000"
        )));
    }

    #[test]
    fn backoff_follows_the_schedule_with_jitter_and_honours_retry_after() {
        let c = OutboxConfig::default();
        for _ in 0..100 {
            let first = backoff_ms(&c, 1, None).unwrap();
            assert!((4000..=6000).contains(&first), "{first}");
        }
        let second = backoff_ms(&c, 2, None).unwrap();
        assert!((240_000..=360_000).contains(&second), "{second}");
        assert_eq!(
            backoff_ms(&c, 1, Some(Duration::from_secs(60))),
            Some(60_000)
        );
        for zero in [0, 1] {
            let after = backoff_ms(&c, 1, Some(Duration::from_secs(zero))).unwrap();
            assert!(
                after >= 4000,
                "Retry-After: {zero} shortened the wait to {after} ms"
            );
        }
        assert_eq!(
            backoff_ms(&c, 1, Some(Duration::from_secs(999_999))),
            Some(3_600_000),
            "capped"
        );
        assert_eq!(backoff_ms(&c, 7, None), None, "schedule used up");
        assert_eq!(backoff_ms(&c, 0, None), None, "no attempt 0");
    }
}
