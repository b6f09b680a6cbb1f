//! `cargo bench -p pressroom-core --bench history [-- PUBLISHES]`: publish time must not
//! grow with history. Two workspaces publish to the same 1000 loopback sites through
//! their publishing services: one with an empty history, one first grown by PUBLISHES
//! real publishes (default 1000: 1 M deliveries and 1 M attempts). Then rounds
//! alternate between the two, so machine noise hits both alike; the medians and their
//! ratio are reported (goal: at most 1.1x).

mod common;

use std::time::Instant;

const RECEIVERS: usize = 1000;
const ROUNDS: usize = 15;

fn main() {
    let grow: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let urls = rt.block_on(common::receivers(RECEIVERS));
    let (empty_dir, grown_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let empty = common::Workspace::new(&rt, empty_dir.path(), &urls);
    let grown = common::Workspace::new(&rt, grown_dir.path(), &urls);

    let start = Instant::now();
    for i in 0..grow {
        grown.publish(&rt, &format!("history{i}"));
        if (i + 1) % 100 == 0 {
            println!(
                "history: {} deliveries after {:.0} s",
                (i + 1) * RECEIVERS,
                start.elapsed().as_secs_f64()
            );
        }
    }

    let (mut on_empty, mut on_grown) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let tag = format!("round{round}");
        let (e, g) = if round % 2 == 0 {
            (empty.publish(&rt, &tag), grown.publish(&rt, &tag))
        } else {
            let g = grown.publish(&rt, &tag);
            (empty.publish(&rt, &tag), g)
        };
        on_empty.push(e);
        on_grown.push(g);
        println!(
            "round {}: empty history {:>7.1} ms   {} deliveries of history {:>7.1} ms",
            round + 1,
            e.as_secs_f64() * 1e3,
            grow * RECEIVERS,
            g.as_secs_f64() * 1e3
        );
    }
    let (e, g) = (common::median(on_empty), common::median(on_grown));
    println!(
        "1000-site publish: empty history median {:.1} ms, with {} deliveries of history median {:.1} ms, ratio {:.2}x (goal <= 1.1x)",
        e.as_secs_f64() * 1e3,
        grow * RECEIVERS,
        g.as_secs_f64() * 1e3,
        g.as_secs_f64() / e.as_secs_f64()
    );
    empty.stop(&rt);
    grown.stop(&rt);
}
