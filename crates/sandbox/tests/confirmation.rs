//! Live confirmation end to end against the real content API and the demo site, both on
//! loopback sockets, through the one publishing service the CLI and the app use.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pressroom_core::confirm::Confirmer;
use pressroom_core::outbox::OutboxConfig;
use pressroom_core::publish::{LiveWait, PublishReport};
use pressroom_core::publisher::{Event, Publisher, Running};
use pressroom_core::secrets::SecretStore;
use pressroom_core::stage::{Health, Stage};
use pressroom_core::store::{lock, Method, NewSite, Outcome, Preset};
use pressroom_core::{publish, view, Store};
use pressroom_sandbox::{demo_site, DemoConfig, DemoSite, Mode, Sandbox, SandboxOptions};

struct Setup {
    sandbox: Sandbox,
    store: Arc<Mutex<Store>>,
    publisher: Publisher,
    running: Running,
    _dir: tempfile::TempDir,
}

/// Where a site ended up, with the sentence the user was shown last.
#[derive(Debug)]
struct SiteEnd {
    stage: Stage,
    message: String,
    method: Option<Method>,
    /// The revision the page showed on the last poll.
    seen_revision: Option<String>,
}

#[derive(Debug)]
struct Report {
    publish: PublishReport,
    sites: Vec<SiteEnd>,
}

impl Report {
    fn all_done(&self) -> bool {
        self.sites
            .iter()
            .all(|s| matches!(s.stage, Stage::Live { .. }))
    }
}

fn publisher_for(store: Arc<Mutex<Store>>, secrets: SecretStore) -> Publisher {
    // Retry quickly, so "site down, then up" fits in a test.
    let outbox = OutboxConfig {
        schedule: vec![Duration::from_millis(300); 30],
        ..OutboxConfig::default()
    };
    Publisher::with_config(store, secrets, outbox, Confirmer::default())
}

async fn setup(options: SandboxOptions) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(dir.path(), options).await.unwrap();
    let store = Store::open(sandbox.workspace_db()).unwrap();
    let secrets = SecretStore::for_workspace(&store);
    let store = Arc::new(Mutex::new(store));
    let publisher = publisher_for(store.clone(), secrets);
    let running = publisher.spawn();
    Setup {
        sandbox,
        store,
        publisher,
        running,
        _dir: dir,
    }
}

/// Publishes `slug` to every site through `publisher`, follows the run for up to 15 s,
/// and gathers where each site ended and every event.
async fn publish_with(publisher: &Publisher, slug: &str, live: LiveWait) -> (Report, Vec<Event>) {
    let targets = {
        let store = lock(publisher.store());
        publish::Targets::resolve(&store, publisher.secrets(), &[]).unwrap()
    };
    let mut events = Vec::new();
    let run = publisher
        .publish_and_follow(&targets, slug, live, Duration::from_secs(15), |e| {
            events.push(e.clone())
        })
        .await
        .unwrap();
    let confirmations = lock(publisher.store())
        .confirmations_of(run.publish.publish_id)
        .unwrap();
    let sites = run
        .sites
        .iter()
        .map(|s| {
            let message = events
                .iter()
                .rev()
                .find_map(|e| match e {
                    Event::Changed {
                        delivery_id,
                        message,
                        ..
                    } if *delivery_id == s.delivery_id => Some(message.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let last_poll = confirmations
                .iter()
                .rev()
                .find(|c| c.site_name == s.site)
                .and_then(|c| c.polls.last().cloned());
            SiteEnd {
                method: match s.stage {
                    Stage::Live { method } => Some(method),
                    _ => None,
                },
                seen_revision: last_poll.and_then(|p| p.seen_revision),
                stage: s.stage.clone(),
                message,
            }
        })
        .collect();
    (
        Report {
            publish: run.publish,
            sites,
        },
        events,
    )
}

impl Setup {
    async fn publish(&self, slug: &str, live: LiveWait) -> (Report, Vec<Event>) {
        publish_with(&self.publisher, slug, live).await
    }

    async fn stop(self) {
        self.running.stop().await.unwrap();
        self.sandbox.stop().await;
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
    async fn republish(&self, slug: &str, live: LiveWait) -> (Report, Vec<Event>) {
        let (first, _) = self.publish(slug, LiveWait::No).await;
        assert_eq!(first.sites[0].stage, Stage::Accepted);
        let page = self.visit(slug).await;
        assert!(page.contains(&first.publish.document.title), "cache warmed");
        self.edit(slug, "A freshly written closing paragraph for this test.");
        self.publish(slug, live).await
    }
}

/// Each site's stage, by name.
fn states(report: &Report) -> Vec<&'static str> {
    report
        .sites
        .iter()
        .map(|s| match s.stage {
            Stage::Live { .. } => "live",
            Stage::Stale { .. } => "stale",
            Stage::Failed { .. } => "failed",
            Stage::Accepted => "accepted",
            _ => "unsettled",
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn expire_now_is_confirmed_live_by_the_exact_revision() {
    let s = setup(SandboxOptions::default()).await;
    let (report, events) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
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
            Event::Published { .. } => "published",
            Event::Attempted { .. } => "webhook",
            Event::Confirming { .. } => "confirming",
            Event::Polled { .. } => "poll",
            Event::Changed { stage, .. } if stage.is_terminal() => "finished",
            Event::Changed { .. } => "changed",
            Event::Scheduled { .. } => "scheduled",
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
    // The first fresh answer re-rendered the page; those that verified it came from
    // the refreshed cache.
    let polls = &recorded[0].polls;
    let first_fresh = polls
        .iter()
        .position(|p| p.verdict == Outcome::Live)
        .unwrap();
    assert_eq!(polls[first_fresh].status, Some(200));
    assert_eq!(polls[first_fresh].x_nextjs_cache.as_deref(), Some("MISS"));
    assert!(polls[first_fresh].etag.is_some() && polls[first_fresh].cache_control.is_some());
    assert!(
        polls[first_fresh..].len() > 1
            && polls[first_fresh..]
                .iter()
                .all(|p| p.verdict == Outcome::Live),
        "verified by more fresh answers: {polls:?}"
    );
    assert!(recorded[0]
        .page_text
        .as_deref()
        .unwrap()
        .contains("A freshly written closing paragraph"));

    // The side-by-side: the page with its own styles, and what this publish changed.
    let styles = recorded[0].page_styles.clone().expect("styles recorded");
    assert_eq!(
        styles.links,
        [format!("{}/assets/site.css", s.sandbox.site_url)]
    );
    assert!(styles.inline.contains("min-height"), "{styles:?}");
    let css = s.publisher.confirmer().page_css(&styles).await;
    assert!(
        css.contains("max-width:46rem") && css.contains("min-height"),
        "{css}"
    );
    let view = view::published_view(&lock(&s.store), report.publish.publish_id).unwrap();
    assert_eq!(
        view.changed,
        ["A freshly written closing paragraph for this test."]
    );
    // A page to preview drafts in the site's theme: the document's own, else the
    // latest page of the site (here, for a document never published).
    {
        let store = lock(&s.store);
        // The list's word for the document: the worst of its sites, here all live.
        let sites = view::documents_sites(&store).unwrap();
        assert_eq!(sites.len(), 1, "only the published document: {sites:?}");
        assert_eq!(sites[0].slug, "welcome");
        assert_eq!(sites[0].health, Health::Live);
        let own = store.theme_page("demo", "welcome").unwrap().unwrap();
        assert_eq!(own.id, recorded[0].id);
        let other = store.theme_page("demo", "release-notes").unwrap().unwrap();
        assert_eq!(other.id, recorded[0].id);
        assert!(store.theme_page("nowhere", "welcome").unwrap().is_none());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_once_is_live_after_the_stale_answer() {
    let s = setup(SandboxOptions {
        mode: Mode::StaleOnce,
        ..Default::default()
    })
    .await;
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
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
    s.stop().await;
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
    assert_eq!(states(&report), ["stale"], "{report:#?}");
    assert!(report.sites[0].message.starts_with("Still stale after"));
    assert!(report.sites[0].message.contains("re-send"));
    let polls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Polled { poll, .. } => Some(poll),
            _ => None,
        })
        .collect();
    assert!(polls.len() >= 4, "polled fast first: {}", polls.len());
    assert!(polls.iter().all(|p| p.verdict == Outcome::Stale));
    assert!(!report.all_done());
    assert!(
        report.sites[0].message.contains("sent once more"),
        "{}",
        report.sites[0].message
    );
    // The first publish's, this one's, and its one self-healing re-send.
    assert_eq!(s.sandbox.demo.stats().webhooks_accepted, 3);

    // A site told not to heal is reported at its timeout, without a re-send.
    lock(&s.store).set_site_heal("demo", false).unwrap();
    s.edit("welcome", "Once more, without healing.");
    let (report, _) = s.publish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["stale"], "{report:#?}");
    assert!(!report.sites[0].message.contains("sent once more"));
    assert_eq!(s.sandbox.demo.stats().webhooks_accepted, 4);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_is_a_clear_configuration_error_and_nothing_is_polled() {
    let s = setup(SandboxOptions {
        mode: Mode::WrongSecret,
        ..Default::default()
    })
    .await;
    let (report, events) = s.publish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["failed"], "{report:#?}");
    let message = &report.sites[0].message;
    assert!(
        message.contains("401") && message.contains("secret"),
        "{message}"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Confirming { .. } | Event::Polled { .. })));
    assert_eq!(s.sandbox.demo.stats().webhooks_rejected, 1);
    let sites = view::documents_sites(&lock(&s.store)).unwrap();
    assert_eq!(sites[0].health, Health::Failed, "{sites:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_without_a_marker_is_confirmed_by_the_heuristic() {
    let s = setup(SandboxOptions {
        marker: false,
        ..Default::default()
    })
    .await;
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
    assert_eq!(report.sites[0].method, Some(Method::Heuristic));
    assert!(report.sites[0].message.contains("heuristic"));
    assert!(report.sites[0].message.contains("content-revision"));
    // The heuristic never takes the old page for the new one.
    s.sandbox.demo.set_mode(Mode::IgnoreWebhook);
    s.edit("welcome", "Words the site will never show.");
    let (report, _) = s
        .publish("welcome", LiveWait::Upto(Duration::from_millis(800)))
        .await;
    assert_eq!(states(&report), ["stale"], "{report:#?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_regeneration_is_waited_for() {
    let s = setup(SandboxOptions::default()).await;
    s.sandbox.demo.set_regen_delay(Duration::from_millis(700));
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
    s.stop().await;
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
            s.publisher.secrets(),
            &NewSite {
                name: "later".into(),
                webhook_url: format!("http://127.0.0.1:{port}{}", demo_site::WEBHOOK_PATH),
                page_url_template: format!("http://127.0.0.1:{port}/posts/{{slug}}"),
                tag_templates: vec!["document:{slug}".into()],
                path_templates: vec![],
                preset: Preset::StandardWebhooks,
                destination: None,
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
    assert_eq!(states(&report), ["live"], "{report:#?}");
    let failed_first = events.iter().any(|e| {
        matches!(
            e,
            Event::Changed {
                stage: Stage::RetryAt { attempt: 1, .. },
                ..
            }
        )
    });
    assert!(failed_first, "the first attempt found the site down");
    let _ = stop.send(());
    starter.await.unwrap();
    s.stop().await;
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
            "failed",
            "answered 404",
        ),
        (
            format!("http://127.0.0.1:{closed}/posts/{{slug}}"),
            "failed",
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
                        destination: site.destination.clone(),
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
    s.stop().await;
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
    let publisher = publisher_for(Arc::new(Mutex::new(store)), secrets);
    let running = publisher.spawn();
    let (report, _) = publish_with(&publisher, "welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
    running.stop().await.unwrap();
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpublish_takes_the_page_down_and_confirms_it_gone() {
    let s = setup(SandboxOptions::default()).await;
    let (report, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert_eq!(states(&report), ["live"], "{report:#?}");
    let revision = report.publish.revision.clone();
    let targets = {
        let store = lock(&s.store);
        publish::Targets::resolve(&store, s.publisher.secrets(), &[]).unwrap()
    };
    let api = targets.api.as_ref().unwrap();

    let events = s.publisher.subscribe();
    let down = s
        .publisher
        .unpublish(&targets, "welcome", LiveWait::SiteTimeout)
        .await
        .unwrap();
    assert_eq!(down.revision, revision, "what was taken down");
    let mut messages = Vec::new();
    let standings = s
        .publisher
        .follow(
            events,
            down.publish_id,
            None,
            Some(Duration::from_secs(15)),
            |e| {
                if let Event::Changed { message, .. } = e {
                    messages.push(message.clone());
                }
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(standings[0].stage, Stage::Live { .. }),
        "{standings:?} {messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("Taken down")),
        "{messages:?}"
    );
    // Gone from the content API and the site; the draft stays, no longer published.
    assert!(matches!(
        api.get("welcome").await,
        Err(pressroom_core::Error::DocumentNotFound { .. })
    ));
    let page = reqwest::get(format!("{}/posts/welcome", s.sandbox.site_url))
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let doc = lock(&s.store).get("welcome").unwrap();
    assert_eq!(doc.published_revision, None);
    // Nothing to take down twice.
    assert!(matches!(
        s.publisher
            .unpublish(&targets, "welcome", LiveWait::No)
            .await,
        Err(pressroom_core::Error::NotPublished { .. })
    ));
    s.stop().await;
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread")]
async fn an_image_goes_to_the_content_api_once_and_the_live_page_shows_it() {
    let s = setup(SandboxOptions::default()).await;
    let asset = {
        let mut store = lock(&s.store);
        let asset = pressroom_core::assets::add(&mut store, PNG, "dot.png", false).unwrap();
        let source = store.get("welcome").unwrap().source;
        store
            .save(
                "welcome",
                &format!("{source}\n{}\n", asset.markdown("A dot")),
            )
            .unwrap();
        asset
    };
    let (report, _) = publish_with(&s.publisher, "welcome", LiveWait::SiteTimeout).await;
    assert!(report.all_done(), "{report:#?}");

    // The API's html points at the image where the API serves it; it is there.
    let url = format!("{}/v1/assets/{}", s.sandbox.api_url, asset.sha256);
    let doc: serde_json::Value =
        reqwest::get(format!("{}/v1/documents/welcome", s.sandbox.api_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(
        doc["html"]
            .as_str()
            .unwrap()
            .contains(&format!("src=\"{url}\"")),
        "{doc}"
    );
    assert!(doc["markdown"]
        .as_str()
        .unwrap()
        .contains(&format!("asset:{}", asset.sha256)));
    let served = reqwest::get(&url).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    // The live page shows it.
    let page = reqwest::get(format!("{}/posts/welcome", s.sandbox.site_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&url), "{page}");

    // Published again: not uploaded again (its file could even be gone by now).
    let folder = pressroom_core::assets::folder(lock(&s.store).path());
    std::fs::remove_file(folder.join(&asset.sha256)).unwrap();
    let (again, _) = s.republish("welcome", LiveWait::SiteTimeout).await;
    assert!(again.all_done(), "{again:#?}");
    s.stop().await;
}
