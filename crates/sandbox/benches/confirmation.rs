//! Confirmation overhead: the time between the demo site starting to serve a new
//! revision (its page entering its cache, by its own clock) and the publisher reporting
//! that site live, over 50 publishes through the real content API and demo site on
//! loopback.
//!
//! `cargo bench -p pressroom-sandbox --bench confirmation [-- ROUNDS]`

mod common;

use std::time::Instant;

use common::{report, Bench};
use pressroom_core::publish::LiveWait;
use pressroom_sandbox::Mode;

async fn run(mode: Mode, rounds: usize) -> (Vec<f64>, Vec<f64>) {
    let bench = Bench::start(mode).await;
    let running = bench.publisher.spawn();
    let http = reqwest::Client::new();
    let (mut overhead, mut total) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let started = Instant::now();
        let (publish, live_at) = bench.publish(round, LiveWait::SiteTimeout).await;
        let elapsed = started.elapsed();
        let live_at = live_at.expect("every round goes live");
        let served_at = bench
            .sandbox
            .demo
            .ready_at(&publish.revision)
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
        http.get(format!("{}/posts/welcome", bench.sandbox.site_url))
            .send()
            .await
            .unwrap();
    }
    running.stop().await.unwrap();
    bench.sandbox.stop().await;
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
