//! `cargo bench -p pressroom-cli --bench doc_list`: `pressroom doc list` on a workspace
//! of 10 000 article-length documents (about 4 KB each, so every row's title sits on an
//! overflow page after its text), the whole command from process start to exit, with
//! its output read through a pipe. Goal (issue #18): median ≤ 15 ms.
//!
//! The one-document workspace is measured in the same run as the floor: what starting
//! the binary and opening a workspace cost with nothing to list.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pressroom_core::{workspace, Store};

const RUNS: usize = 40;

/// Medians of `RUNS` runs of `pressroom doc list` in `dir`, after three warm-ups.
fn doc_list(dir: &std::path::Path) -> (f64, usize) {
    let exe = env!("CARGO_BIN_EXE_pressroom");
    let once = || {
        let start = Instant::now();
        let out = Command::new(exe)
            .arg("--data-dir")
            .arg(dir)
            .args(["doc", "list"])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("pressroom runs");
        let took = start.elapsed();
        assert!(out.status.success(), "doc list failed");
        (took, out.stdout.iter().filter(|b| **b == b'\n').count())
    };
    for _ in 0..3 {
        once();
    }
    let mut lines = 0;
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let (t, n) = once();
            lines = n;
            t
        })
        .collect();
    times.sort();
    (times[RUNS / 2].as_secs_f64() * 1e3, lines)
}

/// The median of `RUNS` runs of `f`, in milliseconds.
fn median_of(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2].as_secs_f64() * 1e3
}

fn main() {
    let one = pressroom_testkit::workspace_of_articles(1);
    let many = pressroom_testkit::workspace_of_articles(10_000);
    let (floor, _) = doc_list(one.path());
    let (ms, lines) = doc_list(many.path());
    let path = workspace::database_path(many.path());
    let open = median_of(|| drop(Store::open(&path).unwrap()));
    let store = Store::open(&path).unwrap();
    let list = median_of(|| assert_eq!(store.list().unwrap().len(), 10_000));
    println!("of which Store::open {open:.2} ms, Store::list {list:.2} ms (in process)");
    println!("pressroom doc list, 1 document:       median {floor:>7.2} ms");
    println!(
        "pressroom doc list, 10 000 documents:  median {ms:>7.2} ms ({lines} lines; goal <= 15 ms)"
    );
}
