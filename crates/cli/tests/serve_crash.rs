//! The content API process killed with SIGKILL in the middle of a write burst, then
//! restarted on the same database: every publish it acknowledged is there.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use support::{ApiProcess, TOKEN};

#[test]
fn every_acknowledged_publish_survives_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut api = ApiProcess::start(dir.path());
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut writers = Vec::new();
        for w in 0..8 {
            let (http, url, acked, count) = (http.clone(), api.url.clone(), acked.clone(), count.clone());
            writers.push(tokio::spawn(async move {
                // Bounded: at most 1000 writes each; the kill ends it much sooner.
                for i in 0..1000 {
                    let slug = format!("burst-{w}-{i}");
                    let body = serde_json::json!({"title": slug, "markdown": format!("body {w} {i}\n").repeat(50)});
                    let Ok(response) = http
                        .put(format!("{url}/v1/documents/{slug}"))
                        .bearer_auth(TOKEN)
                        .json(&body)
                        .send()
                        .await
                    else {
                        return; // the server is gone
                    };
                    if response.status() != reqwest::StatusCode::CREATED {
                        return;
                    }
                    let Ok(doc) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    acked.lock().unwrap().push((slug, doc["revision"].as_str().unwrap().to_owned()));
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        // Kill in the middle of the burst.
        while count.load(Ordering::SeqCst) < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        api.kill_hard();
        for w in writers {
            w.await.unwrap();
        }
    });
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    let api = ApiProcess::start(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        for (slug, revision) in &acked {
            let response = http
                .get(format!("{}/v1/documents/{slug}", api.url))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), reqwest::StatusCode::OK, "{slug} lost");
            let doc: serde_json::Value = response.json().await.unwrap();
            assert_eq!(doc["revision"], revision.as_str(), "{slug}");
        }
    });
    drop(api);
    let store =
        pressroom_core::store::PublishedStore::open(dir.path().join("content-api.db")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}
