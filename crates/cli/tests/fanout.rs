//! The publishing process killed with SIGKILL in the middle of a fan-out to 50
//! loopback receivers; `pressroom deliver` afterwards. Every receiver ends up with its
//! webhook, any duplicate carries the same webhook-id, and no secret is ever written
//! to the workspace database or the logs.

mod support;

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use support::{ok, pressroom, ApiProcess, TOKEN_VAR};

const RECEIVERS: usize = 50;

/// Receiver i answers 200 after i × 25 ms, so a kill lands between answers.
fn start_receivers(
    rt: &tokio::runtime::Runtime,
    seen: Arc<Mutex<HashMap<usize, Vec<String>>>>,
) -> Vec<String> {
    rt.block_on(async {
        let mut urls = Vec::new();
        for i in 0..RECEIVERS {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            urls.push(format!(
                "http://{}/api/revalidate",
                listener.local_addr().unwrap()
            ));
            let seen = seen.clone();
            let router = axum::Router::new().fallback(move |headers: HeaderMap| {
                let seen = seen.clone();
                async move {
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    seen.lock().unwrap().entry(i).or_default().push(id);
                    tokio::time::sleep(Duration::from_millis(25 * i as u64)).await;
                    StatusCode::OK
                }
            });
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        }
        urls
    })
}

#[test]
fn kill_9_mid_fan_out_then_resume_delivers_everything_once_per_id() {
    let api_dir = tempfile::tempdir().unwrap();
    let api = ApiProcess::start(api_dir.path());
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    let secrets_file = ws.join("secrets.json");
    let with_secrets = |args: &[&str]| {
        let out = pressroom(ws)
            .args(args)
            .env("PRESSROOM_SECRETS_FILE", &secrets_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };

    let rt = tokio::runtime::Runtime::new().unwrap();
    let seen: Arc<Mutex<HashMap<usize, Vec<String>>>> = Arc::default();
    let urls = start_receivers(&rt, seen.clone());
    let mut secrets = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let out = with_secrets(&[
            "--json",
            "site",
            "add",
            &format!("site-{i:02}"),
            "--webhook-url",
            url,
            "--page-url",
            "http://127.0.0.1:9/posts/{slug}",
        ]);
        let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        secrets.push(added["new_secret"].as_str().unwrap().to_owned());
    }
    ok(
        ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    ok(ws, &["doc", "new", "hello", "--title", "Hello"]);

    let mut publisher = pressroom(ws)
        .args(["publish", "hello"])
        .env("PRESSROOM_SECRETS_FILE", &secrets_file)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        // A file, not a pipe: trace logs would fill a pipe nobody reads until the kill.
        .stderr(std::fs::File::create(ws.join("publish.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < RECEIVERS {
        if Instant::now() > deadline {
            let _ = publisher.kill();
            panic!(
                "the fan-out reached only {} receivers",
                seen.lock().unwrap().len()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Every receiver has its request; about half have answered. Kill now.
    std::thread::sleep(Duration::from_millis(600));
    publisher.kill().unwrap();
    publisher.wait().unwrap();
    let mut logs = std::fs::read_to_string(ws.join("publish.log")).unwrap();
    assert!(logs.contains("TRACE"), "the logs were captured");

    let before: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "deliveries", "--limit", "100"])).unwrap();
    let delivered_before = before["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "delivered")
        .count();
    assert!(
        delivered_before < RECEIVERS,
        "the kill came too late to test anything ({delivered_before} delivered)"
    );

    let resume = pressroom(ws)
        .args(["deliver", "--wait", "20"])
        .env("PRESSROOM_SECRETS_FILE", &secrets_file)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(
        resume.status.success(),
        "{}",
        String::from_utf8_lossy(&resume.stderr)
    );
    logs.push_str(&String::from_utf8_lossy(&resume.stderr));

    let after: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "deliveries", "--limit", "100"])).unwrap();
    let deliveries = after["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), RECEIVERS);
    assert!(
        deliveries.iter().all(|d| d["state"] == "delivered"),
        "{after:#}"
    );

    let seen = seen.lock().unwrap();
    let mut duplicates = 0;
    for i in 0..RECEIVERS {
        let ids = &seen[&i];
        assert!(!ids.is_empty(), "receiver {i} never got its webhook");
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "receiver {i} saw different ids {ids:?}"
        );
        duplicates += ids.len() - 1;
    }
    assert!(
        duplicates > 0,
        "the resume re-sent what was in flight at the kill"
    );
    eprintln!("{delivered_before} recorded before the kill, {duplicates} re-sent with the same id");

    // No secret in the workspace database, its WAL, or the logs (at trace level).
    let mut stored = Vec::new();
    for name in ["workspace.db", "workspace.db-wal"] {
        if let Ok(bytes) = std::fs::read(ws.join(name)) {
            stored.extend(bytes);
        }
    }
    assert!(!stored.is_empty());
    for secret in &secrets {
        let key = secret.trim_start_matches("whsec_");
        for (what, haystack) in [("database", &stored), ("logs", &logs.clone().into_bytes())] {
            assert!(
                !haystack.windows(key.len()).any(|w| w == key.as_bytes()),
                "a secret is in the {what}"
            );
        }
    }
    rt.shutdown_background();
}
