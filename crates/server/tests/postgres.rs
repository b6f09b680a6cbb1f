//! The content API on a real PostgreSQL (Debian's, a private cluster on a free loopback
//! port) as several instances: the whole contract through nginx in front of three,
//! exactly one winner of 4 × 50 concurrent publishes from one base, a write on one
//! instance read on another, PostgreSQL restarted in the middle of a burst, and
//! migrations raced by instances starting together.

mod support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use pressroom_server::{Config, Database, Server, ServerError, DEFAULT_BODY_LIMIT};
use pressroom_testkit::{Nginx, Postgres};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::contract::{doc, Api, Deployment, TOKEN};

/// One cluster for the tests that run at the same time; stopped when the last of them
/// lets go of it.
fn cluster() -> Arc<Postgres> {
    static SHARED: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pg) = shared.upgrade() {
        return pg;
    }
    let pg = Arc::new(Postgres::start());
    *shared = Arc::downgrade(&pg);
    pg
}

/// A database of its own for each test.
fn fresh_database(pg: &Postgres) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    pg.create_database(&name);
    name
}

async fn open(url: &str, body_limit: usize) -> Result<Server, ServerError> {
    Server::open(Config {
        database: Database::Postgres(url.to_owned()),
        token: Some(TOKEN.to_owned()),
        body_limit,
        limits: Default::default(),
        public_url: None,
    })
    .await
}

/// `n` instances on one database, started together.
async fn instances(url: &str, n: usize, body_limit: usize) -> Vec<support::Running> {
    let servers = futures_join(
        (0..n)
            .map(|_| {
                let url = url.to_owned();
                tokio::spawn(async move { open(&url, body_limit).await.unwrap() })
            })
            .collect(),
    )
    .await;
    let mut running = Vec::new();
    for server in servers {
        running.push(support::start(server).await);
    }
    running
}

async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// The database behind the instances, looked at with psql.
struct Shared {
    pg: Arc<Postgres>,
    database: String,
}

impl Shared {
    fn count(&self, sql: &str) -> usize {
        self.pg.psql(&self.database, sql).parse().unwrap()
    }
}

impl Deployment for Shared {
    fn history_len(&self, slug: &str) -> usize {
        self.count(&format!(
            "SELECT count(*) FROM publish_log WHERE slug = '{slug}'"
        ))
    }

    fn documents(&self) -> usize {
        self.count("SELECT count(*) FROM documents")
    }

    fn check_integrity(&self) {
        // Every document's last change is its revision, and no key answers twice.
        assert_eq!(
            self.count(
                "SELECT count(*) FROM documents d WHERE d.revision IS DISTINCT FROM
                 (SELECT revision FROM publish_log l WHERE l.slug = d.slug ORDER BY id DESC LIMIT 1)"
            ),
            0
        );
    }
}

/// Three instances on one fresh database, nginx round-robin in front.
fn behind_nginx(body_limit: usize) -> Pin<Box<dyn std::future::Future<Output = Api> + Send>> {
    Box::pin(async move {
        let pg = cluster();
        let database = fresh_database(&pg);
        let running = instances(&pg.url(&database), 3, body_limit).await;
        let bases: Vec<String> = running.iter().map(|r| r.base.clone()).collect();
        let dir = tempfile::tempdir().unwrap();
        let nginx = Nginx::start(&dir.path().join("nginx"), &bases, false);
        Api {
            base: nginx.origin.clone(),
            http: reqwest::Client::new(),
            deployment: Box::new(Shared { pg, database }),
            stop: Box::pin(async move {
                drop(nginx);
                for r in running {
                    r.stop().await;
                }
                drop(dir);
            }),
        }
    })
}

crate::contract_suite!(behind_nginx);

async fn put(http: &reqwest::Client, base: &str, slug: &str, body: &Value) -> reqwest::Response {
    http.put(format!("{base}/v1/documents/{slug}"))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_fifty_publishes_from_one_base_exactly_one_wins() {
    let pg = cluster();
    let database = fresh_database(&pg);
    let running = instances(&pg.url(&database), 4, DEFAULT_BODY_LIMIT).await;
    let http = reqwest::Client::new();
    let base: Value = put(
        &http,
        &running[0].base,
        "contested",
        &doc("Contested", "base"),
    )
    .await
    .json()
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (http, origin) = (http.clone(), running[i % 4].base.clone());
        let mut body = doc("Contested", &format!("edit {i}"));
        body["base_revision"] = base["revision"].clone();
        tasks.push(tokio::spawn(async move {
            let r = put(&http, &origin, "contested", &body).await;
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    let results = futures_join(tasks).await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (status, body) in &results {
        if *status != StatusCode::OK {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert_eq!(body["error"]["current_revision"], winners[0]["revision"]);
        }
    }
    // Every instance serves the winner, and the history has base + winner.
    for r in &running {
        let served: Value = http
            .get(format!("{}/v1/documents/contested", r.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(&served, winners[0]);
    }
    let shared = Shared { pg, database };
    assert_eq!(shared.history_len("contested"), 2);
    // Two first publishes (create only) on two instances: one creates, one conflicts.
    let first = |origin: String| {
        let http = http.clone();
        tokio::spawn(async move {
            http.put(format!("{origin}/v1/documents/brand-new"))
                .bearer_auth(TOKEN)
                .header("if-none-match", "*")
                .json(&doc("New", &format!("from {origin}")))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let mut statuses = futures_join(vec![
        first(running[1].base.clone()),
        first(running[2].base.clone()),
    ])
    .await;
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    for r in running {
        r.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_on_one_instance_is_read_at_once_on_another() {
    let pg = cluster();
    let database = fresh_database(&pg);
    let running = instances(&pg.url(&database), 2, DEFAULT_BODY_LIMIT).await;
    let (a, b) = (&running[0].base, &running[1].base);
    let http = reqwest::Client::new();
    let get = |origin: &str, etag: Option<&str>| {
        let mut request = http.get(format!("{origin}/v1/documents/shared"));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    put(&http, a, "shared", &doc("Shared", "v0")).await;
    for i in 1..=100 {
        // B has the last revision cached; A writes a new one; B must serve it.
        let before = get(b, None).await.unwrap();
        let old_etag = before.headers()["etag"].to_str().unwrap().to_owned();
        let written: Value = put(&http, a, "shared", &doc("Shared", &format!("v{i}")))
            .await
            .json()
            .await
            .unwrap();
        let after = get(b, Some(&old_etag)).await.unwrap();
        assert_eq!(
            after.status(),
            StatusCode::OK,
            "round {i}: B answered 304 with A's write committed"
        );
        let after: Value = after.json().await.unwrap();
        assert_eq!(after["revision"], written["revision"], "round {i}");
    }
    // A row changed with no notification heard, its revision unchanged (content that
    // came back, a listener that missed it): B's cached copy is not served.
    let cached: Value = get(b, None).await.unwrap().json().await.unwrap();
    pg.psql(
        &database,
        "UPDATE documents SET title = 'Written behind', updated_at = '2099-01-01T00:00:00Z' \
         WHERE slug = 'shared'",
    );
    let now: Value = get(b, None).await.unwrap().json().await.unwrap();
    assert_eq!(now["revision"], cached["revision"]);
    assert_eq!(now["title"], "Written behind", "B served its cached copy");
    // An unpublish on B is a 404 on A at once, and the id of each request is answered.
    let gone = http
        .delete(format!("{b}/v1/documents/shared"))
        .bearer_auth(TOKEN)
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(gone.headers()["x-request-id"], "trace-me-42");
    assert_eq!(get(a, None).await.unwrap().status(), StatusCode::NOT_FOUND);
    for r in running {
        r.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_mid_burst_loses_no_acknowledged_publish() {
    // A cluster of its own: this test stops it.
    let pg = Arc::new(Postgres::start());
    let database = fresh_database(&pg);
    let running = instances(&pg.url(&database), 3, DEFAULT_BODY_LIMIT).await;
    let origins: Vec<String> = running.iter().map(|r| r.base.clone()).collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let unavailable = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(60);
    // 6 writers, 40 publishes each, each retried with its Idempotency-Key until it is
    // acknowledged; meanwhile PostgreSQL goes down for 2 s and comes back.
    let mut writers = Vec::new();
    for w in 0..6 {
        let (http, origins, unavailable) = (http.clone(), origins.clone(), unavailable.clone());
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..40 {
                let slug = format!("w{w}-{i}");
                let body = doc("Burst", &format!("writer {w} publish {i}"));
                let mut attempt = 0;
                loop {
                    assert!(Instant::now() < deadline, "{slug} never acknowledged");
                    let origin = &origins[(i + attempt) % origins.len()];
                    attempt += 1;
                    let sent = http
                        .put(format!("{origin}/v1/documents/{slug}"))
                        .bearer_auth(TOKEN)
                        .header("idempotency-key", format!("key-{slug}"))
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            let doc: Value = r.json().await.unwrap();
                            acknowledged.push((slug, doc["revision"].as_str().unwrap().to_owned()));
                            break;
                        }
                        Ok(r) => {
                            let status = r.status();
                            let body: Value = r.json().await.unwrap();
                            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                            assert_eq!(body["error"]["code"], "unavailable");
                            unavailable.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("{slug}: {e}"),
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let restart = {
        let pg = pg.clone();
        tokio::task::spawn_blocking(move || {
            pg.stop_server();
            std::thread::sleep(Duration::from_secs(2));
            pg.start_server();
        })
    };
    // While it is down, health says so.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let health = http
        .get(format!("{}/v1/health", origins[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["ok"], false);
    restart.await.unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        unavailable.load(Ordering::Relaxed) > 0,
        "the outage was seen as 503 unavailable"
    );
    assert_eq!(acknowledged.len(), 240);
    let shared = Shared {
        pg: pg.clone(),
        database: database.clone(),
    };
    let stored = pg.psql(&database, "SELECT slug || ' ' || revision FROM documents");
    for (slug, revision) in &acknowledged {
        assert!(
            stored.lines().any(|l| l == format!("{slug} {revision}")),
            "{slug} was acknowledged but is not stored"
        );
        assert_eq!(shared.history_len(slug), 1, "{slug} published once");
    }
    // Every instance recovered by itself: healthy (its listener back too), and it
    // sees a write made on another.
    for origin in &origins {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let r = http
                .get(format!("{origin}/v1/health"))
                .send()
                .await
                .unwrap();
            if r.status() == StatusCode::OK {
                break;
            }
            assert!(Instant::now() < deadline, "{origin} did not recover");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    put(&http, &origins[0], "w0-0", &doc("After", "the restart")).await;
    for origin in &origins {
        let served: Value = http
            .get(format!("{origin}/v1/documents/w0-0"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served["title"], "After");
    }
    for r in running {
        r.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_raced_by_three_starting_instances_apply_once() {
    let pg = cluster();
    let database = fresh_database(&pg);
    // A lock timeout in the URL is for requests: an instance still waits for another's
    // migration, however long it takes.
    let url = format!("{}?options=-c%20lock_timeout%3D1", pg.url(&database));
    // Three instances start at the same moment; none generated a token before.
    let opened = futures_join(
        (0..3)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    Server::open(Config {
                        database: Database::Postgres(url),
                        token: None,
                        body_limit: DEFAULT_BODY_LIMIT,
                        limits: Default::default(),
                        public_url: None,
                    })
                    .await
                    .unwrap()
                })
            })
            .collect(),
    )
    .await;
    assert_eq!(
        pg.psql(
            &database,
            "SELECT string_agg(version::text, ',') FROM pressroom_migrations"
        ),
        "1",
        "each migration applied once"
    );
    // One of them generated the token and shows it; the others use the same one.
    let tokens: Vec<String> = opened
        .iter()
        .filter_map(|s| s.generated_token().map(str::to_owned))
        .collect();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let mut running = Vec::new();
    for server in opened {
        running.push(support::start(server).await);
    }
    let http = reqwest::Client::new();
    for (i, r) in running.iter().enumerate() {
        let status = http
            .put(format!("{}/v1/documents/by-{i}", r.base))
            .bearer_auth(&tokens[0])
            .json(&doc("By", "x"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::CREATED);
    }
    for r in running {
        r.stop().await;
    }
    // A database a newer Pressroom migrated is refused, saying so.
    pg.psql(
        &database,
        "INSERT INTO pressroom_migrations (version) VALUES (99)",
    );
    let refused = open(&url, DEFAULT_BODY_LIMIT).await.err().expect("refused");
    assert!(refused.to_string().contains("newer Pressroom"), "{refused}");
    // And a database that is not there is a clear error, not a hang.
    let missing = open(&pg.url("no_such_database"), DEFAULT_BODY_LIMIT)
        .await
        .err()
        .expect("refused");
    assert!(
        missing.to_string().contains("no_such_database"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_count_requests_publishes_and_conflicts() {
    let pg = cluster();
    let database = fresh_database(&pg);
    let running = instances(&pg.url(&database), 1, DEFAULT_BODY_LIMIT).await;
    let base = &running[0].base;
    let http = reqwest::Client::new();
    let v1: Value = put(&http, base, "m", &doc("M", "1"))
        .await
        .json()
        .await
        .unwrap();
    let mut stale = doc("M", "2");
    stale["base_revision"] = json!("r_0000000000000000");
    assert_eq!(
        put(&http, base, "m", &stale).await.status(),
        StatusCode::CONFLICT
    );
    http.get(format!("{base}/v1/documents/m"))
        .send()
        .await
        .unwrap();
    let health = get_json(&http, &format!("{base}/v1/health")).await;
    assert_eq!(
        health,
        json!({"ok": true, "version": env!("CARGO_PKG_VERSION"), "database": "postgres"})
    );
    // A made-up method is counted as "other", never as a series of its own.
    http.request(
        reqwest::Method::from_bytes(b"BREW").unwrap(),
        format!("{base}/v1/documents/m"),
    )
    .send()
    .await
    .unwrap();
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "pressroom_api_publishes_total{outcome=\"created\"} 1",
        "pressroom_api_publishes_total{outcome=\"conflict\"} 1",
        "pressroom_api_conflicts_total 1",
        "pressroom_api_database_info{backend=\"postgres\"} 1",
        "pressroom_api_requests_total{method=\"GET\",route=\"/v1/documents/{slug}\",status=\"200\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(text.contains("pressroom_api_request_duration_seconds_bucket{"));
    assert!(!text.contains("BREW"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(v1["revision"].is_string());
    for r in running {
        r.stop().await;
    }
}

/// A transaction stuck elsewhere holding a lock the API needs (an operator's forgotten
/// `LOCK TABLE`, a hung client): the API's statements give up at the lock timeout —
/// 10 s by default, or what the URL's `options` say — and answer 503 in the error
/// shape, rather than hanging every request; once the lock goes, the same publish
/// succeeds, and nothing half-written is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_held_elsewhere_answers_503_in_time_and_loses_nothing() {
    let pg = cluster();
    let database = fresh_database(&pg);
    let url = format!("{}?options=-c%20lock_timeout%3D400", pg.url(&database));
    let mut running = instances(&url, 1, DEFAULT_BODY_LIMIT).await;
    running.extend(instances(&pg.url(&database), 1, DEFAULT_BODY_LIMIT).await);
    let (base, by_default) = (&running[0].base, &running[1].base);
    let http = reqwest::Client::new();
    assert_eq!(
        put(&http, base, "locked", &doc("Locked", "v0"))
            .await
            .status(),
        StatusCode::CREATED
    );

    let (holder, connection) = tokio_postgres::connect(&pg.url(&database), tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    holder
        .batch_execute("BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // A publish behind the lock, through `origin`: its answer and how long it took.
    let publish_behind = |origin: &str| {
        let (http, origin) = (http.clone(), origin.to_owned());
        async move {
            let started = Instant::now();
            let answer = tokio::time::timeout(
                Duration::from_secs(30),
                put(&http, &origin, "locked", &doc("Locked", "v1")),
            )
            .await
            .expect("the publish hung behind the lock");
            (answer, started.elapsed())
        }
    };
    let (answer, waited) = publish_behind(base).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: Value = answer.json().await.unwrap();
    assert_eq!(error["error"]["code"], "unavailable", "{error}");
    assert!(
        error["error"]["message"].as_str().unwrap().contains("busy"),
        "{error}"
    );
    assert!(
        (Duration::from_millis(400)..Duration::from_secs(5)).contains(&waited),
        "{waited:?}"
    );
    // A read waits on the same lock, and gives up the same way.
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        http.get(format!("{base}/v1/documents/locked")).send(),
    )
    .await
    .expect("the read hung behind the lock")
    .unwrap();
    assert_eq!(read.status(), StatusCode::SERVICE_UNAVAILABLE);
    // With no options, the default lock timeout.
    let (answer, waited) = publish_behind(by_default).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        (Duration::from_secs(9)..Duration::from_secs(20)).contains(&waited),
        "{waited:?}"
    );

    holder.batch_execute("ROLLBACK").await.unwrap();
    drop(holder);
    let _ = driver.await;
    let v0 = get_json(&http, &format!("{base}/v1/documents/locked")).await;
    assert_eq!(
        v0["markdown"], "v0",
        "the refused publish left something behind"
    );
    let retried = put(&http, base, "locked", &doc("Locked", "v1")).await;
    assert_eq!(retried.status(), StatusCode::OK);
    for r in running {
        r.stop().await;
    }
}
