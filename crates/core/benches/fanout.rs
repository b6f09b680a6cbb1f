//! `cargo bench -p pressroom-core --bench fanout`: a publish fanned out to 1000
//! loopback receivers through the long-lived publishing service, as in the app — the
//! deliveries enqueued in one transaction, the worker woken, every delivery claimed,
//! each request signed, every attempt recorded in SQLite, and the run followed through
//! the service's events until every site accepted — against a bare concurrent reqwest
//! loop posting the same bodies, unsigned and unrecorded, with the same concurrency.
//! The service keeps sites and decoded secrets between publishes (the first round
//! reads them). Rounds are interleaved, and which side goes first alternates, so
//! machine noise hits both alike; medians and their ratio are reported (goal: at most
//! 1.3x), and the process's CPU time (user + system) per side, which tells how much of
//! the gap is work and how much is waiting (the publish's one transaction runs before
//! any send can start).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pressroom_core::outbox::OutboxConfig;

const RECEIVERS: usize = 1000;
const ROUNDS: usize = 15;

/// CPU time (user + system) of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let of = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    of(usage.ru_utime) + of(usage.ru_stime)
}

/// `f`'s wall-clock time (what it returns) and the CPU time it took.
fn timed(f: impl FnOnce() -> Duration) -> (Duration, Duration) {
    let cpu = cpu_time();
    let wall = f();
    (wall, cpu_time() - cpu)
}

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
    let (mut ours_cpu, mut baseline_cpu) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Which goes first alternates, so neither always runs on the other's heels.
        let tag = format!("round{round}");
        let ((o, oc), (b, bc)) = if round % 2 == 0 {
            let o = timed(|| workspace.publish(&rt, &tag));
            (o, timed(run_bare))
        } else {
            let b = timed(run_bare);
            (timed(|| workspace.publish(&rt, &tag)), b)
        };
        ours.push(o);
        baseline.push(b);
        ours_cpu.push(oc);
        baseline_cpu.push(bc);
        println!(
            "round {}: service {:>7.1} ms ({:>5.1} ms CPU)   bare reqwest {:>7.1} ms ({:>5.1} ms CPU)",
            round + 1,
            o.as_secs_f64() * 1e3,
            oc.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            bc.as_secs_f64() * 1e3
        );
    }
    let (o, b) = (common::median(ours), common::median(baseline));
    let (oc, bc) = (common::median(ours_cpu), common::median(baseline_cpu));
    println!(
        "CPU time: publishing service median {:.1} ms, bare reqwest median {:.1} ms, ratio {:.2}x",
        oc.as_secs_f64() * 1e3,
        bc.as_secs_f64() * 1e3,
        oc.as_secs_f64() / bc.as_secs_f64()
    );
    println!(
        "fan-out to {RECEIVERS} loopback receivers: publishing service median {:.1} ms, bare reqwest median {:.1} ms, ratio {:.2}x (goal <= 1.3x)",
        o.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        o.as_secs_f64() / b.as_secs_f64()
    );
    workspace.stop(&rt);
}
