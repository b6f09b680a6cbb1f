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

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pressroom_core::outbox::OutboxConfig;

const RECEIVERS: usize = 1000;
const ROUNDS: usize = 15;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let urls = rt.block_on(common::receivers(RECEIVERS));
    let dir = tempfile::tempdir().unwrap();
    let workspace = common::Workspace::new(&rt, dir.path(), &urls);
    let concurrency = OutboxConfig::default().concurrency;
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();

    // Baseline: the same posts, no signing, no outbox, no recording.
    let run_bare = || {
        let start = Instant::now();
        rt.block_on(async {
            let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
            let mut tasks = tokio::task::JoinSet::new();
            for (url, body) in urls.iter().zip(&workspace.bodies) {
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
        let tag = format!("round{round}");
        let (o, b) = if round % 2 == 0 {
            (workspace.publish(&rt, &tag), run_bare())
        } else {
            let b = run_bare();
            (workspace.publish(&rt, &tag), b)
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
    let (o, b) = (common::median(ours), common::median(baseline));
    println!(
        "fan-out to {RECEIVERS} loopback receivers: publishing service median {:.1} ms, bare reqwest median {:.1} ms, ratio {:.2}x (goal <= 1.3x)",
        o.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        o.as_secs_f64() / b.as_secs_f64()
    );
    workspace.stop(&rt);
}
