//! The outbox against real loopback receivers: retries with Retry-After, redirects,
//! 410, 401, a receiver that never answers, a site that is down and then up. Every
//! signature is checked with the independent `standardwebhooks` crate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use pressroom_core::outbox::{Outbox, OutboxConfig};
use pressroom_core::publisher::Publisher;
use pressroom_core::secrets::SecretStore;
use pressroom_core::sites::{self, SecretInput};
use pressroom_core::stage::Stage;
use pressroom_core::store::{DeliveryState, NewDelivery, NewPublish, NewSite, Preset};
use pressroom_core::webhook::{Envelope, EventKind};
use pressroom_core::Store;

/// What a receiver saw: (webhook-id, webhook-timestamp, signature verified).
type Seen = Arc<Mutex<Vec<(String, String, bool)>>>;

struct Receiver {
    url: String,
    seen: Seen,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A receiver answering the n-th request (1-based) with `answer(n)`.
async fn receiver(
    secret: Option<String>,
    listener: Option<tokio::net::TcpListener>,
    answer: impl Fn(usize) -> Response + Clone + Send + Sync + 'static,
) -> Receiver {
    let listener = match listener {
        Some(l) => l,
        None => tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let (log, answer, secret) = (log.clone(), answer.clone(), secret.clone());
        async move {
            let h = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            let verified = secret.is_some_and(|s| {
                let mut map = http::HeaderMap::new();
                for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
                    map.insert(name, http::HeaderValue::from_str(&h(name)).unwrap());
                }
                standardwebhooks::Webhook::new(&s)
                    .unwrap()
                    .verify(&body, &map)
                    .is_ok()
            });
            let n = {
                let mut log = log.lock().unwrap();
                log.push((h("webhook-id"), h("webhook-timestamp"), verified));
                log.len()
            };
            answer(n)
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Receiver {
        url,
        seen,
        stop: Some(stop),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Mutex<Store>>,
    secrets: SecretStore,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("w.db")).unwrap();
        let secrets = SecretStore::File(dir.path().join("secrets.json"));
        Fixture {
            _dir: dir,
            store: Arc::new(Mutex::new(store)),
            secrets,
        }
    }

    /// Adds a Standard Webhooks site; returns its generated secret.
    fn site(&self, name: &str, webhook_url: &str) -> String {
        let new = NewSite {
            name: name.into(),
            webhook_url: webhook_url.into(),
            page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
            tag_templates: vec!["documents".into()],
            path_templates: vec![],
            preset: Preset::StandardWebhooks,
            destination: None,
        };
        let added = sites::add(
            &mut self.store.lock().unwrap(),
            &self.secrets,
            &new,
            SecretInput::Generate,
        )
        .unwrap();
        added.new_secret.unwrap()
    }

    /// A Standard Webhooks site `name` and its receiver, which checks the signatures
    /// with the secret generated when the site is added (after its URL is known) and
    /// answers the n-th request with `answer(n)`.
    async fn signed_site(
        &self,
        name: &str,
        answer: impl Fn(usize) -> Response + Clone + Send + Sync + 'static,
    ) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let secret = self.site(name, &url);
        receiver(Some(secret), Some(listener), answer).await
    }

    /// A publish of "post" with one delivery to each named site; returns the publish id.
    fn publish(&self, site_names: &[&str]) -> i64 {
        let deliveries = self.deliveries(site_names);
        self.store
            .lock()
            .unwrap()
            .record_publish_with_deliveries("post", "r_0000000000000001", "x", false, &deliveries)
            .unwrap()
    }

    /// One delivery of "post" (created if missing) to each named site.
    fn deliveries(&self, site_names: &[&str]) -> Vec<NewDelivery> {
        let mut store = self.store.lock().unwrap();
        if !store.exists("post").unwrap() {
            store.create("post", "---\ntitle: Post\n---\nx").unwrap();
        }
        site_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let site = store.site(name).unwrap();
                NewDelivery {
                    site_id: site.id,
                    message_id: format!("msg_test_{i}_{}_{}", site.id, random_suffix()),
                    body: serde_json::to_string(&Envelope::new(
                        EventKind::Published,
                        "post",
                        "r_0000000000000001",
                        &site,
                        "2026-11-27T10:00:00Z",
                    ))
                    .unwrap(),
                    confirm_timeout_ms: None,
                }
            })
            .collect()
    }

    fn outbox(&self, timeout: Duration) -> Outbox {
        let config = OutboxConfig {
            timeout,
            ..OutboxConfig::default()
        };
        Outbox::new(self.store.clone(), self.secrets.clone(), config)
    }
}

/// Waits (5 s at most) until `publisher` has started more than `passes` outbox passes;
/// `what` says what failed to happen otherwise.
async fn passes_beyond(publisher: &Publisher, passes: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while publisher.passes_started() <= passes {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn random_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn status(code: u16) -> Response {
    StatusCode::from_u16(code).unwrap().into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_after_503s_honouring_retry_after_same_id_fresh_signature() {
    let f = Fixture::new();
    let r = f
        .signed_site("flaky", |n| {
            if n <= 2 {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "1")],
                    "busy",
                )
                    .into_response()
            } else {
                status(200)
            }
        })
        .await;
    let publish = f.publish(&["flaky"]);
    let start = Instant::now();
    // A short schedule: the site's Retry-After (1 s) is longer, so it is what is waited.
    let config = OutboxConfig {
        timeout: Duration::from_secs(5),
        schedule: vec![Duration::from_millis(100); 5],
        ..OutboxConfig::default()
    };
    Outbox::new(f.store.clone(), f.secrets.clone(), config)
        .drain(Some(publish), start + Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "waited for Retry-After twice"
    );

    let seen = r.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|(id, _, ok)| id == &seen[0].0 && *ok),
        "{seen:?}"
    );
    assert!(
        seen[2].1 > seen[0].1,
        "re-signed with a fresh timestamp: {seen:?}"
    );

    let store = f.store.lock().unwrap();
    let d = &store.deliveries_of(publish).unwrap()[0];
    assert_eq!(d.state, DeliveryState::Delivered);
    let attempts = store.attempts(d.id).unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(200)]
    );
    assert_eq!(attempts[0].response_headers["retry-after"], "1");
    assert_eq!(attempts[0].response_body.as_deref(), Some("busy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_zero_does_not_shorten_the_schedule() {
    let f = Fixture::new();
    let r = receiver(None, None, |_| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "0")],
            "busy",
        )
            .into_response()
    })
    .await;
    f.site("eager", &r.url);
    let publish = f.publish(&["eager"]);
    let config = OutboxConfig {
        schedule: vec![Duration::from_millis(400); 3],
        ..OutboxConfig::default()
    };
    let start = Instant::now();
    Outbox::new(f.store.clone(), f.secrets.clone(), config)
        .drain(Some(publish), start + Duration::from_secs(10))
        .await
        .unwrap();
    // Four attempts, each at least the schedule's 400 ms (less 20 % jitter) apart:
    // Retry-After: 0 did not make them back to back.
    assert_eq!(r.seen.lock().unwrap().len(), 4);
    assert!(
        start.elapsed() >= Duration::from_millis(3 * 320),
        "{:?}",
        start.elapsed()
    );
    let store = f.store.lock().unwrap();
    let d = &store.deliveries_of(publish).unwrap()[0];
    assert_eq!(d.state, DeliveryState::Failed, "gave up after the schedule");
    assert!(matches!(
        d.stage,
        pressroom_core::stage::Stage::Failed { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_gone_unauthorized_are_not_retried() {
    let f = Fixture::new();
    let moved = receiver(None, None, |_| {
        (
            StatusCode::MOVED_PERMANENTLY,
            [("location", "http://127.0.0.1:9/elsewhere")],
        )
            .into_response()
    })
    .await;
    let gone = receiver(None, None, |_| status(410)).await;
    let wrong_secret = receiver(None, None, |_| {
        (StatusCode::UNAUTHORIZED, "bad signature").into_response()
    })
    .await;
    f.site("moved", &moved.url);
    f.site("gone", &gone.url);
    f.site("locked", &wrong_secret.url);
    let publish = f.publish(&["moved", "gone", "locked"]);
    f.outbox(Duration::from_secs(5))
        .drain(Some(publish), Instant::now() + Duration::from_secs(10))
        .await
        .unwrap();

    for r in [&moved, &gone, &wrong_secret] {
        assert_eq!(r.seen.lock().unwrap().len(), 1, "exactly one attempt");
    }
    let store = f.store.lock().unwrap();
    let ds = store.deliveries_of(publish).unwrap();
    assert_eq!(ds[0].state, DeliveryState::ConfigError);
    assert!(ds[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("never followed"));
    assert_eq!(ds[1].state, DeliveryState::Failed);
    assert!(
        !store.site("gone").unwrap().enabled,
        "410 disables the site"
    );
    assert!(store
        .site("gone")
        .unwrap()
        .disabled_reason
        .unwrap()
        .contains("410"));
    assert_eq!(ds[2].state, DeliveryState::ConfigError);
    assert!(
        ds[2].last_error.as_deref().unwrap().contains("secret"),
        "{:?}",
        ds[2].last_error
    );
    drop(store);

    // A later publish skips the disabled site; redelivering to it is refused clearly.
    let err = f
        .store
        .lock()
        .unwrap()
        .redeliver(ds[1].id, None)
        .unwrap_err();
    assert!(err.to_string().contains("site enable gone"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_times_out_and_stays_queued() {
    let f = Fixture::new();
    // Accepts connections and never answers; the thread ends by itself after 5 s.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", silent.local_addr().unwrap());
    silent.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok((stream, _)) = silent.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    f.site("silent", &url);
    let publish = f.publish(&["silent"]);
    let start = Instant::now();
    f.outbox(Duration::from_millis(500))
        .run_due()
        .await
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the timeout cut it short"
    );
    let store = f.store.lock().unwrap();
    let d = &store.deliveries_of(publish).unwrap()[0];
    assert_eq!(d.state, DeliveryState::Pending, "retried later, not lost");
    assert!(d.next_attempt_at.is_some());
    let attempts = store.attempts(d.id).unwrap();
    assert_eq!(attempts[0].status, None);
    assert!(
        attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("no answer within"),
        "{attempts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_down_then_up_gets_its_webhook() {
    let f = Fixture::new();
    // Reserve a port, then free it: nothing listens there yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = f.site("later", &format!("http://127.0.0.1:{port}/hook"));
    let publish = f.publish(&["later"]);
    let outbox = Outbox::new(
        f.store.clone(),
        f.secrets.clone(),
        OutboxConfig {
            timeout: Duration::from_secs(2),
            schedule: vec![Duration::from_millis(300); 5],
            ..OutboxConfig::default()
        },
    );
    outbox.run_due().await.unwrap();
    {
        let store = f.store.lock().unwrap();
        let d = &store.deliveries_of(publish).unwrap()[0];
        assert_eq!(d.state, DeliveryState::Pending);
        assert!(
            d.last_error
                .as_deref()
                .unwrap()
                .contains("could not connect"),
            "{:?}",
            d.last_error
        );
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let up = receiver(Some(secret), Some(listener), |_| status(204)).await;
    outbox
        .drain(Some(publish), Instant::now() + Duration::from_secs(10))
        .await
        .unwrap();
    let store = f.store.lock().unwrap();
    assert_eq!(
        store.deliveries_of(publish).unwrap()[0].state,
        DeliveryState::Delivered
    );
    assert!(up.seen.lock().unwrap().iter().all(|(_, _, ok)| *ok));
}

#[tokio::test]
async fn a_changed_secret_signs_the_next_pass_of_a_long_lived_outbox() {
    let fx = Fixture::new();
    let new_secret = pressroom_core::signing::Secret::generate()
        .expose()
        .to_owned();
    // The receiver already verifies with the secret the site is about to get.
    let rx = receiver(Some(new_secret.clone()), None, |_| status(204)).await;
    fx.site("blog", &rx.url);
    let outbox = fx.outbox(Duration::from_secs(5));
    let deliver = |id: &str| {
        let mut store = fx.store.lock().unwrap();
        if !store.exists("post").unwrap() {
            store.create("post", "---\ntitle: Post\n---\nx").unwrap();
        }
        let site = store.site("blog").unwrap();
        let body = serde_json::to_string(&Envelope::new(
            EventKind::Published,
            "post",
            "r_0000000000000001",
            &site,
            "2026-11-27T10:00:00Z",
        ))
        .unwrap();
        let delivery = NewDelivery {
            site_id: site.id,
            message_id: id.to_owned(),
            body,
            confirm_timeout_ms: None,
        };
        store
            .record_publish_with_deliveries("post", "r_0000000000000001", "x", false, &[delivery])
            .unwrap();
    };

    deliver("msg_before");
    outbox.run_due().await.unwrap();
    sites::replace_secret(
        &fx.store.lock().unwrap(),
        &fx.secrets,
        "blog",
        SecretInput::Given(new_secret),
    )
    .unwrap();
    deliver("msg_after");
    outbox.run_due().await.unwrap();

    let seen = rx.seen.lock().unwrap().clone();
    let verified: Vec<(&str, bool)> = seen.iter().map(|(id, _, ok)| (id.as_str(), *ok)).collect();
    assert_eq!(
        verified,
        [("msg_before", false), ("msg_after", true)],
        "the pass after the change signs with the new secret, not a kept one"
    );
}

/// A publish recorded while the publisher serves is written already claimed for one of
/// its passes and sent at once (nothing left leased afterwards); one recorded while it
/// does not serve is queued unclaimed, and sent once it starts.
#[tokio::test]
async fn a_publish_is_handed_to_the_serving_publisher_or_queued_for_the_next() {
    let f = Fixture::new();
    let site = f.signed_site("one", |_| status(204)).await;
    let publisher = Publisher::new(f.store.clone(), f.secrets.clone());
    let record = NewPublish {
        slug: "post",
        revision: "r_0000000000000001",
        source: "x",
        unpublish: false,
    };

    // Not serving: queued, unclaimed.
    let queued = publisher.enqueue(&record, &f.deliveries(&["one"])).unwrap();
    assert_eq!(queued.standings.len(), 1);
    assert_eq!(queued.standings[0].stage, Stage::Queued);
    assert_eq!(queued.standings[0].site, "one");
    assert!(f.store.lock().unwrap().lease_owners().unwrap().is_empty());

    // Serving: the queued one is sent, and the next publish is handed over claimed.
    let running = publisher.spawn();
    let events = publisher.subscribe();
    let follow = |publish_id, events| {
        publisher.follow(
            events,
            publish_id,
            None,
            Some(Duration::from_secs(10)),
            |_| {},
        )
    };
    let first = follow(queued.publish_id, events).await.unwrap();
    assert_eq!(first[0].stage, Stage::Accepted);
    let events = publisher.subscribe();
    let handed = publisher.enqueue(&record, &f.deliveries(&["one"])).unwrap();
    assert_eq!(handed.standings[0].stage, Stage::Sending { attempt: 1 });
    let second = follow(handed.publish_id, events).await.unwrap();
    assert_eq!(second[0].stage, Stage::Accepted);
    assert_eq!(second[0].attempts, 1);
    assert_eq!(site.seen.lock().unwrap().len(), 2, "each sent once");
    assert!(site.seen.lock().unwrap().iter().all(|(_, _, ok)| *ok));
    assert!(f.store.lock().unwrap().lease_owners().unwrap().is_empty());
    running.stop().await.unwrap();

    // Stopped again: queued, not handed to a worker that is gone.
    let after = publisher.enqueue(&record, &f.deliveries(&["one"])).unwrap();
    assert_eq!(after.standings[0].stage, Stage::Queued);
    assert!(f.store.lock().unwrap().lease_owners().unwrap().is_empty());
}

/// The service watches the workspace for other processes' work, but its own process's
/// writes do not make it run outbox passes (a fan-out recording its answers, or an
/// editor saving drafts, used to start one per commit); another connection's write
/// does, even one that queued nothing, and a delivery it queues is sent at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_another_connections_writes_wake_the_service_for_a_pass() {
    let f = Fixture::new();
    let site = f.signed_site("one", |_| status(204)).await;
    let deliveries = f.deliveries(&["one"]);
    let publisher = Publisher::new(f.store.clone(), f.secrets.clone());
    let running = publisher.spawn();
    // The pass it starts with.
    passes_beyond(&publisher, 0, "the service never looked").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = publisher.passes_started();

    // Drafts saved through the service's own store, one after another.
    for i in 0..30 {
        let body = format!("---\ntitle: Post\n---\nedit {i}");
        f.store.lock().unwrap().save("post", &body).unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        publisher.passes_started(),
        before,
        "its own saves made the service run outbox passes"
    );
    assert!(site.seen.lock().unwrap().is_empty());

    // Another connection (as another process would) queues a delivery: sent at once,
    // though nothing told this process.
    let path = f.store.lock().unwrap().path().to_path_buf();
    let mut other = Store::open(&path).unwrap();
    other
        .save("post", "---\ntitle: Post\n---\nelsewhere")
        .unwrap();
    passes_beyond(
        &publisher,
        before,
        "another connection's write started no pass",
    )
    .await;
    let publish = other
        .record_publish_with_deliveries("post", "r_0000000000000001", "x", false, &deliveries)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = other.deliveries_of(publish).unwrap()[0].state;
        if state == DeliveryState::Delivered {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "another connection's delivery was not sent: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(site.seen.lock().unwrap().len(), 1);
    running.stop().await.unwrap();
}

/// Nowhere: nothing listens there.
const UNREACHABLE: &str = "http://127.0.0.1:9/hook";

/// A publish to `n` sites named `s00`, `s01`, …, all with the webhook URL `url`: the
/// fixture and the publish's deliveries.
fn fan_out_of(n: usize, url: &str) -> (Fixture, Vec<NewDelivery>) {
    let f = Fixture::new();
    let names: Vec<String> = (0..n).map(|i| format!("s{i:02}")).collect();
    for name in &names {
        f.site(name, url);
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let deliveries = f.deliveries(&names);
    (f, deliveries)
}

const POST: NewPublish<'static> = NewPublish {
    slug: "post",
    revision: "r_0000000000000001",
    source: "x",
    unpublish: false,
};

/// Publishes `deliveries` claimed by `claim` for `lease`, the process dying as it hands
/// them over (all at once) to its worker; returns the publish id.
fn enqueue_cut_off(
    store: &mut Store,
    deliveries: &[NewDelivery],
    claim: &str,
    lease: Duration,
) -> i64 {
    let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.enqueue_publish(&POST, deliveries, Some((claim, lease)), |due| {
            assert_eq!(due.len(), deliveries.len(), "all are handed over at once");
            panic!("the process dies as it hands the fan-out over")
        })
    }));
    assert!(cut.is_err());
    store.latest_publish_of("post").unwrap().unwrap().0
}

/// How many deliveries of `publish_id` are written in the database at `path`, read
/// past the store (whose readers write them all first).
fn rows_written(path: &std::path::Path, publish_id: i64) -> usize {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT count(*) FROM deliveries WHERE publish_id = ?1",
        [publish_id],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

/// A fan-out is handed to the worker once its publish is committed with its last
/// delivery, and its other deliveries are written later. The process dying right
/// then loses none of them: the next pass (of any process) writes them as they were,
/// claimed by the dead worker, and claims them once that claim's lease has run out.
#[test]
fn a_fan_out_cut_off_before_all_its_deliveries_were_written_loses_none() {
    let (f, deliveries) = fan_out_of(70, UNREACHABLE);
    let mut store = f.store.lock().unwrap();
    let publish_id = enqueue_cut_off(&mut store, &deliveries, "gone/1", Duration::from_millis(1));
    let written = rows_written(store.path(), publish_id);
    assert!(written > 0 && written < 70, "{written} of 70 written");

    std::thread::sleep(Duration::from_millis(20));
    let claimed = store
        .claim_due("next/1", Duration::from_secs(60), 1000)
        .unwrap();
    let sent = |d: &NewDelivery| (d.message_id.clone(), d.body.clone());
    let want: Vec<_> = deliveries.iter().map(sent).collect();
    let got: Vec<_> = claimed
        .iter()
        .map(|d| (d.message_id.clone(), d.body.clone()))
        .collect();
    assert_eq!(got, want, "every delivery, once, in order, with its body");
    let ids: Vec<i64> = claimed.iter().map(|d| d.id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    assert_eq!(store.standings(publish_id).unwrap().len(), 70);
}

/// Another process's pass while a fan-out is handed writes the deliveries not written
/// yet itself, claimed as they were; the handed pass's answers then move them as
/// stored.
#[test]
fn another_process_may_write_a_handed_fan_out_first() {
    let (f, deliveries) = fan_out_of(70, UNREACHABLE);
    let path = f.store.lock().unwrap().path().to_path_buf();
    let mut other = Store::open(&path).unwrap();
    let mut store = f.store.lock().unwrap();
    let mut seen_then = 0;
    let enqueued = store
        .enqueue_publish(
            &POST,
            &deliveries,
            Some(("here/1", Duration::from_secs(60))),
            |_| {
                // Nothing is due for it (all claimed here), but its pass writes them.
                let claimed = other
                    .claim_due("there/1", Duration::from_secs(60), 1000)
                    .unwrap();
                assert!(claimed.is_empty());
                let (id, _) = other.latest_publish_of("post").unwrap().unwrap();
                seen_then = other.standings(id).unwrap().len();
            },
        )
        .unwrap();
    assert_eq!(seen_then, 70);
    let standings = store.standings(enqueued.publish_id).unwrap();
    assert_eq!(standings, enqueued.standings);
    assert!(standings
        .iter()
        .all(|s| s.stage == Stage::Sending { attempt: 1 }));

    // The handed pass's answers move the rows the other process wrote, once each.
    let accepted = answer(pressroom_core::store::NextStep::Delivered);
    let answers: Vec<_> = (enqueued.standings.iter())
        .map(|s| (s.delivery_id, &accepted))
        .collect();
    assert_eq!(store.record_attempts("here/1", &answers).unwrap().len(), 70);
    assert_eq!(rows_written(&path, enqueued.publish_id), 70);
    let standings = store.standings(enqueued.publish_id).unwrap();
    assert!(standings
        .iter()
        .all(|s| s.stage == Stage::Accepted && s.attempts == 1));
}

/// A claim name of a worker of this machine (as `outbox`'s) whose process has exited.
fn dead_workers_claim(outbox: &Outbox) -> String {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let machine = outbox.owner().split('/').nth(1).unwrap().to_owned();
    format!("worker/{machine}/{dead}/00000000/0000")
}

/// A worker of this machine that died as it handed a fan-out over is taken over at
/// once by the next pass, the deliveries it had not written yet included.
#[tokio::test]
async fn a_dead_workers_unwritten_fan_out_is_taken_over_at_once() {
    let (f, deliveries) = fan_out_of(70, UNREACHABLE);
    let outbox = f.outbox(Duration::from_secs(2));
    let claim = dead_workers_claim(&outbox);
    let lease = Duration::from_secs(600);
    let publish_id = enqueue_cut_off(&mut f.store.lock().unwrap(), &deliveries, &claim, lease);

    // Nothing listens on their URL: each is attempted once and rescheduled.
    assert_eq!(outbox.run_due().await.unwrap(), 70);
    let all = f.store.lock().unwrap().deliveries_of(publish_id).unwrap();
    assert_eq!(all.len(), 70);
    assert!(all.iter().all(|d| d.attempt_count == 1), "{all:?}");
}

/// Through the serving publisher, a fan-out wider than what is written before the
/// hand-over reaches every site once, with the webhook-id it was recorded with.
#[tokio::test]
async fn a_wide_fan_out_through_the_service_sends_each_site_one_webhook() {
    let site = receiver(None, None, |_| status(204)).await;
    let (f, deliveries) = fan_out_of(70, &site.url);
    let publisher = Publisher::new(f.store.clone(), f.secrets.clone());
    let running = publisher.spawn();
    passes_beyond(&publisher, 0, "the service never started").await;

    let events = publisher.subscribe();
    let enqueued = publisher.enqueue(&POST, &deliveries).unwrap();
    let sending = Stage::Sending { attempt: 1 };
    assert!(enqueued.standings.iter().all(|s| s.stage == sending));
    let wait = Some(Duration::from_secs(10));
    let publish_id = enqueued.publish_id;
    // Followed from where the enqueue left the sites: the events and a last look at
    // the store bring it to exactly what is stored.
    let all = publisher
        .follow_enqueued(events, enqueued, wait, |_| {})
        .await
        .unwrap();
    assert_eq!(all.len(), 70);
    assert!(all
        .iter()
        .all(|s| s.stage == Stage::Accepted && s.attempts == 1));
    assert_eq!(all, f.store.lock().unwrap().standings(publish_id).unwrap());
    let mut seen: Vec<String> = site
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.0.clone())
        .collect();
    let mut sent: Vec<String> = deliveries.iter().map(|d| d.message_id.clone()).collect();
    seen.sort();
    sent.sort();
    assert_eq!(seen, sent, "each once");
    running.stop().await.unwrap();
    assert!(f.store.lock().unwrap().lease_owners().unwrap().is_empty());
}

fn answer(next: pressroom_core::store::NextStep) -> pressroom_core::store::AttemptRecord {
    use pressroom_core::store::NextStep;
    let error = match &next {
        NextStep::Delivered => None,
        NextStep::RetryIn(_) => Some("connection refused".to_owned()),
        NextStep::Failed(why) | NextStep::ConfigError(why) | NextStep::Cancelled(why) => {
            Some(why.clone())
        }
    };
    pressroom_core::store::AttemptRecord {
        started_at: pressroom_core::store::current_timestamp(),
        status: error.is_none().then_some(204),
        latency_ms: 1,
        response_headers: Default::default(),
        response_body: None,
        error,
        next,
    }
}

/// What an answer leaves of a delivery, whichever way it was written (ids, times,
/// webhook-id and body aside).
fn as_answered(d: &pressroom_core::store::Delivery) -> impl PartialEq + std::fmt::Debug {
    let stage = match &d.stage {
        Stage::RetryAt { attempt, error, .. } => format!("retry_at {attempt} {error}"),
        other => format!("{other:?}"),
    };
    (
        d.site_id,
        d.state,
        d.attempt_count,
        d.next_attempt_at.is_some(),
        d.last_error.clone(),
        d.last_status,
        stage,
        d.confirm_timeout_ms,
    )
}

/// A fan-out's deliveries handed to the worker unwritten are each written once its
/// answer comes, directly as the answer leaves it: the same row, stage and attempt as
/// recording the answer of a written one gives. Once all are answered, the publish
/// keeps nothing unwritten.
#[test]
fn a_handed_delivery_is_written_when_its_answer_comes_as_the_answer_leaves_it() {
    use pressroom_core::store::NextStep;
    let answers = [
        NextStep::Delivered,
        NextStep::RetryIn(60_000),
        NextStep::Failed("gave up".into()),
        NextStep::ConfigError("404".into()),
        NextStep::Cancelled("site removed".into()),
    ];
    // The same fan-out twice: the second one's deliveries written (by a reader) before
    // any answer is recorded.
    let mut recorded = Vec::new();
    for write_first in [false, true] {
        let (f, mut deliveries) = fan_out_of(70, UNREACHABLE);
        deliveries[66].confirm_timeout_ms = Some(5000);
        deliveries[67].confirm_timeout_ms = Some(5000);
        let mut store = f.store.lock().unwrap();
        let mut handed = Vec::new();
        let enqueued = store
            .enqueue_publish(
                &POST,
                &deliveries,
                Some(("here/1", Duration::from_secs(60))),
                |due| handed = due,
            )
            .unwrap();
        let publish_id = enqueued.publish_id;
        let path = store.path().to_path_buf();
        assert_eq!(rows_written(&path, publish_id), 1, "only the last");
        if write_first {
            assert_eq!(store.standings(publish_id).unwrap().len(), 70);
            assert_eq!(rows_written(&path, publish_id), 70);
        }
        // All but the last were handed unwritten; one answer each, of every kind. Nothing
        // here reads through the store until all are answered (a reader writes them).
        let mut moves = Vec::new();
        for (i, next) in (0..69).zip(answers.iter().cycle()) {
            let moved = store
                .record_attempt("here/1", handed[i].id, &answer(next.clone()))
                .unwrap();
            assert_eq!(moved.len(), 1, "{next:?}");
            assert_eq!(moved[0].delivery_id, handed[i].id);
            if !write_first {
                assert_eq!(
                    rows_written(&path, publish_id),
                    i + 2,
                    "written as answered"
                );
            }
            // A second answer is kept, and moves nothing.
            if i == 0 {
                let again = store
                    .record_attempt("here/1", handed[i].id, &answer(NextStep::Delivered))
                    .unwrap();
                assert!(again.is_empty());
            }
            moves.extend(moved);
        }
        let unwritten: Option<String> = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT unwritten FROM publishes WHERE id = ?1",
                [publish_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unwritten, None, "all handed ones answered");
        // What each answer reported is what is stored.
        for m in &moves {
            let stored = store.delivery(m.delivery_id).unwrap();
            assert_eq!(m.stage, stored.stage);
            assert_eq!(m.confirming, stored.confirm_timeout_ms.is_some());
            assert!(stored.updated_at >= stored.created_at);
        }
        recorded.push(
            (0..69)
                .map(|i| {
                    let d = store.delivery(handed[i].id).unwrap();
                    assert_eq!(
                        (&d.message_id, &d.body),
                        (&deliveries[i].message_id, &deliveries[i].body)
                    );
                    let attempts = store.attempts(d.id).unwrap().len();
                    (as_answered(&d), attempts)
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(recorded[0], recorded[1]);
}

/// A pass that ends with handed deliveries unanswered (a lease it could not renew)
/// writes them as they were handed, claimed: they are sent again once the lease runs
/// out, and the answered ones are left as they are.
#[test]
fn a_pass_ending_with_handed_deliveries_unanswered_writes_them_claimed() {
    use pressroom_core::store::NextStep;
    let (f, deliveries) = fan_out_of(70, UNREACHABLE);
    let mut store = f.store.lock().unwrap();
    let mut handed = Vec::new();
    let lease = Duration::from_millis(1);
    let publish_id = store
        .enqueue_publish(&POST, &deliveries, Some(("here/1", lease)), |due| {
            handed = due
        })
        .unwrap()
        .publish_id;
    for d in &handed[..68] {
        store
            .record_attempt("here/1", d.id, &answer(NextStep::Delivered))
            .unwrap();
    }
    assert_eq!(rows_written(store.path(), publish_id), 69);
    store.finish_handed("here/1").unwrap();
    assert_eq!(rows_written(store.path(), publish_id), 70);
    std::thread::sleep(Duration::from_millis(20));
    let claimed = store
        .claim_due("next/1", Duration::from_secs(60), 1000)
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|d| d.id).collect();
    assert_eq!(ids, [handed[68].id, handed[69].id]);
    let standings = store.standings(publish_id).unwrap();
    assert!(standings[..68].iter().all(|s| s.stage == Stage::Accepted));
}

/// A process dying in the middle of a fan-out, some answers recorded: the next pass
/// writes and sends only the deliveries not answered, and leaves the answered ones as
/// their answers left them.
#[tokio::test]
async fn a_worker_dying_mid_fan_out_leaves_only_the_unanswered_to_send_again() {
    use pressroom_core::store::NextStep;
    let (f, deliveries) = fan_out_of(70, UNREACHABLE);
    let outbox = f.outbox(Duration::from_secs(2));
    let claim = dead_workers_claim(&outbox);
    let (publish_id, handed) = {
        // The dying process's own store, dropped with it.
        let mut store = Store::open(f.store.lock().unwrap().path()).unwrap();
        let mut handed = Vec::new();
        let publish_id = store
            .enqueue_publish(
                &POST,
                &deliveries,
                Some((&claim, Duration::from_secs(600))),
                |due| handed = due,
            )
            .unwrap()
            .publish_id;
        for d in &handed[60..67] {
            store
                .record_attempt(&claim, d.id, &answer(NextStep::Delivered))
                .unwrap();
        }
        (publish_id, handed)
    };
    // The seven answered are not sent again; the other 63 are (nothing listens: each
    // is attempted once and rescheduled).
    assert_eq!(outbox.run_due().await.unwrap(), 63);
    let all = f.store.lock().unwrap().deliveries_of(publish_id).unwrap();
    assert_eq!(all.len(), 70);
    for (d, h) in all.iter().zip(&handed) {
        assert_eq!(d.id, h.id);
        let answered = (60..67).contains(&(d.id - handed[0].id));
        if answered {
            assert_eq!((d.stage.clone(), d.attempt_count), (Stage::Accepted, 1));
        } else {
            assert!(
                matches!(d.stage, Stage::RetryAt { attempt: 1, .. }),
                "{d:?}"
            );
        }
    }
}

/// The body most of a publish's deliveries send is stored once, with the publish; a
/// delivery with a body of its own keeps it, whether written with the publish or after
/// it. Each is sent, and shown in the delivery log, with its own.
#[test]
fn each_delivery_sends_its_own_body_whether_shared_or_not() {
    let (f, mut deliveries) = fan_out_of(70, UNREACHABLE);
    deliveries[3].body = r#"{"own":3}"#.into();
    deliveries[68].body = r#"{"own":68}"#.into();
    let mut store = f.store.lock().unwrap();
    let lease = Duration::from_millis(1);
    let enqueued = store
        .enqueue_publish(&POST, &deliveries, Some(("here/1", lease)), |_| {})
        .unwrap();
    // Its pass ends having sent nothing: they are all written, claimed as handed.
    store.finish_handed("here/1").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let want: Vec<&str> = deliveries.iter().map(|d| d.body.as_str()).collect();
    let claimed = store
        .claim_due("next/1", Duration::from_secs(60), 1000)
        .unwrap();
    let sent: Vec<&str> = claimed.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(sent, want);
    let logged = store.deliveries_of(enqueued.publish_id).unwrap();
    let logged: Vec<&str> = logged.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(logged, want);
}
