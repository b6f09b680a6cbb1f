//! Client of a content API v1 (docs/content-api.md), for the app and the CLI.
//!
//! Writes carry an `Idempotency-Key`; a request that failed to connect, timed out, or
//! got 429/502/503/504 is sent again with the same key (so a publish the server did
//! apply is not applied twice), after `Retry-After` or an exponential backoff.
//! Redirects are never followed: a moved API is a configuration error to show.
//! The token never appears in `Debug` output or in error messages.

use std::time::Duration;

use reqwest::{header, Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::revision::Content;
use crate::wire::{ApiDocument, DocumentList, ErrorBody, Health, PutDocument};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// First backoff; doubled on each retry.
    pub initial_backoff: Duration,
    /// Longest wait honoured from a `Retry-After` header.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct ContentApi {
    base: Url,
    token: Option<String>,
    http: reqwest::Client,
    retry: RetryPolicy,
}

impl std::fmt::Debug for ContentApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentApi")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A publish the content API accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub document: ApiDocument,
    /// True when the slug was new on the server (201).
    pub created: bool,
}

/// How long an image upload may take: up to 20 MiB over a slow uplink (the 30 s of
/// other requests would cut off a photo at under 6 Mbit/s).
pub(crate) const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// An http(s) URL to publish to, and the HTTP client every publishing client uses
/// (its user agent, connect and request timeouts, no redirects followed).
pub(crate) fn endpoint_and_client(url: &str) -> Result<(Url, reqwest::Client)> {
    let url = url.trim();
    let invalid = |reason: &str| Error::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("use an http:// or https:// URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // It would be stored and shown as it is.
        return Err(invalid("no user name or password in the URL"));
    }
    let http = reqwest::Client::builder()
        .user_agent(concat!("Pressroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| invalid(&e.to_string()))?;
    Ok((parsed, http))
}

impl ContentApi {
    pub fn new(base_url: &str, token: Option<String>) -> Result<ContentApi> {
        let (mut base, http) = endpoint_and_client(base_url)?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(ContentApi {
            base,
            token,
            http,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub async fn health(&self) -> Result<Health> {
        let response = self.send(Method::GET, "v1/health", None, |r| r).await?;
        json(response).await
    }

    pub async fn get(&self, slug: &str) -> Result<ApiDocument> {
        let response = self
            .send(
                Method::GET,
                &format!("v1/documents/{slug}"),
                Some(slug),
                |r| r,
            )
            .await?;
        json(response).await
    }

    pub async fn list(&self, tag: Option<&str>) -> Result<Vec<ApiDocument>> {
        let response = self
            .send(Method::GET, "v1/documents", None, |r| match tag {
                Some(tag) => r.query(&[("tag", tag)]),
                None => r,
            })
            .await?;
        Ok(json::<DocumentList>(response).await?.documents)
    }

    /// Publishes `content`. `base_revision` is the revision this edit started from
    /// (`None` for a first publish); `idempotency_key` must be the same for every retry
    /// of the same publish, including across restarts.
    /// Publishes `content` on top of `base_revision`; without one (a first publish) it
    /// only creates (`If-None-Match: *`): a slug someone else published is a conflict.
    pub async fn publish(
        &self,
        content: &Content,
        base_revision: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Published> {
        let none = std::collections::BTreeMap::new();
        self.publish_with_images(content, &none, base_revision, idempotency_key)
            .await
    }

    /// `publish`, with the images sent as a downscaled copy (`PutDocument::images`).
    pub async fn publish_with_images(
        &self,
        content: &Content,
        images: &std::collections::BTreeMap<String, String>,
        base_revision: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Published> {
        let body = PutDocument {
            title: content.title.clone(),
            markdown: content.markdown.clone(),
            tags: content.tags.clone(),
            front_matter: content.front_matter.clone(),
            base_revision: base_revision.map(str::to_owned),
            images: images.clone(),
        };
        let path = format!("v1/documents/{}", content.slug);
        let response = self
            .send(Method::PUT, &path, Some(&content.slug), |r| {
                let r = r.header("idempotency-key", idempotency_key).json(&body);
                if base_revision.is_none() {
                    r.header("if-none-match", "*")
                } else {
                    r
                }
            })
            .await?;
        let created = response.status() == StatusCode::CREATED;
        Ok(Published {
            document: json(response).await?,
            created,
        })
    }

    /// Keeps image `sha256` there (`PUT /v1/assets/{sha256}`; immutable, so a retry or
    /// a second upload is harmless). Returns the URL it is served at.
    pub async fn put_asset(&self, sha256: &str, mime: &str, bytes: &[u8]) -> Result<String> {
        let path = format!("v1/assets/{sha256}");
        let body = bytes.to_vec();
        self.send(Method::PUT, &path, None, |r| {
            r.header(header::CONTENT_TYPE, mime)
                .body(body.clone())
                .timeout(UPLOAD_TIMEOUT)
        })
        .await?;
        Ok(self.asset_url(sha256))
    }

    /// Whether the content API has image `sha256` (a conditional GET: no bytes come
    /// back when it does).
    pub async fn has_asset(&self, sha256: &str) -> Result<bool> {
        let path = format!("v1/assets/{sha256}");
        match self
            .send(Method::GET, &path, None, |r| {
                r.header(header::IF_NONE_MATCH, format!("\"{sha256}\""))
            })
            .await
        {
            // 304 Not Modified: it has exactly these bytes.
            Ok(_) | Err(Error::Rejected { status: 304, .. }) => Ok(true),
            Err(Error::Rejected { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Where the content API serves image `sha256`.
    pub fn asset_url(&self, sha256: &str) -> String {
        format!("{}v1/assets/{sha256}", self.base)
    }

    pub async fn unpublish(&self, slug: &str) -> Result<()> {
        self.send(
            Method::DELETE,
            &format!("v1/documents/{slug}"),
            Some(slug),
            |r| r,
        )
        .await?;
        Ok(())
    }

    /// Sends with retries; returns a 2xx response or the error it maps to.
    async fn send(
        &self,
        method: Method,
        path: &str,
        slug: Option<&str>,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let url = self.base.join(path).map_err(|e| Error::InvalidUrl {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })?;
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 0;
        loop {
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let outcome = build(request).send().await;
            let retry_after = match &outcome {
                Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => Some(None),
                Ok(r) if is_transient(r.status()) => Some(retry_after(r)),
                _ => None,
            };
            if let Some(wait) = retry_after.filter(|_| attempt < self.retry.retries) {
                let wait = wait
                    .map(|w| w.min(self.retry.max_retry_after))
                    .unwrap_or(backoff);
                tracing::debug!(%url, attempt, ?wait, "content API retry");
                tokio::time::sleep(wait).await;
                backoff *= 2;
                attempt += 1;
                continue;
            }
            let response = outcome.map_err(|e| Error::Unreachable {
                url: self.base.to_string(),
                reason: describe(&e),
            })?;
            return self.check(response, slug).await;
        }
    }

    async fn check(&self, response: Response, slug: Option<&str>) -> Result<Response> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_redirection() {
            let to = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("another URL")
                .to_owned();
            return Err(Error::Rejected {
                status: status.as_u16(),
                code: "redirect".into(),
                message: format!("the content API moved to {to}; update its URL"),
            });
        }
        let (code, message, current_revision) = match response.json::<ErrorBody>().await {
            Ok(body) => (
                body.error.code,
                body.error.message,
                body.error.current_revision,
            ),
            Err(_) => (
                status.canonical_reason().unwrap_or("error").to_lowercase(),
                format!("HTTP {status} without an error body"),
                None,
            ),
        };
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized {
                url: self.base.to_string(),
            },
            StatusCode::NOT_FOUND if code == "not_found" && slug.is_some() => {
                Error::DocumentNotFound {
                    slug: slug.unwrap_or_default().to_owned(),
                }
            }
            StatusCode::CONFLICT => Error::Conflict {
                slug: slug.unwrap_or_default().to_owned(),
                current_revision,
            },
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge { message },
            s if s.is_server_error() => Error::ServerError {
                status: s.as_u16(),
                message,
            },
            s => Error::Rejected {
                status: s.as_u16(),
                code,
                message,
            },
        })
    }
}

fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the HTTP-date form is treated as absent).
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// What a CMS answered (`wordpress.rs`, `directus.rs`), before each kind reads it in
/// its own error shape.
pub(crate) enum Reply {
    Json(serde_json::Value),
    /// No body at all.
    Empty,
    /// A redirect, to where.
    Redirect(String),
    /// A body that is not JSON (a web page, a proxy's error).
    Text(String),
}

/// Sends `request` to a CMS at `root`: its status and what came back. Only not
/// reaching it is an error here.
pub(crate) async fn reply(request: RequestBuilder, root: &Url) -> Result<(StatusCode, Reply)> {
    let unreachable = |e: reqwest::Error| Error::DestinationUnreachable {
        url: root.to_string(),
        reason: describe(&e),
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or("elsewhere")
            .to_owned();
        return Ok((status, Reply::Redirect(to)));
    }
    let text = response.text().await.map_err(unreachable)?;
    let reply = if text.is_empty() {
        Reply::Empty
    } else {
        match serde_json::from_str(&text) {
            Ok(answer) => Reply::Json(answer),
            Err(_) => Reply::Text(text),
        }
    };
    Ok((status, reply))
}

/// Why a request got no answer, in words: a timeout, a refused connection, or TLS
/// (a certificate the machine does not trust, or a server that does not speak it).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        chain.push_str(&s.to_string());
        chain.push_str(": ");
        source = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        format!(
            "TLS failed: {}; the server's certificate is not trusted here, or it does not \
             speak https at this address",
            chain.trim_end_matches(": ")
        )
    } else if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or no route".into()
    } else {
        e.to_string()
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T> {
    let status = response.status().as_u16();
    response.json::<T>().await.map_err(|e| Error::ServerError {
        status,
        message: format!("the answer is not what the content API v1 sends: {e}"),
    })
}
