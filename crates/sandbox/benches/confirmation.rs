//! Confirmation overhead: the time between the demo site starting to serve a new
//! revision (its page entering its cache, by its own clock) and the publisher reporting
//! that site live, over 50
//! publishes through the real content API and demo site on loopback.
//!
//! `cargo bench -p pressroom-sandbox --bench confirmation [-- ROUNDS]`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use pressroom_core::publish::LiveWait;
use pressroom_core::publisher::{Event, Publisher};
use pressroom_core::secrets::SecretStore;
use pressroom_core::stage::Stage;
use pressroom_core::store::lock;
use pressroom_core::{publish, Store};
use pressroom_sandbox::{Mode, Sandbox, SandboxOptions};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<44} median {:>7.2} ms   p95 {:>7.2} ms   (n = {})",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms.len()
    );
}

async fn run(mode: Mode, rounds: usize) -> (Vec<f64>, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(
        dir.path(),
        SandboxOptions {
            mode,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let store = Store::open(sandbox.workspace_db()).unwrap();
    let secrets = SecretStore::for_workspace(&store);
    let api = publish::content_api(&store, &secrets).unwrap();
    let store = Arc::new(Mutex::new(store));
    let publisher = Publisher::new(store.clone(), secrets);
    let running = publisher.spawn();
    let http = reqwest::Client::new();
    let (mut overhead, mut total) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        {
            let mut store = lock(&store);
            let source = store.get("welcome").unwrap().source;
            store
                .save(
                    "welcome",
                    &format!("{source}\nRound {round} of the benchmark.\n"),
                )
                .unwrap();
        }
        let mut live_at = None;
        let started = Instant::now();
        let report = publisher
            .publish_and_follow(
                &api,
                "welcome",
                &[],
                LiveWait::SiteTimeout,
                Duration::from_secs(10),
                |e| {
                    if let Event::Changed {
                        stage: Stage::Live { .. },
                        ..
                    } = e
                    {
                        live_at = Some(SystemTime::now());
                    }
                },
            )
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let live_at = live_at.expect("every round goes live");
        let served_at = sandbox
            .demo
            .ready_at(&report.publish.revision)
            .expect("the site served it");
        overhead.push(
            live_at
                .duration_since(served_at)
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0,
        );
        total.push(elapsed.as_secs_f64() * 1000.0);
        // A visitor reads the page, so the next round starts from a cached page.
        http.get(format!("{}/posts/welcome", sandbox.site_url))
            .send()
            .await
            .unwrap();
    }
    running.stop().await.unwrap();
    sandbox.stop().await;
    (overhead, total)
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for mode in [Mode::ExpireNow, Mode::StaleOnce] {
        let (overhead, total) = runtime.block_on(run(mode, rounds));
        report(
            &format!("{}: site serves new → publisher says live", mode.as_str()),
            overhead,
        );
        report(
            &format!("{}: publish → live (whole run)", mode.as_str()),
            total,
        );
    }
}
