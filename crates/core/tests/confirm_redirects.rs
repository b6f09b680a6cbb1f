//! Confirmation follows redirects only within the page's own origin, and never sends a
//! `Referer`: real loopback servers on two ports (two origins).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use pressroom_core::confirm::{Confirmer, Expected};
use pressroom_core::store::Outcome;

const REVISION: &str = "r_00000000000000aa";

type Referers = Arc<Mutex<Vec<Option<String>>>>;

async fn serve(router: Router) -> (String, tokio::sync::oneshot::Sender<()>) {
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

fn page_router(referers: Referers) -> Router {
    Router::new().route(
        "/posts/hello",
        get(move |headers: HeaderMap| {
            let referers = referers.clone();
            async move {
                referers.lock().unwrap().push(
                    headers
                        .get("referer")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                );
                (
                    StatusCode::OK,
                    [("content-type", "text/html")],
                    format!(
                        "<html><head><meta name=\"content-revision\" content=\"{REVISION}\"></head>\
                         <body><h1>Hello</h1></body></html>"
                    ),
                )
                    .into_response()
            }
        }),
    )
}

fn expected() -> Expected {
    Expected::new(REVISION, "Hello", "Some text here.", None)
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_without_a_referer() {
    let referers: Referers = Arc::default();
    let router = page_router(referers.clone()).route(
        "/old/hello",
        get(|| async { Redirect::permanent("/posts/hello") }),
    );
    let (base, stop) = serve(router).await;
    let confirmation = Confirmer::default()
        .confirm(
            &format!("{base}/old/hello"),
            &expected(),
            Duration::from_secs(3),
            |_| {},
        )
        .await;
    assert_eq!(
        confirmation.outcome,
        Outcome::Live,
        "{}",
        confirmation.message
    );
    // The first fresh answer and the fetches that verify it, each redirected.
    let seen = referers.lock().unwrap().clone();
    assert!(
        seen.len() > 1 && seen.iter().all(Option::is_none),
        "no Referer on any redirect: {seen:?}"
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_is_named() {
    let referers: Referers = Arc::default();
    let (elsewhere, stop_elsewhere) = serve(page_router(referers.clone())).await;
    let target = format!("{elsewhere}/posts/hello");
    let moved = target.clone();
    let router = Router::new().route(
        "/posts/hello",
        get(move || {
            let to = moved.clone();
            async move { Redirect::temporary(&to) }
        }),
    );
    let (base, stop) = serve(router).await;
    let confirmation = Confirmer::default()
        .confirm(
            &format!("{base}/posts/hello"),
            &expected(),
            Duration::from_millis(400),
            |_| {},
        )
        .await;
    assert_eq!(confirmation.outcome, Outcome::HttpError);
    assert!(
        confirmation.message.contains("another site") && confirmation.message.contains(&target),
        "{}",
        confirmation.message
    );
    assert!(
        referers.lock().unwrap().is_empty(),
        "the other origin was never fetched"
    );
    let _ = (stop.send(()), stop_elsewhere.send(()));
}
