//! `cargo bench -p pressroom-sandbox --bench schedule`: schedule accuracy — from a
//! scheduled publish's due time to its webhook's answer from the sandbox's demo site,
//! with the publishing service running and asleep until then (goal: median under 1 s).
//! Each round schedules "welcome", changed, 1.5 s ahead.

mod common;

use std::time::{Duration, Instant};

use pressroom_core::publisher::Event;
use pressroom_core::store::lock;
use pressroom_sandbox::Mode;

const ROUNDS: usize = 8;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bench = rt.block_on(common::Bench::start(Mode::ExpireNow));
    let running = rt.block_on(async { bench.publisher.spawn() });
    let mut late = Vec::new();
    for round in 0..ROUNDS {
        let mut events = bench.publisher.subscribe();
        let lead = Duration::from_millis(1500);
        let due = time::OffsetDateTime::now_utc() + lead;
        let due_at = Instant::now() + lead;
        {
            let mut store = lock(&bench.store);
            let source = store.get("welcome").unwrap().source;
            store
                .save("welcome", &format!("{source}\nScheduled round {round}.\n"))
                .unwrap();
            let when = due
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            pressroom_core::schedule::set(&mut store, "welcome", &when, &[]).unwrap();
        }
        bench.publisher.wake();
        let answered = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(20), async {
                loop {
                    if let Ok(Event::Attempted {
                        status: Some(_), ..
                    }) = events.recv().await
                    {
                        return Instant::now();
                    }
                }
            })
            .await
            .expect("the scheduled publish's webhook within 20 s")
        });
        late.push(answered.saturating_duration_since(due_at).as_secs_f64() * 1e3);
    }
    let median = common::report("due time to the webhook answered", late);
    println!("schedule accuracy: median {median:.1} ms after the due time (goal < 1000 ms)");
    rt.block_on(async {
        running.stop().await.unwrap();
        bench.sandbox.stop().await;
    });
}
