//! "Live" on real deployments: three site instances that do not share a cache (each
//! regenerates only when its own webhook arrives, as `revalidateTag` on a self-hosted
//! Next.js instance does), behind real nginx from Debian as a round-robin balancer, and
//! behind nginx `proxy_cache` as a CDN stand-in. Started here on free loopback ports,
//! stopped at the end.
//!
//! - webhook to the balancer only → "partly live", never Live;
//! - the instances listed → the webhook goes to each and each is confirmed through its
//!   own origin → Live, and 200 GETs through the balancer all serve the new revision;
//! - an index page that lags → not Live;
//! - a long-lived cache in front → stale, with the CDN hint.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::Router;
use pressroom_core::confirm::{ConfirmConfig, Confirmer};
use pressroom_core::outbox::OutboxConfig;
use pressroom_core::publisher::Publisher;
use pressroom_core::secrets::SecretStore;
use pressroom_core::sites::{self, SecretInput};
use pressroom_core::stage::Stage;
use pressroom_core::store::{NewDelivery, NewPublish, NewSite, Preset};
use pressroom_core::webhook::{Envelope, EventKind};
use pressroom_core::Store;
use pressroom_testkit::Nginx;

/// The revision the content API has now, shared by the instances (their data source).
type Source = Arc<Mutex<String>>;

/// One instance: serves the revision it cached, re-reads the source when its webhook
/// arrives (only then), names itself in `x-instance-id`.
#[derive(Clone)]
struct Instance {
    name: &'static str,
    source: Source,
    page: Arc<Mutex<String>>,
    index: Arc<Mutex<String>>,
    /// The index is not revalidated by the webhook (a handler that forgot its tag).
    index_lags: bool,
}

async fn page(State(i): State<Instance>) -> impl IntoResponse {
    let revision = i.page.lock().unwrap().clone();
    (
        [("x-instance-id", i.name)],
        Html(format!(
            "<html><head><meta name=\"content-revision\" content=\"{revision}\"></head>\
             <body><h1>Post</h1><p>Served by {}.</p></body></html>",
            i.name
        )),
    )
}

async fn index(State(i): State<Instance>) -> impl IntoResponse {
    let revision = i.index.lock().unwrap().clone();
    (
        [("x-instance-id", i.name)],
        Html(format!(
            "<html><body><ul><li data-content-revision=\"{revision}\">\
             <a href=\"/posts/post\">Post</a></li></ul></body></html>"
        )),
    )
}

async fn revalidate(State(i): State<Instance>) -> impl IntoResponse {
    let now = i.source.lock().unwrap().clone();
    *i.page.lock().unwrap() = now.clone();
    if !i.index_lags {
        *i.index.lock().unwrap() = now;
    }
    axum::http::StatusCode::NO_CONTENT
}

/// Starts an instance on a free port; its origin.
async fn instance(name: &'static str, source: &Source, index_lags: bool) -> String {
    let first = source.lock().unwrap().clone();
    let state = Instance {
        name,
        source: source.clone(),
        page: Arc::new(Mutex::new(first.clone())),
        index: Arc::new(Mutex::new(first)),
        index_lags,
    };
    let router = Router::new()
        .route("/posts/post", get(page))
        .route("/", get(index))
        .route("/api/revalidate", post(revalidate))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    origin
}

struct Workspace {
    _dir: tempfile::TempDir,
    store: Arc<Mutex<Store>>,
    publisher: Publisher,
    secrets: SecretStore,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Mutex::new(Store::open(dir.path().join("w.db")).unwrap()));
        let secrets = SecretStore::File(dir.path().join("secrets.json"));
        store
            .lock()
            .unwrap()
            .create("post", "---\ntitle: Post\n---\nThe text.\n")
            .unwrap();
        let publisher = Publisher::with_config(
            store.clone(),
            secrets.clone(),
            OutboxConfig::default(),
            Confirmer::new(ConfirmConfig::default()),
        );
        Workspace {
            _dir: dir,
            store,
            publisher,
            secrets,
        }
    }

    /// A site at `origin`, confirmed for 2 s (and 2 s more after the self-healing
    /// re-send), with `also` and `instances`.
    fn site(&self, name: &str, origin: &str, also: &[&str], instances: &[String]) {
        let new = NewSite {
            name: name.into(),
            webhook_url: format!("{origin}/api/revalidate"),
            page_url_template: format!("{origin}/posts/{{slug}}"),
            tag_templates: vec!["documents".into()],
            path_templates: vec![],
            preset: Preset::StandardWebhooks,
            destination: None,
        };
        let mut store = self.store.lock().unwrap();
        sites::add(&mut store, &self.secrets, &new, SecretInput::Generate).unwrap();
        store.set_site_confirm_timeout(name, 2000).unwrap();
        let also: Vec<String> = also.iter().map(|s| s.to_string()).collect();
        store.set_site_reach(name, &also, instances).unwrap();
    }

    /// Publishes revision `revision` of "post" to `site` and follows it until it settles.
    async fn publish(&self, site: &str, revision: &str) -> (Stage, String) {
        let events = self.publisher.subscribe();
        let (site_id, body) = {
            let store = self.store.lock().unwrap();
            let s = store.site(site).unwrap();
            let envelope = Envelope::new(
                EventKind::Published,
                "post",
                revision,
                &s,
                "2026-12-02T10:00:00Z",
            );
            (s.id, serde_json::to_string(&envelope).unwrap())
        };
        let source = "---\ntitle: Post\n---\nThe text.\n";
        let enqueued = self
            .publisher
            .enqueue(
                &NewPublish {
                    slug: "post",
                    revision,
                    source,
                    unpublish: false,
                },
                &[NewDelivery {
                    site_id,
                    message_id: format!("msg_{site}_{revision}"),
                    body,
                    confirm_timeout_ms: Some(2000),
                }],
            )
            .unwrap();
        let mut last_message = String::new();
        let standings = self
            .publisher
            .follow(events, enqueued.publish_id, None, None, |e| {
                if let pressroom_core::publisher::Event::Changed { message, .. } = e {
                    last_message = message.clone();
                }
            })
            .await
            .unwrap();
        (standings[0].stage.clone(), last_message)
    }
}

async fn fetch(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_holds_for_every_page_every_instance_and_every_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let source: Source = Arc::new(Mutex::new("r_0000000000000001".into()));
    let mut origins = Vec::new();
    for name in ["a", "b", "c"] {
        origins.push(instance(name, &source, false).await);
    }
    let balancer = Nginx::start(&tmp.path().join("balancer"), &origins, false);
    let ws = Workspace::new();
    let running = ws.publisher.spawn();

    // 1. The webhook to the balancer only: one instance regenerates, the others do not.
    ws.site("public-only", &balancer.origin, &[], &[]);
    *source.lock().unwrap() = "r_0000000000000002".into();
    let (stage, message) = ws.publish("public-only", "r_0000000000000002").await;
    assert!(
        matches!(
            stage,
            Stage::Stale {
                partly: Some(_),
                ..
            }
        ),
        "{stage:?}: {message}"
    );
    assert!(message.contains("Partly live"), "{message}");
    assert!(
        !message.contains("  "),
        "one sentence, no layout gaps: {message}"
    );
    assert!(
        message.contains("still serves"),
        "names the stale instance: {message}"
    );

    // 2. The instances listed: the webhook goes to each, each confirmed on its origin,
    // the index too.
    ws.site("every-instance", &balancer.origin, &["/"], &origins);
    *source.lock().unwrap() = "r_0000000000000003".into();
    let (stage, message) = ws.publish("every-instance", "r_0000000000000003").await;
    assert!(matches!(stage, Stage::Live { .. }), "{stage:?}: {message}");
    assert!(message.contains("on 3 instances"), "{message}");
    for n in 0..200 {
        let page = fetch(&format!("{}/posts/post", balancer.origin)).await;
        assert!(
            page.contains("r_0000000000000003"),
            "GET {n} through the balancer served an old page: {page}"
        );
    }

    // 3. An index that lags behind the post: not live.
    let lagging = instance("lagging", &source, true).await;
    ws.site("index-lags", &lagging, &["/"], &[]);
    *source.lock().unwrap() = "r_0000000000000004".into();
    let (stage, message) = ws.publish("index-lags", "r_0000000000000004").await;
    assert!(
        matches!(&stage, Stage::Stale { partly: Some(p), .. } if p.fresh == 1 && p.of == 2),
        "{stage:?}: {message}"
    );
    assert!(message.contains("1 of 2 places"), "{message}");

    // 4. A cache in front that keeps pages for an hour: stale, and the message says
    // where the old page comes from.
    let behind = instance("behind-cdn", &source, false).await;
    let cdn = Nginx::start(&tmp.path().join("cdn"), std::slice::from_ref(&behind), true);
    let page = fetch(&format!("{}/posts/post", cdn.origin)).await; // cached now
    assert!(page.contains("r_0000000000000004"), "{page}");
    // The webhook reaches the origin directly; visitors come through the cache.
    ws.site("behind-cdn", &cdn.origin, &[], &[]);
    ws.store
        .lock()
        .unwrap()
        .update_site(
            "behind-cdn",
            &NewSite {
                name: "behind-cdn".into(),
                webhook_url: format!("{behind}/api/revalidate"),
                page_url_template: format!("{}/posts/{{slug}}", cdn.origin),
                tag_templates: vec!["documents".into()],
                path_templates: vec![],
                preset: Preset::StandardWebhooks,
                destination: None,
            },
        )
        .unwrap();
    *source.lock().unwrap() = "r_0000000000000005".into();
    let (stage, message) = ws.publish("behind-cdn", "r_0000000000000005").await;
    assert!(matches!(stage, Stage::Stale { .. }), "{stage:?}: {message}");
    assert!(
        message.contains("cache in front") && message.contains("x-cache: HIT"),
        "{message}"
    );
    assert!(
        fetch(&format!("{behind}/posts/post"))
            .await
            .contains("r_0000000000000005"),
        "the origin itself has the new page"
    );

    // What was recorded: one confirmation per URL and instance, polls with their
    // instance and cache headers.
    let records = {
        let store = ws.store.lock().unwrap();
        let latest = store.latest_publish_of("post").unwrap().unwrap().0;
        store.confirmations_of(latest).unwrap()
    };
    assert!(records
        .iter()
        .any(|r| r.polls.iter().any(|p| p.x_cache.as_deref() == Some("HIT"))));
    running.stop().await.unwrap();
}
