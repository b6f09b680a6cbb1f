//! The content API against hostile and careless clients, over real sockets: a write is
//! authenticated before its body is read; slow headers, slow bodies and idle
//! connections are cut off; connections are limited; shutdown has a deadline; bad paths
//! and queries answer in the error shape; first publishes are create-only; the
//! Idempotency-Key is bounded; `Bearer` is case-insensitive.

mod support;

use std::time::{Duration, Instant};

use pressroom_server::{Config, Database, Limits, Server, DEFAULT_BODY_LIMIT};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "prt_test_token_that_is_long_enough_0123456789";

async fn start(dir: &tempfile::TempDir, limits: Limits) -> support::Running {
    let server = Server::open(Config {
        database: Database::Sqlite(dir.path().join("api.db")),
        token: Some(TOKEN.to_owned()),
        body_limit: DEFAULT_BODY_LIMIT,
        limits,
        public_url: None,
    })
    .await
    .unwrap();
    support::start(server).await
}

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Everything the server sends until it closes the connection (or `within` passes).
async fn read_all(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into(), false),
        }
    }
}

fn doc(title: &str) -> Value {
    json!({"title": title, "markdown": format!("# {title}"), "tags": [], "front_matter": {}})
}

#[tokio::test]
async fn an_unauthenticated_write_is_refused_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(&dir, Limits::default()).await;
    let mut stream = TcpStream::connect(addr(&api.base)).await.unwrap();
    // Claims a 1 MB body and sends 10 bytes of it: a server that read the body first
    // would wait for the rest.
    stream
        .write_all(
            b"PUT /v1/documents/x HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\n\
              content-length: 1000000\r\n\r\n{\"title\":",
        )
        .await
        .unwrap();
    let (answer, _) = read_all(&mut stream, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("\"unauthorized\""), "{answer}");
    api.stop().await;
}

#[tokio::test]
async fn bearer_is_case_insensitive_and_other_schemes_are_not_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(&dir, Limits::default()).await;
    let http = reqwest::Client::new();
    for (i, scheme) in ["Bearer", "bearer", "BEARER"].iter().enumerate() {
        let response = http
            .put(format!("{}/v1/documents/case-{i}", api.base))
            .header("authorization", format!("{scheme} {TOKEN}"))
            .json(&doc("Case"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{scheme}");
    }
    for bad in [
        format!("Basic {TOKEN}"),
        format!("Bearer{TOKEN}"),
        TOKEN.to_owned(),
    ] {
        let response = http
            .put(format!("{}/v1/documents/nope", api.base))
            .header("authorization", bad.clone())
            .json(&doc("Nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{bad}");
    }
    api.stop().await;
}

#[tokio::test]
async fn bad_paths_and_queries_answer_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(&dir, Limits::default()).await;
    let http = reqwest::Client::new();
    for (path, code) in [
        ("/v1/documents/%FF%FE", "invalid_path"),
        ("/v1/documents?tag=a&tag=b", "invalid_query"),
        ("/v1/documents/Not_A_Slug", "invalid_slug"),
    ] {
        let response = http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    }
    api.stop().await;
}

#[tokio::test]
async fn of_concurrent_create_only_first_publishes_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(&dir, Limits::default()).await;
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (http, url) = (http.clone(), format!("{}/v1/documents/first", api.base));
        tasks.push(tokio::spawn(async move {
            let response = http
                .put(url)
                .bearer_auth(TOKEN)
                .header("if-none-match", "*")
                .json(&doc(&format!("Writer {i}")))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let mut created = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created.push(body["revision"].as_str().unwrap().to_owned()),
            409 => {
                assert_eq!(body["error"]["code"], "conflict");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one first publish wins");
    assert_eq!(conflicts, 11);
    let stored: Value = http
        .get(format!("{}/v1/documents/first", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["revision"], created[0].as_str());
    api.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(&dir, Limits::default()).await;
    let http = reqwest::Client::new();
    for (key, status) in [("k".repeat(255), 201), ("k".repeat(256), 400)] {
        let response = http
            .put(format!("{}/v1/documents/key-{}", api.base, key.len()))
            .bearer_auth(TOKEN)
            .header("idempotency-key", key.clone())
            .json(&doc("Key"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{} characters", key.len());
    }
    api.stop().await;
}

#[tokio::test]
async fn slow_headers_slow_bodies_and_idle_connections_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(700),
        ..Limits::default()
    };
    let api = start(&dir, limits).await;

    // Headers that never finish: closed.
    let mut slow = TcpStream::connect(addr(&api.base)).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nhost: a\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_all(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a slow header was cut off");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A body that stops coming: 408 in the error shape.
    let mut stalled = TcpStream::connect(addr(&api.base)).await.unwrap();
    stalled
        .write_all(
            format!(
                "PUT /v1/documents/x HTTP/1.1\r\nhost: a\r\nauthorization: Bearer {TOKEN}\r\n\
                 content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"ti"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let (answer, _) = read_all(&mut stalled, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"timeout\""), "{answer}");

    // A kept-alive connection left idle after a request: closed.
    let mut idle = TcpStream::connect(addr(&api.base)).await.unwrap();
    idle.write_all(b"GET /v1/health HTTP/1.1\r\nhost: a\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (answer, closed) = read_all(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "the idle connection was closed");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    api.stop().await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_and_are_served_when_one_closes() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_connections: 2,
        header_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let api = start(&dir, limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr(&api.base)).await.unwrap();
        s.write_all(b"GET /v1/health HTTP/1.1\r\nhost: a\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let mut third = TcpStream::connect(addr(&api.base)).await.unwrap();
    third
        .write_all(b"GET /v1/health HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (early, _) = read_all(&mut third, Duration::from_millis(400)).await;
    assert!(early.is_empty(), "served over the limit: {early}");
    drop(held.pop());
    let (answer, _) = read_all(&mut third, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    api.stop().await;
}

#[tokio::test]
async fn shutdown_waits_for_requests_in_flight_only_so_long() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        shutdown_grace: Duration::from_millis(500),
        request_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let api = start(&dir, limits).await;
    let mut stalled = TcpStream::connect(addr(&api.base)).await.unwrap();
    stalled
        .write_all(
            format!(
                "PUT /v1/documents/x HTTP/1.1\r\nhost: a\r\nauthorization: Bearer {TOKEN}\r\n\
                 content-length: 100\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    api.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped after {:?}",
        started.elapsed()
    );
}
