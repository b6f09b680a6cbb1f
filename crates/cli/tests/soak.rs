//! Soak: 1,000 publishes to 20 loopback sites that now and then fail, time out, answer
//! 503 (`Retry-After: 0`), 500 or — one of them, once — 410, delivered and confirmed by
//! `pressroom daemon`, which is killed with SIGKILL three times along the way and
//! started again, with a second daemon working on the same workspace for a while. Afterwards every delivery is delivered or failed for a reason, every
//! (publish, site) is in a terminal state, nothing was lost, and every request a site
//! saw carried the one webhook-id of a delivery to that site (at least once, with
//! duplicates only where a kill interrupted an answer).

mod support;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use pressroom_core::secrets::{SecretStore, SiteSecrets};
use pressroom_core::signing::{self, Secret};
use pressroom_core::stage::Stage;
use pressroom_core::store::{DeliveryState, NewDelivery, NewSite, Preset};
use pressroom_core::{workspace, Store};
use support::pressroom;

const SITES: usize = 20;
const PUBLISHES: usize = 1_000;
const WAVES: usize = 4;
/// The site that answers 410 once (and is disabled by it).
const GONE_SITE: usize = 19;

/// What the sites saw: (site, webhook-id, answered 2xx, signature verified).
type Seen = Arc<Mutex<Vec<(usize, String, bool, bool)>>>;

fn revision_of(slug: &str) -> String {
    let n: u64 = slug.trim_start_matches('p').parse().unwrap();
    format!("r_{n:016x}")
}

/// One server for the 20 sites: `/hook/{site}` takes webhooks, `/posts/{site}/{slug}`
/// serves the page with its revision.
fn start_sites(
    rt: &tokio::runtime::Runtime,
    secrets: Vec<Secret>,
    seen: Seen,
    overlapping: Arc<AtomicU64>,
    kills: Arc<AtomicU64>,
) -> String {
    let counter = Arc::new(AtomicU64::new(0));
    // Webhook ids being answered right now, each with how many daemons had been killed
    // when it came: one arriving while its own earlier request is still in flight,
    // with no kill in between, is a delivery sent twice at once. (A killed daemon's
    // request stays "in flight" here until its answer is done — up to the 1.5 s of a
    // slow answer — and a daemon that takes the dead one's work over rightly sends it
    // again.)
    let in_flight: Arc<Mutex<HashMap<String, Vec<u64>>>> = Arc::default();
    let gone_once = Arc::new(AtomicU64::new(0));
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let secrets = Arc::new(secrets);
        let router = axum::Router::new()
            .route(
                "/hook/{site}",
                axum::routing::post(
                    move |Path(site): Path<usize>, headers: HeaderMap, body: axum::body::Bytes| {
                        let (seen, counter, gone_once, secrets) = (
                            seen.clone(),
                            counter.clone(),
                            gone_once.clone(),
                            secrets.clone(),
                        );
                        let (in_flight, overlapping, kills) =
                            (in_flight.clone(), overlapping.clone(), kills.clone());
                        async move {
                            let h = |n: &str| headers[n].to_str().unwrap().to_owned();
                            let (id, ts) = (h("webhook-id"), h("webhook-timestamp"));
                            let epoch = kills.load(Ordering::SeqCst);
                            {
                                let mut in_flight = in_flight.lock().unwrap();
                                let earlier = in_flight.entry(id.clone()).or_default();
                                if earlier.contains(&epoch) {
                                    overlapping.fetch_add(1, Ordering::Relaxed);
                                }
                                earlier.push(epoch);
                            }
                            // Removed when this answer is done (or the client went away).
                            struct Done(Arc<Mutex<HashMap<String, Vec<u64>>>>, String, u64);
                            impl Drop for Done {
                                fn drop(&mut self) {
                                    let mut in_flight = self.0.lock().unwrap();
                                    if let Some(epochs) = in_flight.get_mut(&self.1) {
                                        if let Some(i) = epochs.iter().position(|e| *e == self.2) {
                                            epochs.swap_remove(i);
                                        }
                                        if epochs.is_empty() {
                                            in_flight.remove(&self.1);
                                        }
                                    }
                                }
                            }
                            let _done = Done(in_flight, id.clone(), epoch);
                            let ts: i64 = ts.parse().unwrap();
                            let now = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .unwrap()
                                .as_secs() as i64;
                            let verified = signing::verify(
                                &secrets[site],
                                &id,
                                ts,
                                &body,
                                &h("webhook-signature"),
                                now,
                                300,
                            );
                            // A fixed pseudo-random sequence of answers.
                            let n = counter.fetch_add(1, Ordering::Relaxed);
                            let roll = (n.wrapping_mul(2_654_435_761) >> 7) % 100;
                            let answer = if site == GONE_SITE
                                && n > 3_000
                                && gone_once.fetch_add(1, Ordering::Relaxed) == 0
                            {
                                StatusCode::GONE.into_response()
                            } else if roll < 8 {
                                (
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    [("retry-after", "0")],
                                    "busy",
                                )
                                    .into_response()
                            } else if roll < 11 {
                                StatusCode::INTERNAL_SERVER_ERROR.into_response()
                            } else if roll < 13 {
                                // Longer than the daemon waits: a timeout.
                                tokio::time::sleep(Duration::from_millis(1_500)).await;
                                StatusCode::OK.into_response()
                            } else {
                                StatusCode::OK.into_response()
                            };
                            let ok = answer.status().is_success();
                            seen.lock().unwrap().push((site, id, ok, verified));
                            answer
                        }
                    },
                ),
            )
            .route(
                "/posts/{site}/{slug}",
                axum::routing::get(|Path((_site, slug)): Path<(usize, String)>| async move {
                    (
                        [("content-type", "text/html")],
                        format!(
                            "<html><head><meta name=\"content-revision\" content=\"{}\"></head>\
                             <body><h1>{slug}</h1></body></html>",
                            revision_of(&slug)
                        ),
                    )
                }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        base
    })
}

fn start_daemon(
    ws: &std::path::Path,
    secrets_file: &std::path::Path,
    log: &std::path::Path,
) -> Child {
    pressroom(ws)
        .args([
            "daemon",
            "--attempt-timeout",
            "1",
            "--retry-schedule",
            "0.05,0.1,0.2,0.4,0.8,1.6",
        ])
        .env("PRESSROOM_SECRETS_FILE", secrets_file)
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap(),
        )
        .spawn()
        .unwrap()
}

/// Pending deliveries and owed confirmations left.
fn work_left(store: &Store) -> usize {
    store
        .deliveries(false, 1_000_000)
        .unwrap()
        .iter()
        .filter(|d| d.state == DeliveryState::Pending || d.confirm_timeout_ms.is_some())
        .count()
}

#[test]
fn a_thousand_publishes_to_flaky_sites_survive_three_kills() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let secrets_file = ws.join("secrets.json");
    let log = ws.join("daemon.log");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let seen: Seen = Arc::default();
    let site_secrets: Vec<Secret> = (0..SITES).map(|_| Secret::generate()).collect();
    let overlapping = Arc::new(AtomicU64::new(0));
    // How many daemons have been killed so far (see `start_sites`).
    let killed = Arc::new(AtomicU64::new(0));
    let base = start_sites(
        &rt,
        site_secrets.clone(),
        seen.clone(),
        overlapping.clone(),
        killed.clone(),
    );

    let mut store = Store::open(workspace::database_path(ws)).unwrap();
    let secret_store = SecretStore::File(secrets_file.clone());
    let mut site_ids = Vec::new();
    for (i, secret) in site_secrets.iter().enumerate() {
        let reference = format!("site-{i}");
        secret_store
            .set(
                &reference,
                &SiteSecrets {
                    current: secret.expose().to_owned(),
                    previous: None,
                },
            )
            .unwrap();
        let site = store
            .add_site(
                &NewSite {
                    name: format!("site-{i:02}"),
                    webhook_url: format!("{base}/hook/{i}"),
                    page_url_template: format!("{base}/posts/{i}/{{slug}}"),
                    tag_templates: vec![],
                    path_templates: vec![],
                    preset: Preset::StandardWebhooks,
                    destination: None,
                },
                Some(&reference),
            )
            .unwrap();
        site_ids.push(site.id);
    }

    let started = Instant::now();
    let mut daemon = start_daemon(ws, &secrets_file, &log);
    let mut second: Option<Child> = None;
    let mut kills = 0;
    let per_wave = PUBLISHES / WAVES;
    for wave in 0..WAVES {
        for n in wave * per_wave..(wave + 1) * per_wave {
            let slug = format!("p{n}");
            let deliveries: Vec<NewDelivery> = site_ids
                .iter()
                .enumerate()
                .map(|(i, id)| NewDelivery {
                    site_id: *id,
                    message_id: format!("msg_soak_{n}_{i}"),
                    body: format!(
                        "{{\"type\":\"content.published\",\"data\":{{\"slug\":\"{slug}\"}}}}"
                    ),
                    confirm_timeout_ms: Some(5_000),
                })
                .collect();
            store
                .record_publish_with_deliveries(
                    &slug,
                    &revision_of(&slug),
                    &format!("---\ntitle: Post {n}\n---\nBody of post {n}.\n"),
                    false,
                    &deliveries,
                )
                .unwrap();
        }
        if wave + 1 < WAVES {
            // Let it get going, then kill it in the middle of its work.
            std::thread::sleep(Duration::from_millis(700 + 300 * wave as u64));
            daemon.kill().unwrap();
            daemon.wait().unwrap();
            killed.fetch_add(1, Ordering::SeqCst);
            kills += 1;
            daemon = start_daemon(ws, &secrets_file, &log);
            // Two processes on one workspace (the app and a daemon, say) for a while.
            if wave == 0 {
                second = Some(start_daemon(ws, &secrets_file, &log));
            }
        }
    }
    if let Some(mut second) = second {
        std::thread::sleep(Duration::from_millis(500));
        second.kill().unwrap();
        second.wait().unwrap();
        killed.fetch_add(1, Ordering::SeqCst);
    }
    assert_eq!(kills, 3);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let left = work_left(&store);
        if left == 0 {
            break;
        }
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!(
                "the daemon exited with {status}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{left} deliveries or confirmations still open after {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let took = started.elapsed();
    // A clean stop this time.
    std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    let stopped = daemon.wait().unwrap();
    assert!(
        stopped.success(),
        "the daemon stops cleanly on SIGTERM: {stopped}"
    );

    let deliveries = store.deliveries(false, 1_000_000).unwrap();
    assert_eq!(deliveries.len(), PUBLISHES * SITES, "none lost");
    let ids: HashMap<&str, (usize, i64)> = deliveries
        .iter()
        .map(|d| {
            let site = site_ids
                .iter()
                .position(|id| Some(*id) == d.site_id)
                .unwrap();
            (d.message_id.as_str(), (site, d.id))
        })
        .collect();
    let seen = seen.lock().unwrap().clone();
    let mut accepted: HashMap<&str, usize> = HashMap::new();
    for (site, id, ok, verified) in &seen {
        assert!(verified, "site {site} got a bad signature on {id}");
        let (owner, _) = ids
            .get(id.as_str())
            .unwrap_or_else(|| panic!("site {site} got an unknown webhook-id {id}"));
        assert_eq!(owner, site, "{id} went to the wrong site");
        if *ok {
            *accepted.entry(id.as_str()).or_default() += 1;
        }
    }
    let mut by_outcome: HashMap<String, usize> = HashMap::new();
    for d in &deliveries {
        assert!(d.stage.is_terminal(), "delivery {} is {:?}", d.id, d.stage);
        match d.state {
            DeliveryState::Delivered => {
                assert!(
                    accepted.contains_key(d.message_id.as_str()),
                    "delivery {} is delivered but its site never accepted it",
                    d.id
                );
                assert!(
                    matches!(d.stage, Stage::Live { .. }),
                    "delivery {}: {:?}",
                    d.id,
                    d.stage
                );
            }
            DeliveryState::Failed | DeliveryState::ConfigError | DeliveryState::Cancelled => {
                let why = d.last_error.as_deref().unwrap_or("");
                assert!(!why.is_empty(), "delivery {} failed without a reason", d.id);
            }
            DeliveryState::Pending => unreachable!("no work left"),
        }
        *by_outcome
            .entry(format!("{:?}", d.state).to_lowercase())
            .or_default() += 1;
    }
    assert_eq!(
        overlapping.load(Ordering::Relaxed),
        0,
        "a delivery was sent again while its earlier request was still in flight"
    );
    let duplicates: usize = accepted.values().map(|n| n - 1).sum();
    let requests = seen.len();
    let distinct: HashSet<&str> = seen.iter().map(|(_, id, _, _)| id.as_str()).collect();
    eprintln!(
        "soak: {} deliveries in {took:?}: {by_outcome:?}; {requests} requests for {} ids, \
         {duplicates} accepted more than once (kills: {kills})",
        deliveries.len(),
        distinct.len()
    );
    // The site that answered 410 was disabled, and what was left for it cancelled.
    assert!(
        by_outcome.get("cancelled").copied().unwrap_or(0) > 0 || by_outcome.contains_key("failed")
    );
    rt.shutdown_background();
}
