//! core's content API client against the real reference server, and against a
//! misbehaving one for retries and redirects. Real sockets on 127.0.0.1:0.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use pressroom_core::client::{ContentApi, RetryPolicy};
use pressroom_core::{Content, Error};

const TOKEN: &str = "client-test-token";

fn quick() -> RetryPolicy {
    RetryPolicy {
        retries: 2,
        initial_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn spawn(router: Router) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (base, stop)
}

async fn real_server(dir: &tempfile::TempDir, body_limit: usize) -> support::Running {
    support::start_with_token(&dir.path().join("api.db"), TOKEN, body_limit).await
}

fn content(slug: &str, markdown: &str) -> Content {
    Content {
        slug: slug.into(),
        title: "Title".into(),
        markdown: markdown.into(),
        tags: vec!["documents".into()],
        front_matter: Default::default(),
    }
}

#[tokio::test]
async fn publish_read_and_unpublish_against_the_reference_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server(&dir, 1 << 20).await;
    let api = ContentApi::new(&server.base, Some(TOKEN.into())).unwrap();
    assert!(api.health().await.unwrap().ok);

    let c = content("post", "# Hi");
    let first = api.publish(&c, None, "k1").await.unwrap();
    assert!(first.created);
    assert_eq!(first.document.revision, c.revision());
    // Without a base, a publish only creates: the slug is there now, so it is a
    // conflict naming what is there (the publish operation takes "it is ours" as done).
    match api.publish(&c, None, "k2").await {
        Err(pressroom_core::Error::Conflict {
            current_revision, ..
        }) => assert_eq!(current_revision, Some(c.revision())),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let again = api.publish(&c, Some(&c.revision()), "k2b").await.unwrap();
    assert!(!again.created);

    assert_eq!(api.get("post").await.unwrap().revision, c.revision());
    assert_eq!(api.list(Some("documents")).await.unwrap().len(), 1);
    assert!(api.list(Some("nope")).await.unwrap().is_empty());

    // Someone else publishes; our edit from the old base is a conflict naming theirs.
    let theirs = content("post", "# Theirs");
    api.publish(&theirs, Some(&c.revision()), "k3")
        .await
        .unwrap();
    match api
        .publish(&content("post", "# Mine"), Some(&c.revision()), "k4")
        .await
    {
        Err(Error::Conflict {
            current_revision, ..
        }) => {
            assert_eq!(current_revision, Some(theirs.revision()))
        }
        other => panic!("{other:?}"),
    }

    api.unpublish("post").await.unwrap();
    assert!(matches!(
        api.get("post").await,
        Err(Error::DocumentNotFound { .. })
    ));
    assert!(matches!(
        api.unpublish("post").await,
        Err(Error::DocumentNotFound { .. })
    ));
    server.stop().await;
}

#[tokio::test]
async fn errors_the_user_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server(&dir, 1024).await;
    let base = server.base.clone();

    let wrong = ContentApi::new(&base, Some("not-the-token".into())).unwrap();
    let err = wrong
        .publish(&content("x", "y"), None, "k")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "unauthorized");
    let text = err.to_string();
    assert!(
        text.contains("pressroom api set") && !text.contains("not-the-token"),
        "{text}"
    );
    assert!(
        !format!("{wrong:?}").contains("not-the-token"),
        "token redacted in Debug"
    );

    let api = ContentApi::new(&base, Some(TOKEN.into())).unwrap();
    let err = api
        .publish(&content("big", &"x".repeat(4096)), None, "k")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "too_large", "{err}");

    for bad in ["ftp://example.com", "not a url"] {
        assert_eq!(
            ContentApi::new(bad, None).unwrap_err().kind(),
            "invalid_url"
        );
    }
    server.stop().await;

    // Nothing listens there any more: unreachable, after the retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = ContentApi::new(&format!("http://127.0.0.1:{port}"), None)
        .unwrap()
        .with_retry(quick());
    let err = down.health().await.unwrap_err();
    assert_eq!(err.kind(), "unreachable", "{err}");
    assert!(err.to_string().contains("nothing was lost"), "{err}");
}

/// A server answering 503 with Retry-After: 1 twice, then accepting.
#[tokio::test]
async fn transient_failures_are_retried_with_the_same_idempotency_key() {
    let seen: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let log = seen.clone();
    let router = Router::new().route(
        "/v1/documents/{slug}",
        axum::routing::put(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push((Instant::now(), key));
                    log.len()
                };
                if n <= 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "1")], "busy").into_response()
                } else {
                    let c = content("post", "x");
                    let doc = serde_json::json!({
                        "slug": "post", "title": "Title", "revision": c.revision(), "html": "",
                        "markdown": "x", "summary": "", "tags": ["documents"], "front_matter": {},
                        "published_at": "2026-11-27T00:00:00.000Z", "updated_at": "2026-11-27T00:00:00.000Z"
                    });
                    (StatusCode::CREATED, axum::Json(doc)).into_response()
                }
            }
        }),
    );
    let (base, stop) = spawn(router).await;
    let api = ContentApi::new(&base, Some(TOKEN.into()))
        .unwrap()
        .with_retry(quick());
    let published = api
        .publish(&content("post", "x"), None, "key-42")
        .await
        .unwrap();
    assert!(published.created);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|(_, k)| k == "key-42"),
        "same key on every attempt"
    );
    for pair in seen.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_millis(950),
            "Retry-After honoured: {gap:?}"
        );
    }
    stop.send(()).unwrap();
}

#[tokio::test]
async fn redirects_are_reported_not_followed_and_4xx_not_retried() {
    let hits: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = hits.clone();
    let router = Router::new().fallback(move |uri: axum::http::Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.path().to_owned());
            if uri.path().starts_with("/moved") {
                (StatusCode::BAD_REQUEST, "should never be asked").into_response()
            } else if uri.path() == "/v1/health" {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [("location", "/moved/v1/health")],
                )
                    .into_response()
            } else {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(serde_json::json!({"error": {"code": "nope", "message": "no"}})),
                )
                    .into_response()
            }
        }
    });
    let (base, stop) = spawn(router).await;
    let api = ContentApi::new(&base, None).unwrap().with_retry(quick());
    let err = api.health().await.unwrap_err();
    assert!(err.to_string().contains("/moved/v1/health"), "{err}");
    let err = api.get("x").await.unwrap_err();
    assert_eq!(err.kind(), "rejected");
    assert_eq!(*hits.lock().unwrap(), ["/v1/health", "/v1/documents/x"]);
    stop.send(()).unwrap();
}
