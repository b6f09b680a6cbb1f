//! The demo site: a small website that behaves like a Next.js site with tagged, cached
//! fetches. It builds its pages from the content API, keeps them in its own page cache,
//! renders the revision marker, and regenerates a page only when a verified Standard
//! Webhooks call names one of its tags or its path.
//!
//! Modes, for trying every outcome of live confirmation:
//! - `expire-now`: the next request after the webhook re-renders (like
//!   `revalidateTag(tag, { expire: 0 })`);
//! - `stale-once`: the next request gets the old page and starts the re-render; the one
//!   after gets the new page (stale-while-revalidate, `revalidateTag(tag, "max")`);
//! - `ignore-webhook`: answers 200 and never regenerates — the page stays stale;
//! - `wrong-secret`: verifies with a secret of its own, so every webhook gets 401.
//!
//! A regeneration delay (slow data source) and pages without the marker can be set too.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pressroom_core::client::ContentApi;
use pressroom_core::signing::{self, Secret};
use pressroom_core::webhook::Envelope;
use pressroom_core::wire::ApiDocument;
use serde::Serialize;
use serde_json::json;

/// Where the demo site serves its pages and takes webhooks (relative to its address).
pub const PAGE_PATH: &str = "/posts/{slug}";
pub const WEBHOOK_PATH: &str = "/api/revalidate";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    ExpireNow,
    StaleOnce,
    IgnoreWebhook,
    WrongSecret,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::ExpireNow,
        Mode::StaleOnce,
        Mode::IgnoreWebhook,
        Mode::WrongSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ExpireNow => "expire-now",
            Mode::StaleOnce => "stale-once",
            Mode::IgnoreWebhook => "ignore-webhook",
            Mode::WrongSecret => "wrong-secret",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// The content API the pages are built from.
    pub api_url: String,
    /// The Standard Webhooks secret (`whsec_…`) webhooks are verified with.
    pub secret: String,
    pub mode: Mode,
    /// How long building a page takes (a slow data source).
    pub regen_delay: Duration,
    /// Render `<meta name="content-revision">` (off: confirmation must fall back to the
    /// heuristic).
    pub marker: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DemoStats {
    pub webhooks_accepted: u64,
    pub webhooks_rejected: u64,
    pub regenerations: u64,
}

#[derive(Clone)]
struct CachedPage {
    html: Arc<str>,
    revision: String,
    generated: SystemTime,
}

struct Entry {
    page: CachedPage,
    /// The next request re-renders before answering.
    expired: bool,
    /// The next request gets this page and starts a re-render.
    stale: bool,
}

struct Settings {
    mode: Mode,
    regen_delay: Duration,
    marker: bool,
    secret: Secret,
}

struct Inner {
    api: ContentApi,
    settings: Mutex<Settings>,
    pages: Mutex<HashMap<String, Entry>>,
    /// When each revision's page entered the cache, i.e. the site could serve it
    /// (the demo site's own clock).
    ready: Mutex<HashMap<String, SystemTime>>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    regenerations: AtomicU64,
}

/// A running demo site's handle; clones share the same site.
#[derive(Clone)]
pub struct DemoSite {
    inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl DemoSite {
    pub fn new(config: DemoConfig) -> Result<DemoSite, DemoError> {
        let api =
            ContentApi::new(&config.api_url, None).map_err(|e| DemoError::Config(e.to_string()))?;
        let secret = Secret::parse(&config.secret).map_err(|e| DemoError::Config(e.to_string()))?;
        let site = DemoSite {
            inner: Arc::new(Inner {
                api,
                settings: Mutex::new(Settings {
                    mode: Mode::ExpireNow,
                    regen_delay: config.regen_delay,
                    marker: config.marker,
                    secret,
                }),
                pages: Mutex::new(HashMap::new()),
                ready: Mutex::new(HashMap::new()),
                accepted: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                regenerations: AtomicU64::new(0),
            }),
        };
        site.set_mode(config.mode);
        Ok(site)
    }

    /// Switches mode; `wrong-secret` swaps in a random secret of the site's own.
    pub fn set_mode(&self, mode: Mode) {
        let mut settings = lock(&self.inner.settings);
        if mode == Mode::WrongSecret {
            settings.secret = Secret::generate();
        }
        settings.mode = mode;
    }

    pub fn set_regen_delay(&self, delay: Duration) {
        lock(&self.inner.settings).regen_delay = delay;
    }

    pub fn stats(&self) -> DemoStats {
        DemoStats {
            webhooks_accepted: self.inner.accepted.load(Ordering::Relaxed),
            webhooks_rejected: self.inner.rejected.load(Ordering::Relaxed),
            regenerations: self.inner.regenerations.load(Ordering::Relaxed),
        }
    }

    /// When the site started serving `revision` (its page entered the cache), by its
    /// own clock.
    pub fn ready_at(&self, revision: &str) -> Option<SystemTime> {
        lock(&self.inner.ready).get(revision).copied()
    }

    fn cache(&self, slug: String, page: CachedPage) {
        lock(&self.inner.ready)
            .entry(page.revision.clone())
            .or_insert_with(SystemTime::now);
        lock(&self.inner.pages).insert(
            slug,
            Entry {
                page,
                expired: false,
                stale: false,
            },
        );
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/tags/{tag}", get(tag_page))
            .route(STYLESHEET_PATH, get(stylesheet))
            .route("/posts/{slug}", get(page))
            .route(WEBHOOK_PATH, post(webhook))
            .with_state(self.clone())
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Builds the page of `slug` from the content API (after the configured delay).
    async fn build(&self, slug: &str) -> Result<Option<CachedPage>, String> {
        let (delay, marker) = {
            let s = lock(&self.inner.settings);
            (s.regen_delay, s.marker)
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let doc = match self.inner.api.get(slug).await {
            Ok(doc) => doc,
            Err(pressroom_core::Error::DocumentNotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        self.inner.regenerations.fetch_add(1, Ordering::Relaxed);
        Ok(Some(CachedPage {
            html: render_page(&doc, marker).into(),
            revision: doc.revision,
            generated: SystemTime::now(),
        }))
    }

    async fn rebuild_in_background(&self, slug: String) {
        if let Ok(Some(page)) = self.build(&slug).await {
            self.cache(slug, page);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a request for a cached page gets.
enum Cached {
    Hit(CachedPage),
    Stale(CachedPage),
    Miss,
}

async fn page(State(site): State<DemoSite>, Path(slug): Path<String>) -> Response {
    let cached = {
        let mut pages = lock(&site.inner.pages);
        match pages.get_mut(&slug) {
            Some(e) if e.expired => Cached::Miss,
            Some(e) if e.stale => {
                e.stale = false;
                Cached::Stale(e.page.clone())
            }
            Some(e) => Cached::Hit(e.page.clone()),
            None => Cached::Miss,
        }
    };
    let (page, cache) = match cached {
        Cached::Hit(page) => (page, "HIT"),
        Cached::Stale(page) => {
            let again = site.clone();
            tokio::spawn(async move { again.rebuild_in_background(slug).await });
            (page, "STALE")
        }
        Cached::Miss => match site.build(&slug).await {
            Ok(Some(page)) => {
                site.cache(slug, page.clone());
                (page, "MISS")
            }
            Ok(None) => {
                return (
                    StatusCode::NOT_FOUND,
                    Html(shell("Not found", "", "<p>No such page (yet).</p>")),
                )
                    .into_response()
            }
            Err(e) => {
                return (
                    StatusCode::BAD_GATEWAY,
                    Html(shell(
                        "Content API unavailable",
                        "",
                        &format!("<p>{}</p>", escape(&e)),
                    )),
                )
                    .into_response()
            }
        },
    };
    let age = page.generated.elapsed().unwrap_or_default().as_secs();
    let mut response = Html(page.html.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert("x-nextjs-cache", HeaderValue::from_static(cache));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("s-maxage=31536000, stale-while-revalidate"),
    );
    headers.insert(header::AGE, HeaderValue::from(age));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", page.revision)) {
        headers.insert(header::ETAG, etag);
    }
    response
}

async fn index(State(site): State<DemoSite>) -> Response {
    listing(&site, None).await
}

async fn tag_page(State(site): State<DemoSite>, Path(tag): Path<String>) -> Response {
    listing(&site, Some(&tag)).await
}

/// The index (or one tag's page), read from the content API on every request: each
/// item carries `data-content-revision`, the marker live confirmation checks on
/// listings.
async fn listing(site: &DemoSite, tag: Option<&str>) -> Response {
    match site.inner.api.list(tag).await {
        Ok(docs) => {
            let items: String = docs
                .iter()
                .map(|d| {
                    format!(
                        "<li data-content-revision=\"{}\"><a href=\"/posts/{}\">{}</a> <small>{}</small></li>",
                        escape(&d.revision),
                        escape(&d.slug),
                        escape(&d.title),
                        escape(&d.summary)
                    )
                })
                .collect();
            let title = tag.map_or("Demo site".to_owned(), |t| format!("Tagged {t}"));
            Html(shell(&title, "", &format!("<ul>{items}</ul>"))).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Html(shell(
                "Content API unavailable",
                "",
                &format!("<p>{}</p>", escape(&e.to_string())),
            )),
        )
            .into_response(),
    }
}

fn refused(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({ "error": error, "message": message }))).into_response()
}

async fn webhook(State(site): State<DemoSite>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (mode, secret) = {
        let s = lock(&site.inner.settings);
        (s.mode, s.secret.clone())
    };
    let (Some(id), Some(timestamp), Some(signature)) = (
        header("webhook-id"),
        header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
        header("webhook-signature"),
    ) else {
        site.inner.rejected.fetch_add(1, Ordering::Relaxed);
        return refused(
            StatusCode::BAD_REQUEST,
            "missing_headers",
            "webhook-id, webhook-timestamp and webhook-signature are required",
        );
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if !signing::verify(&secret, id, timestamp, &body, signature, now, 300) {
        site.inner.rejected.fetch_add(1, Ordering::Relaxed);
        return refused(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "the signature does not match this site's secret (or the timestamp is too old)",
        );
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        site.inner.rejected.fetch_add(1, Ordering::Relaxed);
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "not a content event",
        );
    };
    site.inner.accepted.fetch_add(1, Ordering::Relaxed);
    let mut touched = 0;
    if mode != Mode::IgnoreWebhook {
        let mut pages = lock(&site.inner.pages);
        for (slug, entry) in pages.iter_mut() {
            let tags = ["documents".to_owned(), format!("document:{slug}")];
            let path = PAGE_PATH.replace("{slug}", slug);
            let named = envelope.data.tags.iter().any(|t| tags.contains(t))
                || envelope.data.paths.contains(&path);
            if named {
                touched += 1;
                match mode {
                    Mode::StaleOnce => entry.stale = true,
                    _ => entry.expired = true,
                }
            }
        }
    }
    Json(json!({ "revalidated": mode != Mode::IgnoreWebhook, "pages": touched })).into_response()
}

fn render_page(doc: &ApiDocument, marker: bool) -> String {
    let meta = if marker {
        format!(
            "<meta name=\"content-revision\" content=\"{}\">",
            escape(&doc.revision)
        )
    } else {
        String::new()
    };
    let tags: String = doc
        .tags
        .iter()
        .map(|t| format!("<span class=\"tag\">{}</span>", escape(t)))
        .collect();
    // The API's html is already sanitized by the renderer.
    shell(
        &doc.title,
        &meta,
        &format!(
            "<article><h1>{}</h1><p class=\"meta\">{tags}</p>{}</article>",
            escape(&doc.title),
            doc.html
        ),
    )
}

fn shell(title: &str, head: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Demo site</title>{head}<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\
         <style>main{{min-height:50vh}}</style></head>\
         <body><header><a href=\"/\">Pressroom demo site</a></header><main>{main}</main>\
         </body></html>\n",
        escape(title)
    )
}

/// Where the demo site serves its stylesheet (linked from every page, as a real site
/// links its CSS bundle).
pub const STYLESHEET_PATH: &str = "/assets/site.css";

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

const STYLE: &str = "body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:0 auto;\
padding:1rem 1.5rem;color:#1d1d1f}header{border-bottom:1px solid #ddd;padding-bottom:.5rem}\
header a{color:#555;text-decoration:none;font-weight:600}.tag{background:#eef;border-radius:4px;\
padding:0 .4rem;margin-right:.3rem;font-size:.8em}pre{background:#f5f5f7;padding:.75rem;\
overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem}";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
