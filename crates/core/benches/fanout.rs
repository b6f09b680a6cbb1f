//! `cargo bench -p pressroom-core --bench fanout`: a publish fanned out to 1000
//! loopback receivers through the long-lived publishing service, as in the app — the
//! deliveries enqueued in one transaction, the worker woken, every delivery claimed,
//! each request signed, every attempt recorded in SQLite, and the run followed through
//! the service's events until every site accepted — against a bare concurrent reqwest
//! loop posting the same bodies, unsigned and unrecorded, with the same concurrency.
//! The service keeps sites and decoded secrets between publishes (the first round
//! reads them). Rounds are interleaved, and which side goes first alternates, so
//! machine noise hits both alike; medians and their ratio are reported (goal: at most
//! 1.3x).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pressroom_core::confirm::Confirmer;
use pressroom_core::outbox::OutboxConfig;
use pressroom_core::publisher::Publisher;
use pressroom_core::secrets::SecretStore;
use pressroom_core::sites::{self, SecretInput};
use pressroom_core::stage::Stage;
use pressroom_core::store::{NewDelivery, NewSite, Preset};
use pressroom_core::webhook::{Envelope, EventKind};
use pressroom_core::Store;

const RECEIVERS: usize = 1000;
const ROUNDS: usize = 15;

async fn receivers() -> Vec<String> {
    let mut urls = Vec::with_capacity(RECEIVERS);
    for _ in 0..RECEIVERS {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!(
            "http://{}/api/revalidate",
            listener.local_addr().unwrap()
        ));
        let router = axum::Router::new().fallback(|| async { axum::http::StatusCode::NO_CONTENT });
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    }
    urls
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let urls = rt.block_on(receivers());
    let dir = tempfile::tempdir().unwrap();
    let secrets = SecretStore::File(dir.path().join("secrets.json"));
    let mut store = Store::open(dir.path().join("bench.db")).unwrap();
    store
        .checkpoint_in_background(Duration::from_millis(500))
        .unwrap();
    store.create("post", "---\ntitle: Post\n---\nBody").unwrap();
    let mut site_list = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let new = NewSite {
            name: format!("site-{i:04}"),
            webhook_url: url.clone(),
            page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
            tag_templates: vec!["documents".into(), "document:{slug}".into()],
            path_templates: vec!["/posts/{slug}".into()],
            preset: Preset::StandardWebhooks,
        };
        site_list.push(
            sites::add(&mut store, &secrets, &new, SecretInput::Generate)
                .unwrap()
                .site,
        );
    }
    let store = Arc::new(Mutex::new(store));
    let config = OutboxConfig::default();
    let concurrency = config.concurrency;
    let publisher = Publisher::with_config(store.clone(), secrets, config, Confirmer::default());
    let running = rt.block_on(async { publisher.spawn() });
    let bodies: Vec<String> = site_list
        .iter()
        .map(|s| {
            serde_json::to_string(&Envelope::new(
                EventKind::Published,
                "post",
                "r_0123456789abcdef",
                s,
                "2026-11-27T10:00:00Z",
            ))
            .unwrap()
        })
        .collect();
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();

    // Ours: enqueue with the publish record, wake the service, follow the run to the end.
    let run_ours = |round: usize| {
        let start = Instant::now();
        let events = publisher.subscribe();
        let deliveries: Vec<NewDelivery> = site_list
            .iter()
            .zip(&bodies)
            .enumerate()
            .map(|(i, (s, body))| NewDelivery {
                site_id: s.id,
                message_id: format!("msg_bench_{round}_{i}"),
                body: body.clone(),
                confirm_timeout_ms: None,
            })
            .collect();
        let publish = store
            .lock()
            .unwrap()
            .record_publish_with_deliveries("post", "r_0123456789abcdef", "x", false, &deliveries)
            .unwrap();
        publisher.wake();
        let all = rt
            .block_on(publisher.follow(events, publish, None, None, |_| {}))
            .unwrap();
        let took = start.elapsed();
        assert!(
            all.iter().all(|s| s.stage == Stage::Accepted),
            "round {round}: not all accepted"
        );
        took
    };
    // Baseline: the same posts, no signing, no outbox, no recording.
    let run_bare = || {
        let start = Instant::now();
        rt.block_on(async {
            let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
            let mut tasks = tokio::task::JoinSet::new();
            for (url, body) in urls.iter().zip(&bodies) {
                let (http, url, body, gate) =
                    (bare.clone(), url.clone(), body.clone(), gate.clone());
                tasks.spawn(async move {
                    let _slot = gate.acquire_owned().await.unwrap();
                    let r = http
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success());
                });
            }
            while let Some(t) = tasks.join_next().await {
                t.unwrap();
            }
        });
        start.elapsed()
    };

    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Which goes first alternates, so neither always runs on the other's heels.
        let (o, b) = if round % 2 == 0 {
            (run_ours(round), run_bare())
        } else {
            let b = run_bare();
            (run_ours(round), b)
        };
        ours.push(o);
        baseline.push(b);
        println!(
            "round {}: service {:>7.1} ms   bare reqwest {:>7.1} ms",
            round + 1,
            o.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3
        );
    }
    let (o, b) = (median(ours), median(baseline));
    println!(
        "fan-out to {RECEIVERS} loopback receivers: publishing service median {:.1} ms, bare reqwest median {:.1} ms, ratio {:.2}x (goal <= 1.3x)",
        o.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        o.as_secs_f64() / b.as_secs_f64()
    );
    rt.block_on(running.stop()).unwrap();
}
