//! Live at scale, measured on loopback with the real content API and demo-site instances
//! (each with a page cache of its own, as self-hosted Next.js instances have):
//!
//! 1. **Confirmation overhead**: 1 page × 1 instance against 5 URLs (the post, the index,
//!    its three tag pages) × 3 listed instances — the time from the last instance
//!    starting to serve the new revision (its page entering its cache, by its own clock)
//!    to the publisher reporting the site live.
//! 2. **Visitor staleness after Live**: three instances in stale-while-revalidate mode
//!    (the webhook marks the page stale; the next visitor gets the old page once and
//!    starts the re-render), visited round-robin every 10 ms for the 10 s after Live.
//!    Pressroom (every URL through every instance: the confirmation is each one's first
//!    visitor) against a confirmation that stops at the first fresh answer of one URL
//!    (no warming; what a one-URL check reports).
//!
//! `cargo bench -p pressroom-sandbox --bench live_at_scale [-- ROUNDS [SECONDS]]`

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{report, Bench};
use pressroom_core::publish::LiveWait;
use pressroom_core::store::lock;
use pressroom_sandbox::{DemoConfig, DemoSite, Mode, SITE_NAME};
use tokio::task::JoinHandle;

/// The sandbox and `extra` more demo-site instances of the same site: same content
/// API, same secret, caches of their own.
struct Fleet {
    bench: Bench,
    instances: Vec<(DemoSite, String)>,
    tasks: Vec<JoinHandle<()>>,
}

impl Fleet {
    async fn start(mode: Mode, extra: usize) -> Fleet {
        let bench = Bench::start(mode).await;
        let reference = lock(&bench.store)
            .site(SITE_NAME)
            .unwrap()
            .secret_ref
            .unwrap();
        let secret = bench.secrets.get(&reference).unwrap().unwrap().current;
        let sandbox = &bench.sandbox;
        let mut instances = vec![(sandbox.demo.clone(), sandbox.site_url.clone())];
        let mut tasks = Vec::new();
        for _ in 0..extra {
            let demo = DemoSite::new(DemoConfig {
                api_url: sandbox.api_url.clone(),
                secret: secret.clone(),
                mode,
                regen_delay: Duration::ZERO,
                marker: true,
            })
            .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let origin = format!("http://{}", listener.local_addr().unwrap());
            let serving = demo.clone();
            tasks.push(tokio::spawn(async move {
                let _ = serving.serve(listener, std::future::pending()).await;
            }));
            instances.push((demo, origin));
        }
        Fleet {
            bench,
            instances,
            tasks,
        }
    }

    /// What the site confirms besides its page, and whether its instances are listed.
    fn reach(&self, also: &[&str], list_instances: bool) {
        let also: Vec<String> = also.iter().map(|s| s.to_string()).collect();
        let origins: Vec<String> = match list_instances {
            true => self.instances.iter().map(|(_, o)| o.clone()).collect(),
            false => Vec::new(),
        };
        lock(&self.bench.store)
            .set_site_reach(SITE_NAME, &also, &origins)
            .unwrap();
    }

    /// Changes "welcome" and publishes it; its revision and when the publisher said Live.
    async fn publish(&self, round: usize, live: LiveWait) -> (String, Option<SystemTime>) {
        let (publish, live_at) = self.bench.publish(round, live).await;
        (publish.revision, live_at)
    }

    /// When the last instance started serving `revision`.
    fn last_fresh(&self, revision: &str) -> SystemTime {
        self.instances
            .iter()
            .map(|(demo, _)| demo.ready_at(revision).expect("every instance serves it"))
            .max()
            .unwrap()
    }

    async fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
        self.bench.sandbox.stop().await;
    }
}

/// The revision a demo page answered with (its ETag is the revision).
async fn revision_of(http: &reqwest::Client, url: &str) -> Option<String> {
    let response = http.get(url).send().await.ok()?;
    let etag = response.headers().get("etag")?.to_str().ok()?.to_owned();
    let _ = response.bytes().await;
    Some(etag.trim_matches('"').to_owned())
}

async fn overhead(rounds: usize, wide: bool) -> Vec<f64> {
    let fleet = Fleet::start(Mode::ExpireNow, if wide { 2 } else { 0 }).await;
    if wide {
        fleet.reach(&["/", "/tags/{tag}"], true);
    }
    let running = fleet.bench.publisher.spawn();
    let mut ms = Vec::new();
    for round in 0..rounds {
        let (revision, live_at) = fleet.publish(round, LiveWait::SiteTimeout).await;
        let live_at = live_at.expect("every round goes live");
        ms.push(
            live_at
                .duration_since(fleet.last_fresh(&revision))
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0,
        );
    }
    running.stop().await.unwrap();
    fleet.stop().await;
    ms
}

/// Stale answers visitors got in the `window` after Live, over `rounds` publishes.
async fn staleness(rounds: usize, window: Duration, warm: bool) -> (usize, usize) {
    let fleet = Fleet::start(Mode::StaleOnce, 2).await;
    fleet.reach(&["/"], true);
    let running = fleet.bench.publisher.spawn();
    let http = reqwest::Client::new();
    let pages: Vec<String> = fleet
        .instances
        .iter()
        .map(|(_, origin)| format!("{origin}/posts/welcome"))
        .collect();
    let (mut stale, mut total) = (0, 0);
    for round in 0..rounds {
        // Every instance has the current page cached before the publish.
        for page in &pages {
            revision_of(&http, page).await;
        }
        let revision = if warm {
            let (revision, live_at) = fleet.publish(round, LiveWait::SiteTimeout).await;
            live_at.expect("every round goes live");
            revision
        } else {
            // Webhooks to every instance, then one URL until its first fresh answer.
            let (revision, _) = fleet.publish(round, LiveWait::No).await;
            let deadline = Instant::now() + Duration::from_secs(10);
            while revision_of(&http, &pages[0]).await.as_deref() != Some(revision.as_str()) {
                assert!(Instant::now() < deadline, "never fresh");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            revision
        };
        let until = Instant::now() + window;
        let mut n = 0;
        while Instant::now() < until {
            let served = revision_of(&http, &pages[n % pages.len()]).await;
            total += 1;
            if served.as_deref() != Some(revision.as_str()) {
                stale += 1;
            }
            n += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    running.stop().await.unwrap();
    fleet.stop().await;
    (stale, total)
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<u64>().ok());
    let rounds = args.next().unwrap_or(30) as usize;
    let window = Duration::from_secs(args.next().unwrap_or(10));
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // Interleaved in one run, so both sides see the same machine.
    let (mut narrow, mut wide) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        narrow.extend(runtime.block_on(overhead(rounds.div_ceil(3), false)));
        wide.extend(runtime.block_on(overhead(rounds.div_ceil(3), true)));
    }
    let a = report("last instance fresh → Live: 1 page × 1 instance", narrow);
    let b = report("last instance fresh → Live: 5 URLs × 3 instances", wide);
    println!("{:<58} {:>+7.2} ms", "difference of the medians", b - a);

    let staleness_rounds = 3;
    for warm in [true, false] {
        let (stale, total) = runtime.block_on(staleness(staleness_rounds, window, warm));
        let what = if warm {
            "Pressroom (every URL through every instance)"
        } else {
            "first fresh answer of one URL (no warming)"
        };
        println!(
            "stale answers in the {} s after Live, {what}: {stale} of {total} ({staleness_rounds} publishes)",
            window.as_secs()
        );
    }
}
