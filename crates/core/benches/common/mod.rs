//! What the fan-out and history benchmarks share: loopback receivers, a workspace with
//! one site per receiver, and one publish fanned out through the publishing service.

#![allow(dead_code)] // each benchmark uses its own subset

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pressroom_core::confirm::Confirmer;
use pressroom_core::outbox::OutboxConfig;
use pressroom_core::publisher::{Publisher, Running};
use pressroom_core::secrets::SecretStore;
use pressroom_core::sites::{self, SecretInput};
use pressroom_core::stage::Stage;
use pressroom_core::store::{NewDelivery, NewPublish, NewSite, Preset, Site};
use pressroom_core::webhook::{Envelope, EventKind};
use pressroom_core::Store;

/// `n` loopback receivers answering 204, on the current runtime; their URLs.
pub async fn receivers(n: usize) -> Vec<String> {
    let mut urls = Vec::with_capacity(n);
    for _ in 0..n {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!(
            "http://{}/api/revalidate",
            listener.local_addr().unwrap()
        ));
        let router = axum::Router::new().fallback(|| async { axum::http::StatusCode::NO_CONTENT });
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    }
    urls
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A workspace in `dir` with one Standard Webhooks site per URL, and its publishing
/// service serving on `rt`.
pub struct Workspace {
    pub store: Arc<Mutex<Store>>,
    pub publisher: Publisher,
    pub sites: Vec<Site>,
    pub bodies: Vec<String>,
    running: Option<Running>,
}

impl Workspace {
    pub fn new(rt: &tokio::runtime::Runtime, dir: &std::path::Path, urls: &[String]) -> Workspace {
        let secrets = SecretStore::File(dir.join("secrets.json"));
        let mut store = Store::open(dir.join("bench.db")).unwrap();
        store
            .checkpoint_in_background(Duration::from_millis(500))
            .unwrap();
        store.create("post", "---\ntitle: Post\n---\nBody").unwrap();
        let mut site_list = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let new = NewSite {
                name: format!("site-{i:04}"),
                webhook_url: url.clone(),
                page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
                tag_templates: vec!["documents".into(), "document:{slug}".into()],
                path_templates: vec!["/posts/{slug}".into()],
                preset: Preset::StandardWebhooks,
                destination: None,
            };
            site_list.push(
                sites::add(&mut store, &secrets, &new, SecretInput::Generate)
                    .unwrap()
                    .site,
            );
        }
        let bodies = site_list
            .iter()
            .map(|s| {
                serde_json::to_string(&Envelope::new(
                    EventKind::Published,
                    "post",
                    "r_0123456789abcdef",
                    s,
                    "2026-11-27T10:00:00Z",
                ))
                .unwrap()
            })
            .collect();
        let store = Arc::new(Mutex::new(store));
        let publisher = Publisher::with_config(
            store.clone(),
            secrets,
            OutboxConfig::default(),
            Confirmer::default(),
        );
        let running = rt.block_on(async { publisher.spawn() });
        Workspace {
            store,
            publisher,
            sites: site_list,
            bodies,
            running: Some(running),
        }
    }

    /// One publish to every site, through the service: enqueued in one transaction,
    /// the worker woken, every delivery claimed, signed, sent and recorded, the run
    /// followed by its events until every site accepted. Its time.
    pub fn publish(&self, rt: &tokio::runtime::Runtime, tag: &str) -> Duration {
        let start = Instant::now();
        let events = self.publisher.subscribe();
        let deliveries: Vec<NewDelivery> = self
            .sites
            .iter()
            .zip(&self.bodies)
            .enumerate()
            .map(|(i, (s, body))| NewDelivery {
                site_id: s.id,
                message_id: format!("msg_bench_{tag}_{i}"),
                body: body.clone(),
                confirm_timeout_ms: None,
            })
            .collect();
        let enqueued = self
            .publisher
            .enqueue(
                &NewPublish {
                    slug: "post",
                    revision: "r_0123456789abcdef",
                    source: "x",
                    unpublish: false,
                },
                &deliveries,
            )
            .unwrap();
        let all = rt
            .block_on(
                self.publisher
                    .follow_enqueued(events, enqueued, None, |_| {}),
            )
            .unwrap();
        let took = start.elapsed();
        assert!(
            all.iter().all(|s| s.stage == Stage::Accepted),
            "{tag}: not all accepted"
        );
        took
    }

    pub fn stop(mut self, rt: &tokio::runtime::Runtime) {
        if let Some(running) = self.running.take() {
            rt.block_on(running.stop()).unwrap();
        }
    }
}
