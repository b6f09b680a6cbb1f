//! A page is live only when the images its document shows are on it and load: a real
//! loopback site whose page shows the new text while its image first 404s, then loads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use pressroom_core::confirm::{Confirmer, Expected};
use pressroom_core::store::Outcome;

const REVISION: &str = "r_00000000000000bb";

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

/// A site whose page shows the published revision and image `sha`, which loads only
/// once `ready` is set; `shown`: whether the page has the image at all.
fn site(sha: &'static str, ready: Arc<AtomicBool>, shown: bool) -> Router {
    let image = if shown {
        format!("<img src=\"/media/{sha}.png\" alt=\"A dot\">")
    } else {
        String::new()
    };
    Router::new()
        .route(
            "/posts/hello",
            get(move || {
                let image = image.clone();
                async move {
                    (
                        [("content-type", "text/html")],
                        format!(
                            "<html><head><meta name=\"content-revision\" content=\"{REVISION}\">\
                             </head><body><h1>Hello</h1>{image}</body></html>"
                        ),
                    )
                }
            }),
        )
        .route(
            "/media/{file}",
            get(move || {
                let ready = ready.clone();
                async move {
                    if ready.load(Ordering::SeqCst) {
                        (
                            [("content-type", "image/png")],
                            vec![0x89u8, b'P', b'N', b'G'],
                        )
                            .into_response()
                    } else {
                        StatusCode::NOT_FOUND.into_response()
                    }
                }
            }),
        )
}

fn expected(sha: &str) -> Expected {
    Expected::new(
        REVISION,
        "Hello",
        &format!("Text.\n\n![A dot](asset:{sha})\n"),
        None,
    )
}

#[tokio::test]
async fn a_page_whose_image_does_not_load_is_not_live_until_it_does() {
    let sha: &'static str = Box::leak("cd".repeat(32).into_boxed_str());
    let ready = Arc::new(AtomicBool::new(false));
    let (base, stop) = serve(site(sha, ready.clone(), true)).await;
    let url = format!("{base}/posts/hello");

    let missing = Confirmer::default()
        .confirm(&url, &expected(sha), Duration::from_millis(800), |_| {})
        .await;
    assert_ne!(missing.outcome, Outcome::Live, "{}", missing.message);
    let last = missing.polls.last().unwrap();
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("answered 404")),
        "{last:?}"
    );

    // The image arrives meanwhile: live.
    let flip = ready.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        flip.store(true, Ordering::SeqCst);
    });
    ready.store(false, Ordering::SeqCst);
    let arrived = Confirmer::default()
        .confirm(&url, &expected(sha), Duration::from_secs(5), |_| {})
        .await;
    assert_eq!(arrived.outcome, Outcome::Live, "{}", arrived.message);
    let _ = stop.send(());
}

#[tokio::test]
async fn a_page_without_the_image_is_not_live() {
    let sha: &'static str = Box::leak("ef".repeat(32).into_boxed_str());
    let (base, stop) = serve(site(sha, Arc::new(AtomicBool::new(true)), false)).await;
    let confirmation = Confirmer::default()
        .confirm(
            &format!("{base}/posts/hello"),
            &expected(sha),
            Duration::from_millis(600),
            |_| {},
        )
        .await;
    assert_ne!(confirmation.outcome, Outcome::Live);
    let last = confirmation.polls.last().unwrap();
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("does not show image")),
        "{last:?}"
    );
    let _ = stop.send(());
}
