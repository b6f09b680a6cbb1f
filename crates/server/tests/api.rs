//! The reference content API over a real socket on 127.0.0.1:0, with a real SQLite
//! file: the whole contract (`support/contract.rs`), and what is SQLite's own.

mod support;

use std::path::PathBuf;

use pressroom_core::store::PublishedStore;
use pressroom_server::{Config, Database, Server, DEFAULT_BODY_LIMIT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::contract::{doc, Api, Deployment, TOKEN};

/// The SQLite file behind one instance, inspected beside it (WAL lets it be read
/// while the server runs).
struct SqliteFile {
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Deployment for SqliteFile {
    fn history_len(&self, slug: &str) -> usize {
        PublishedStore::open(&self.db)
            .unwrap()
            .history_len(slug)
            .unwrap()
    }

    fn documents(&self) -> usize {
        PublishedStore::open(&self.db)
            .unwrap()
            .list(None)
            .unwrap()
            .len()
    }

    fn check_integrity(&self) {
        let store = PublishedStore::open(&self.db).unwrap();
        assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    }
}

fn sqlite(body_limit: usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = Api> + Send>> {
    Box::pin(async move {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("api.db");
        let server = support::start_with_token(&db, TOKEN, body_limit).await;
        Api {
            base: server.base.clone(),
            http: reqwest::Client::new(),
            deployment: Box::new(SqliteFile { db, _dir: dir }),
            stop: Box::pin(server.stop()),
        }
    })
}

crate::contract_suite!(sqlite);

#[tokio::test]
async fn a_generated_token_is_shown_once_and_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.db");
    let open = || async {
        Server::open(Config {
            database: Database::Sqlite(db.clone()),
            token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            limits: Default::default(),
            public_url: None,
        })
        .await
        .unwrap()
    };
    let first = open().await;
    let token = first
        .generated_token()
        .expect("generated on first start")
        .to_owned();
    assert!(token.starts_with("prt_") && token.len() > 40);
    drop(first);
    let second = open().await;
    assert_eq!(second.generated_token(), None, "shown once");
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is not in the database"
    );

    let running = support::start(second).await;
    let base = running.base.clone();
    let http = reqwest::Client::new();
    let ok = http
        .put(format!("{base}/v1/documents/t"))
        .bearer_auth(&token)
        .json(&doc("T", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    running.stop().await;
}

#[tokio::test]
async fn a_configured_public_url_wins_and_a_bad_one_is_refused() {
    let a = "a1".repeat(32);
    let dir = tempfile::tempdir().unwrap();
    // A configured public URL wins over what the writer sent.
    let server = Server::open(Config {
        database: Database::Sqlite(dir.path().join("public.db")),
        token: Some(TOKEN.to_owned()),
        body_limit: DEFAULT_BODY_LIMIT,
        limits: Default::default(),
        public_url: Some("https://api.example.org/content/".into()),
    })
    .await
    .unwrap();
    let running = support::start(server).await;
    let http = reqwest::Client::new();
    let doc: Value = http
        .put(format!("{}/v1/documents/pictures", running.base))
        .bearer_auth(TOKEN)
        .header("x-forwarded-host", "elsewhere.example")
        .json(
            &json!({"title": "P", "markdown": format!("![x](asset:{a})"),
                      "front_matter": {"cover": "https://img.example/c.jpg"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["html"].as_str().unwrap().contains(&format!(
        "src=\"https://api.example.org/content/v1/assets/{a}\""
    )));
    assert_eq!(doc["cover"], json!("https://img.example/c.jpg"));
    running.stop().await;
    for bad in ["ftp://x", "https://x/?q=1", "https://x/\"y"] {
        let refused = Server::open(Config {
            database: Database::Sqlite(dir.path().join("refused.db")),
            token: Some(TOKEN.to_owned()),
            body_limit: DEFAULT_BODY_LIMIT,
            limits: Default::default(),
            public_url: Some(bad.into()),
        })
        .await;
        assert!(refused.is_err(), "{bad}");
    }
}
