//! Scheduled publishing with a real `pressroom serve` and `pressroom daemon`: a
//! schedule due in 3 s is published by the running daemon; one that fell due while no
//! daemon ran is published when one starts, and said to be late; a cancelled one is
//! never published.

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::{ok, pressroom, run, ApiProcess, TOKEN_VAR};

fn in_secs(secs: u64) -> String {
    let at = time::OffsetDateTime::now_utc() + Duration::from_secs(secs);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn daemon(ws: &std::path::Path) -> Child {
    pressroom(ws)
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The schedules as `schedule list --json` gives them.
fn schedules(ws: &std::path::Path) -> Vec<serde_json::Value> {
    let listed: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "schedule", "list"])).unwrap();
    listed["schedules"].as_array().unwrap().clone()
}

/// `slug`'s latest schedule once it is no longer pending (waiting at most 30 s).
fn settled(ws: &std::path::Path, slug: &str) -> serde_json::Value {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(s) = schedules(ws)
            .into_iter()
            .find(|s| s["slug"] == slug && s["state"] != "pending")
        {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{slug} was not carried out: {:?}", schedules(ws));
}

/// The revision the content API serves for `slug`, if it has it.
fn served(api: &ApiProcess, slug: &str) -> Option<String> {
    let out = std::process::Command::new("curl")
        .args(["-sf", "--max-time", "5"])
        .arg(format!(
            "{}/v1/documents/{slug}",
            api.url.trim_end_matches('/')
        ))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    doc["revision"].as_str().map(str::to_owned)
}

#[test]
fn the_daemon_publishes_on_time_catches_up_when_late_and_skips_cancelled() {
    let server_dir = tempfile::tempdir().unwrap();
    let api = ApiProcess::start(server_dir.path());
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    ok(
        ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    for slug in ["morning", "missed", "dropped"] {
        ok(ws, &["doc", "new", slug, "--title", slug]);
    }

    // Refused: a time in the past, or not a time at all.
    let past = run(ws, &["publish", "morning", "--at", "2020-01-01T08:00"]);
    assert_eq!(past.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&past.stderr).contains("in the past"));
    let garbled = run(ws, &["publish", "morning", "--at", "tomorrow"]);
    assert!(String::from_utf8_lossy(&garbled.stderr).contains("not a time"));

    // Due in 3 s, set while a daemon runs (and sleeps: nothing else to do): published
    // then, and not before.
    let mut worker = daemon(ws);
    std::thread::sleep(Duration::from_millis(1500));
    let due = in_secs(3);
    let set = ok(ws, &["publish", "morning", "--at", &due]);
    assert!(set.contains("scheduled"), "{set}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(served(&api, "morning"), None, "not before its time");
    let done = settled(ws, "morning");
    assert_eq!(done["state"], "done", "{done}");
    let late = done["late_ms"].as_i64().unwrap();
    assert!((0..2000).contains(&late), "on time: {late} ms after");
    let doc: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "doc", "show", "morning"])).unwrap();
    assert_eq!(
        served(&api, "morning"),
        doc["revision"].as_str().map(str::to_owned)
    );

    // Due while no daemon runs: published when one starts, and said to be late.
    worker.kill().unwrap();
    worker.wait().unwrap();
    ok(ws, &["publish", "missed", "--at", &in_secs(1)]);
    ok(ws, &["publish", "dropped", "--at", &in_secs(2)]);
    let cancelled = ok(ws, &["schedule", "cancel", "dropped"]);
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(served(&api, "missed"), None);
    let mut worker = daemon(ws);
    let done = settled(ws, "missed");
    assert_eq!(done["state"], "done", "{done}");
    assert!(done["late_ms"].as_i64().unwrap() >= 2000, "{done}");
    assert!(served(&api, "missed").is_some());
    let listed = ok(ws, &["schedule", "list"]);
    assert!(listed.contains("s late"), "{listed}");
    // The cancelled one never goes out.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(served(&api, "dropped"), None);
    assert!(schedules(ws)
        .iter()
        .any(|s| s["slug"] == "dropped" && s["state"] == "cancelled"));

    // The content API down at its time: kept, to be tried again, the reason said;
    // once it is back, the schedule goes out.
    ok(ws, &["doc", "new", "offline", "--title", "Offline"]);
    ok(
        ws,
        &[
            "api",
            "set",
            "--url",
            "http://127.0.0.1:9/",
            "--token-env",
            TOKEN_VAR,
        ],
    );
    ok(ws, &["publish", "offline", "--at", &in_secs(1)]);
    let start = Instant::now();
    let tried = loop {
        let s = schedules(ws)
            .into_iter()
            .find(|s| s["slug"] == "offline")
            .unwrap();
        if s["attempts"] == 1 || start.elapsed() > Duration::from_secs(30) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        (&tried["state"], &tried["attempts"]),
        (&"pending".into(), &1.into()),
        "{tried}"
    );
    assert!(
        tried["error"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{tried}"
    );
    assert!(ok(ws, &["schedule", "list"]).contains("to be tried again"));
    ok(
        ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    ok(ws, &["publish", "offline", "--at", &in_secs(1)]);
    assert_eq!(settled(ws, "offline")["state"], "done");
    assert!(served(&api, "offline").is_some());
    worker.kill().unwrap();
    worker.wait().unwrap();
}
