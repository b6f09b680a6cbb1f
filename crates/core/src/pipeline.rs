//! The publish pipeline, one async operation: publish to the content API → the outbox
//! fans the webhooks out → each site whose webhook was accepted is polled until its page
//! serves the new revision. Every step is reported as a `Progress` event (the CLI prints
//! them, the app shows them as per-site timelines) and every confirmation is recorded.
//!
//! A site is only ever reported live when its page was seen serving the revision; a
//! webhook that was not delivered means no confirmation at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::ContentApi;
use crate::confirm::{Confirmer, Expected};
use crate::error::Result;
use crate::frontmatter;
use crate::outbox::{Answered, Outbox, OutboxConfig, SiteLookups};
use crate::publish::{self, PublishReport};
use crate::secrets::SecretStore;
use crate::store::{
    current_timestamp, lock, AttemptRecord, ConfirmationRecord, DeliveryState, Method, NextStep,
    Outcome, Poll, PublishRecord, Site, Store,
};
use crate::webhook::{Envelope, EventKind};

/// How long to wait for pages to go live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LiveWait {
    /// Do not confirm (webhooks only).
    No,
    /// Each site's own confirmation timeout.
    SiteTimeout,
    /// This long, for every site.
    Upto(Duration),
}

/// One step of the pipeline.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    Published {
        slug: String,
        revision: String,
        publish_id: i64,
        created: bool,
        already_live: bool,
        sites: Vec<String>,
    },
    WebhookAnswered {
        site: String,
        delivery_id: i64,
        attempt: u32,
        status: Option<u16>,
        latency_ms: u64,
        /// delivered | retrying | failed | config_error | cancelled
        next: &'static str,
        retry_in_ms: Option<u64>,
        error: Option<String>,
    },
    Confirming {
        site: String,
        url: String,
        timeout_ms: u64,
    },
    Polled {
        site: String,
        poll: Poll,
    },
    SiteFinished {
        result: SiteResult,
    },
}

/// Where a site ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteState {
    /// Its page serves the new revision.
    Live,
    /// Webhook accepted, page still the old one at the timeout.
    Stale,
    HttpError,
    Unreachable,
    /// Webhook accepted; confirmation was not asked for.
    Delivered,
    /// The webhook will be retried later by the outbox.
    WebhookPending,
    /// The webhook failed for good or the site refused it (a configuration error).
    WebhookFailed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteResult {
    pub site: String,
    pub state: SiteState,
    /// What happened and what to do, in one or two sentences.
    pub message: String,
    pub delivery_id: Option<i64>,
    pub url: String,
    pub method: Option<Method>,
    /// The revision the page showed last (when it has a marker).
    pub seen_revision: Option<String>,
    pub confirmation_id: Option<i64>,
    /// From the start of the publish (or re-send) to this result.
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    pub publish: PublishReport,
    pub sites: Vec<SiteResult>,
}

impl PipelineReport {
    /// True when every site serves the new revision (or, without confirmation, accepted
    /// its webhook).
    pub fn all_done(&self, live: LiveWait) -> bool {
        let wanted = if live == LiveWait::No {
            SiteState::Delivered
        } else {
            SiteState::Live
        };
        self.sites.iter().all(|s| s.state == wanted)
    }
}

/// Which deliveries one run of the pipeline is about.
struct Scope {
    publish: PublishRecord,
    /// A re-send: only this delivery.
    only_delivery: Option<i64>,
    started: Instant,
}

/// A site to confirm: its page URL for this publish and the delivery that told it.
struct Target {
    site: Site,
    url: String,
    delivery_id: i64,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Everything a publish needs besides the content API.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Arc<Mutex<Store>>,
    pub secrets: SecretStore,
    pub outbox: OutboxConfig,
    pub confirmer: Confirmer,
    /// Sites and decoded secrets kept between publishes (re-read when they change).
    pub lookups: Arc<SiteLookups>,
}

impl Pipeline {
    pub fn new(store: Arc<Mutex<Store>>, secrets: SecretStore) -> Pipeline {
        Pipeline {
            store,
            secrets,
            outbox: OutboxConfig::default(),
            confirmer: Confirmer::default(),
            lookups: Arc::default(),
        }
    }

    /// Publishes `slug` to the given sites (all enabled ones when empty), delivers the
    /// webhooks for up to `deliver_for`, and confirms each site per `live`.
    pub async fn publish(
        &self,
        api: &ContentApi,
        slug: &str,
        site_names: &[String],
        deliver_for: Duration,
        live: LiveWait,
        progress: ProgressFn,
    ) -> Result<PipelineReport> {
        let started = Instant::now();
        let report = publish::publish(&self.store, api, slug, site_names).await?;
        progress(Progress::Published {
            slug: report.slug.clone(),
            revision: report.revision.clone(),
            publish_id: report.publish_id,
            created: report.created,
            already_live: report.already_live,
            sites: report.sites.clone(),
        });
        let publish = lock(&self.store).publish_record(report.publish_id)?;
        let sites = self
            .deliver_and_confirm(
                Scope {
                    publish,
                    only_delivery: None,
                    started,
                },
                deliver_for,
                live,
                progress,
            )
            .await?;
        Ok(PipelineReport {
            publish: report,
            sites,
        })
    }

    /// Sends one delivery again (same webhook-id) and confirms its site.
    pub async fn resend(
        &self,
        delivery_id: i64,
        deliver_for: Duration,
        live: LiveWait,
        progress: ProgressFn,
    ) -> Result<SiteResult> {
        let started = Instant::now();
        let publish = {
            let mut store = lock(&self.store);
            let delivery = store.redeliver(delivery_id)?;
            store.publish_record(delivery.publish_id)?
        };
        let results = self
            .deliver_and_confirm(
                Scope {
                    publish,
                    only_delivery: Some(delivery_id),
                    started,
                },
                deliver_for,
                live,
                progress,
            )
            .await?;
        Ok(results
            .into_iter()
            .find(|r| r.delivery_id == Some(delivery_id))
            .expect("the re-sent delivery belongs to the publish"))
    }

    /// "Test webhook": sends site `name` a signed `content.published` event now, for
    /// the latest publish in the workspace (revalidating a page that is already current
    /// is harmless) or, before any, for a `pressroom-test` slug. Neither queued nor
    /// recorded; the answer says whether the URL and the secret work.
    pub async fn test_webhook(&self, name: &str) -> Result<AttemptRecord> {
        let (site, latest) = {
            let store = lock(&self.store);
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
        let outbox = Outbox::new(
            self.store.clone(),
            self.secrets.clone(),
            self.outbox.clone(),
        );
        Ok(outbox.send_once(&site, &publish::message_id(), &body).await)
    }

    /// What the pages must show after `publish`: its revision, title and the text that
    /// changed since the publish before it.
    fn expected_of(&self, publish: &PublishRecord) -> Result<Expected> {
        let previous = lock(&self.store).previous_publish(&publish.slug, publish.id)?;
        let parsed = frontmatter::parse(&publish.source)?;
        Ok(Expected::new(
            &publish.revision,
            &parsed.title,
            &parsed.body,
            previous.as_ref().map(body_of).as_deref(),
        ))
    }

    /// Runs the outbox for the publish and confirms every site whose webhook is
    /// accepted, as soon as it is (sites do not wait for each other).
    async fn deliver_and_confirm(
        &self,
        scope: Scope,
        deliver_for: Duration,
        live: LiveWait,
        progress: ProgressFn,
    ) -> Result<Vec<SiteResult>> {
        let expected = self.expected_of(&scope.publish)?;
        let Scope {
            publish,
            only_delivery,
            started,
        } = scope;
        let publish_id = publish.id;
        let sites: HashMap<String, Site> = {
            let store = lock(&self.store);
            store
                .deliveries_of(publish_id)?
                .iter()
                .filter_map(|d| d.site_id)
                .filter_map(|id| store.site_by_id(id).ok().flatten())
                .map(|s| (s.name.clone(), s))
                .collect()
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Answered>();
        let outbox = Outbox::new(
            self.store.clone(),
            self.secrets.clone(),
            self.outbox.clone(),
        )
        .with_lookups(self.lookups.clone())
        .with_observer(move |a| {
            if a.publish_id == publish_id && only_delivery.is_none_or(|id| id == a.delivery_id) {
                let _ = tx.send(a.clone());
            }
        });
        let expected = Arc::new(expected);
        let mut confirmations = tokio::task::JoinSet::new();
        let mut confirming: HashMap<String, i64> = HashMap::new();
        let mut on_answer = |a: Answered, confirmations: &mut tokio::task::JoinSet<_>| {
            progress(answered_event(&a));
            if a.record.next != NextStep::Delivered || live == LiveWait::No {
                return;
            }
            let Some(site) = sites.get(&a.site).cloned() else {
                return;
            };
            if confirming.insert(a.site.clone(), a.delivery_id).is_some() {
                return;
            }
            let timeout = match live {
                LiveWait::Upto(d) => d,
                _ => Duration::from_millis(site.confirm_timeout_ms),
            };
            let (pipeline, expected, progress) = (self.clone(), expected.clone(), progress.clone());
            let target = Target {
                url: site.page_url(&publish.slug),
                site,
                delivery_id: a.delivery_id,
            };
            confirmations.spawn(async move {
                pipeline
                    .confirm_site(publish_id, target, (&expected, started), timeout, progress)
                    .await
            });
        };
        let deadline = Instant::now() + deliver_for;
        {
            let drain = outbox.drain(Some(publish_id), deadline);
            tokio::pin!(drain);
            loop {
                tokio::select! {
                    done = &mut drain => { done?; break; }
                    Some(a) = rx.recv() => on_answer(a, &mut confirmations),
                }
            }
        }
        drop(outbox);
        while let Some(a) = rx.recv().await {
            on_answer(a, &mut confirmations);
        }
        let mut results: Vec<SiteResult> = Vec::new();
        while let Some(done) = confirmations.join_next().await {
            results.push(done.expect("confirmation tasks do not panic")?);
        }
        // Sites whose webhook was not accepted (or not confirmed, by request).
        let deliveries = lock(&self.store).deliveries_of(publish_id)?;
        for d in deliveries {
            let Some(name) = d.site_name.clone() else {
                continue;
            };
            if confirming.contains_key(&name) || only_delivery.is_some_and(|id| id != d.id) {
                continue;
            }
            let url = sites
                .get(&name)
                .map(|s| s.page_url(&d.slug))
                .unwrap_or_default();
            let (state, message) = match d.state {
                DeliveryState::Delivered => (
                    SiteState::Delivered,
                    format!("{name} accepted the webhook (not confirmed live)."),
                ),
                DeliveryState::Pending => (
                    SiteState::WebhookPending,
                    format!(
                        "{name} has not accepted the webhook yet ({}); the outbox retries at {} \
                         — `pressroom deliver` or the app sends it then.",
                        d.last_error.as_deref().unwrap_or("no answer"),
                        d.next_attempt_at.as_deref().unwrap_or("a later time")
                    ),
                ),
                _ => (
                    SiteState::WebhookFailed,
                    format!(
                        "{name} did not take the webhook: {}",
                        d.last_error.as_deref().unwrap_or("unknown error")
                    ),
                ),
            };
            let result = SiteResult {
                site: name,
                state,
                message,
                delivery_id: Some(d.id),
                url,
                method: None,
                seen_revision: None,
                confirmation_id: None,
                elapsed_ms: started.elapsed().as_millis() as u64,
            };
            progress(Progress::SiteFinished {
                result: result.clone(),
            });
            results.push(result);
        }
        results.sort_by(|a, b| a.site.cmp(&b.site));
        Ok(results)
    }

    async fn confirm_site(
        &self,
        publish_id: i64,
        Target {
            site,
            url,
            delivery_id,
        }: Target,
        (expected, started): (&Expected, Instant),
        timeout: Duration,
        progress: ProgressFn,
    ) -> Result<SiteResult> {
        progress(Progress::Confirming {
            site: site.name.clone(),
            url: url.clone(),
            timeout_ms: timeout.as_millis() as u64,
        });
        let started_at = current_timestamp();
        let name = site.name.clone();
        let confirmation = self
            .confirmer
            .confirm(&url, expected, timeout, |poll| {
                progress(Progress::Polled {
                    site: name.clone(),
                    poll: poll.clone(),
                })
            })
            .await;
        let seen_revision = confirmation
            .polls
            .last()
            .and_then(|p| p.seen_revision.clone());
        let record = ConfirmationRecord {
            id: 0,
            publish_id,
            site_id: Some(site.id),
            site_name: site.name.clone(),
            url: url.clone(),
            revision: expected.revision.clone(),
            outcome: confirmation.outcome,
            method: confirmation.method,
            message: confirmation.message.clone(),
            page_text: confirmation.page_text,
            page_html: confirmation.page_html,
            started_at,
            finished_at: current_timestamp(),
            polls: confirmation.polls,
        };
        let store = self.store.clone();
        let confirmation_id =
            tokio::task::spawn_blocking(move || lock(&store).record_confirmation(&record))
                .await
                .expect("recording does not panic")?;
        let result = SiteResult {
            site: site.name,
            state: match confirmation.outcome {
                Outcome::Live => SiteState::Live,
                Outcome::Stale => SiteState::Stale,
                Outcome::HttpError => SiteState::HttpError,
                Outcome::Unreachable => SiteState::Unreachable,
            },
            message: confirmation.message,
            delivery_id: Some(delivery_id),
            url,
            method: confirmation.method,
            seen_revision,
            confirmation_id: Some(confirmation_id),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        progress(Progress::SiteFinished {
            result: result.clone(),
        });
        Ok(result)
    }
}

fn body_of(publish: &PublishRecord) -> String {
    frontmatter::parse(&publish.source)
        .map(|p| p.body)
        .unwrap_or_default()
}

fn answered_event(a: &Answered) -> Progress {
    let (next, retry_in_ms) = match &a.record.next {
        NextStep::Delivered => ("delivered", None),
        NextStep::RetryIn(ms) => ("retrying", Some(*ms)),
        NextStep::Failed(_) => ("failed", None),
        NextStep::ConfigError(_) => ("config_error", None),
        NextStep::Cancelled(_) => ("cancelled", None),
    };
    Progress::WebhookAnswered {
        site: a.site.clone(),
        delivery_id: a.delivery_id,
        attempt: a.attempt,
        status: a.record.status,
        latency_ms: a.record.latency_ms,
        next,
        retry_in_ms,
        error: a.record.error.clone(),
    }
}
