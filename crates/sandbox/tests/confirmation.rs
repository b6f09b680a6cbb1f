//! Live confirmation end to end against the real content API and the demo site, both on
//! loopback sockets, through the one publish pipeline the CLI and the app use.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pressroom_core::pipeline::{LiveWait, Pipeline, PipelineReport, Progress, SiteState};
use pressroom_core::secrets::SecretStore;
use pressroom_core::store::{lock, Method, NewSite, Outcome, Preset};
use pressroom_core::{publish, Store};
use pressroom_sandbox::{demo_site, DemoConfig, DemoSite, Mode, Sandbox, SandboxOptions};

struct Setup {
    sandbox: Sandbox,
    store: Arc<Mutex<Store>>,
    pipeline: Pipeline,
    _dir: tempfile::TempDir,
}

async fn setup(options: SandboxOptions) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(dir.path(), options).await.unwrap();
    let store = Store::open(sandbox.workspace_db()).unwrap();
    let secrets = SecretStore::for_workspace(&store);
    let store = Arc::new(Mutex::new(store));
    let mut pipeline = Pipeline::new(store.clone(), secrets);
    // Retry quickly, so "site down, then up" fits in a test.
    pipeline.outbox.schedule = vec![Duration::from_millis(300); 30];
    Setup {
        sandbox,
        store,
        pipeline,
        _dir: dir,
    }
}

impl Setup {
    async fn publish(&self, slug: &str, live: LiveWait) -> (PipelineReport, Vec<Progress>) {
        let api = {
            let store = lock(&self.store);
            publish::content_api(&store, &self.pipeline.secrets).unwrap()
        };
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let report = self
            .pipeline
            .publish(
                &api,
                slug,
                &[],
                Duration::from_secs(15),
                live,
                Arc::new(move |p| sink.lock().unwrap().push(p)),
            )
            .await
            .unwrap();
        let events = events.lock().unwrap().clone();
        (report, events)
    }

    fn edit(&self, slug: &str, line: &str) {
        let mut store = lock(&self.store);
        let source = store.get(slug).unwrap().source;
        store.save(slug, &format!("{source}\n{line}\n")).unwrap();
    }

    /// A visitor reads the page, so the site's cache holds the published revision.
    async fn visit(&self, slug: &str) -> String {
        reqwest::get(format!("{}/posts/{slug}", self.sandbox.site_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Publishes `slug`, warms the site's cache, then edits and publishes again.
    async fn republish(&self, slug: &str, live: LiveWait) -> (PipelineReport, Vec<Progress>) {
        let (first, _) = self.publish(slug, LiveWait::No).await;
        assert_eq!(first.sites[0].state, SiteState::Delivered);
        let page = self.visit(slug).await;
        assert!(page.contains(&first.publish.document.title), "cache warmed");
        self.edit(slug, "A freshly written closing paragraph for this test.");
        self.publish(slug, live).await
    }
}

fn states(report: &PipelineReport) -> Vec<SiteState> {
    report.sites.iter().map(|s| s.state).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn expire_now_is_confirmed_live_by_the_exact_revision() {
    let s = setup(SandboxOptions::default()).await;
    let (report, events) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    let site = &report.sites[0];
    assert_eq!(site.method, Some(Method::Exact));
    assert_eq!(
        site.seen_revision.as_deref(),
        Some(report.publish.revision.as_str())
    );
    assert!(site.message.starts_with("Live:"), "{}", site.message);
    // The timeline: published, webhook answered, confirming, polls, finished.
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Progress::Published { .. } => "published",
            Progress::WebhookAnswered { .. } => "webhook",
            Progress::Confirming { .. } => "confirming",
            Progress::Polled { .. } => "poll",
            Progress::SiteFinished { .. } => "finished",
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"published"));
    assert_eq!(kinds.last(), Some(&"finished"));
    assert!(
        kinds.contains(&"webhook") && kinds.contains(&"poll"),
        "{kinds:?}"
    );
    // Recorded, with every poll.
    let recorded = lock(&s.store)
        .confirmations_of(report.publish.publish_id)
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].outcome, Outcome::Live);
    let last = recorded[0].polls.last().unwrap();
    assert_eq!(last.status, Some(200));
    assert_eq!(last.x_nextjs_cache.as_deref(), Some("MISS"));
    assert!(last.etag.is_some() && last.cache_control.is_some());
    assert!(recorded[0]
        .page_text
        .as_deref()
        .unwrap()
        .contains("A freshly written closing paragraph"));
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_once_is_live_after_the_stale_answer() {
    let s = setup(SandboxOptions {
        mode: Mode::StaleOnce,
        ..Default::default()
    })
    .await;
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    let polls = &lock(&s.store)
        .confirmations_of(report.publish.publish_id)
        .unwrap()[0]
        .polls;
    assert_eq!(polls[0].verdict, Outcome::Stale, "{polls:#?}");
    assert_eq!(polls[0].x_nextjs_cache.as_deref(), Some("STALE"));
    assert_ne!(
        polls[0].seen_revision.as_deref(),
        Some(report.publish.revision.as_str())
    );
    assert_eq!(polls.last().unwrap().verdict, Outcome::Live);
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_that_ignores_the_webhook_is_still_stale_and_never_live() {
    let s = setup(SandboxOptions {
        mode: Mode::IgnoreWebhook,
        ..Default::default()
    })
    .await;
    let (report, events) = s
        .republish("welcome", LiveWait::Upto(Duration::from_millis(1500)))
        .await;
    assert_eq!(states(&report), [SiteState::Stale], "{report:#?}");
    assert!(report.sites[0].message.starts_with("Still stale after"));
    assert!(report.sites[0].message.contains("re-send"));
    let polls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Polled { poll, .. } => Some(poll),
            _ => None,
        })
        .collect();
    assert!(polls.len() >= 4, "polled fast first: {}", polls.len());
    assert!(polls.iter().all(|p| p.verdict == Outcome::Stale));
    assert!(!report.all_done(LiveWait::SiteTimeout));
    assert_eq!(s.sandbox.demo.stats().webhooks_accepted, 2);
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_is_a_clear_configuration_error_and_nothing_is_polled() {
    let s = setup(SandboxOptions {
        mode: Mode::WrongSecret,
        ..Default::default()
    })
    .await;
    let (report, events) = s.publish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::WebhookFailed], "{report:#?}");
    let message = &report.sites[0].message;
    assert!(
        message.contains("401") && message.contains("secret"),
        "{message}"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Progress::Confirming { .. } | Progress::Polled { .. })));
    assert_eq!(s.sandbox.demo.stats().webhooks_rejected, 1);
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_without_a_marker_is_confirmed_by_the_heuristic() {
    let s = setup(SandboxOptions {
        marker: false,
        ..Default::default()
    })
    .await;
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    assert_eq!(report.sites[0].method, Some(Method::Heuristic));
    assert!(report.sites[0].message.contains("heuristic"));
    assert!(report.sites[0].message.contains("content-revision"));
    // The heuristic never takes the old page for the new one.
    s.sandbox.demo.set_mode(Mode::IgnoreWebhook);
    s.edit("welcome", "Words the site will never show.");
    let (report, _) = s
        .publish("welcome", LiveWait::Upto(Duration::from_millis(800)))
        .await;
    assert_eq!(states(&report), [SiteState::Stale], "{report:#?}");
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_regeneration_is_waited_for() {
    let s = setup(SandboxOptions::default()).await;
    s.sandbox.demo.set_regen_delay(Duration::from_millis(700));
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_down_then_up_is_delivered_and_confirmed() {
    let s = setup(SandboxOptions::default()).await;
    // A second demo site on a port that nothing listens on yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let secret = pressroom_core::signing::Secret::generate();
    {
        let mut store = lock(&s.store);
        store.set_site_enabled("demo", false, None).unwrap();
        pressroom_core::sites::add(
            &mut store,
            &s.pipeline.secrets,
            &NewSite {
                name: "later".into(),
                webhook_url: format!("http://127.0.0.1:{port}{}", demo_site::WEBHOOK_PATH),
                page_url_template: format!("http://127.0.0.1:{port}/posts/{{slug}}"),
                tag_templates: vec!["document:{slug}".into()],
                path_templates: vec![],
                preset: Preset::StandardWebhooks,
            },
            pressroom_core::sites::SecretInput::Given(secret.expose().to_owned()),
        )
        .unwrap();
    }
    let site = DemoSite::new(DemoConfig {
        api_url: s.sandbox.api_url.clone(),
        secret: secret.expose().to_owned(),
        mode: Mode::ExpireNow,
        regen_delay: Duration::ZERO,
        marker: true,
    })
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        site.serve(listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let (report, events) = s.publish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    let failed_first = events.iter().any(|e| {
        matches!(e, Progress::WebhookAnswered { next, status: None, .. } if *next == "retrying")
    });
    assert!(failed_first, "the first attempt found the site down");
    let _ = stop.send(());
    starter.await.unwrap();
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_errors_or_cannot_be_reached_is_reported_so() {
    let s = setup(SandboxOptions::default()).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        (
            format!("{}/missing/{{slug}}", s.sandbox.site_url),
            SiteState::HttpError,
            "answered 404",
        ),
        (
            format!("http://127.0.0.1:{closed}/posts/{{slug}}"),
            SiteState::Unreachable,
            "Could not fetch",
        ),
    ];
    for (page_url, state, words) in cases {
        {
            let mut store = lock(&s.store);
            let site = store.site("demo").unwrap();
            store
                .update_site(
                    "demo",
                    &NewSite {
                        name: "demo".into(),
                        webhook_url: site.webhook_url.clone(),
                        page_url_template: page_url,
                        tag_templates: site.tag_templates.clone(),
                        path_templates: site.path_templates.clone(),
                        preset: site.preset,
                    },
                )
                .unwrap();
        }
        s.edit("welcome", "Another line.");
        let (report, _) = s
            .publish("welcome", LiveWait::Upto(Duration::from_millis(800)))
            .await;
        assert_eq!(states(&report), [state], "{report:#?}");
        assert!(
            report.sites[0].message.contains(words),
            "{}",
            report.sites[0].message
        );
    }
    s.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_sandbox_keeps_its_site_and_survives_a_lost_secrets_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = Sandbox::start(dir.path(), SandboxOptions::default())
        .await
        .unwrap();
    first.stop().await;
    std::fs::remove_file(dir.path().join("secrets.json")).unwrap();
    let sandbox = Sandbox::start(dir.path(), SandboxOptions::default())
        .await
        .unwrap();
    let store = Store::open(sandbox.workspace_db()).unwrap();
    assert_eq!(
        store.sites().unwrap().len(),
        1,
        "the same site, not a second"
    );
    let secrets = SecretStore::for_workspace(&store);
    let api = publish::content_api(&store, &secrets).unwrap();
    let pipeline = Pipeline::new(Arc::new(Mutex::new(store)), secrets);
    let report = pipeline
        .publish(
            &api,
            "welcome",
            &[],
            Duration::from_secs(10),
            LiveWait::SiteTimeout,
            Arc::new(|_| {}),
        )
        .await
        .unwrap();
    assert_eq!(states(&report), [SiteState::Live], "{report:#?}");
    sandbox.stop().await;
}
