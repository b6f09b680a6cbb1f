//! The HTTP surface of docs/content-api.md. Handlers unpack the request, make one
//! storage call, and shape the answer. Writes are authenticated by a middleware before
//! anything reads their body. Every request gets an id (`X-Request-Id`, the client's
//! when it sent a usable one), logged with it and counted in `/metrics`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use pressroom_core::slug;
use pressroom_core::store::PreparedPut;
use pressroom_core::wire::{DocumentList, Health, PutDocument};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::auth::WriteToken;
use crate::error::ApiError;
use crate::metrics::{Metrics, PublishOutcome};
use crate::storage::{Cached, Storage};

#[derive(Clone)]
pub(crate) struct AppState {
    pub storage: Storage,
    pub token: Arc<WriteToken>,
    pub body_limit: usize,
    pub request_timeout: std::time::Duration,
    /// `Config::public_url`, without its trailing slash.
    pub public_url: Option<Arc<str>>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if self.token.accepts(value) {
            Ok(())
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

pub(crate) fn router(state: AppState) -> Router {
    let body_limit = state.body_limit;
    let authenticate = middleware::from_fn_with_state(state.clone(), authenticate_writes);
    let authenticate_assets = middleware::from_fn_with_state(state.clone(), authenticate_writes);
    let deadline = middleware::from_fn_with_state(state.request_timeout, deadline);
    Router::new()
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/documents", get(list_documents))
        .route(
            "/v1/documents/{slug}",
            get(get_document).merge(
                put(put_document)
                    .delete(delete_document)
                    .route_layer(authenticate),
            ),
        )
        .route(
            "/v1/assets/{sha256}",
            get(get_asset).merge(
                put(put_asset)
                    .route_layer(authenticate_assets)
                    .layer(DefaultBodyLimit::max(pressroom_core::assets::MAX_BYTES)),
            ),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(deadline)
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// A request (a slow body included) that takes longer than `limit` is answered 408.
async fn deadline(State(limit): State<std::time::Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs_f32()),
        )
        .into_response(),
    }
}

/// Every write is authenticated first, before its body is read: an unauthenticated
/// client cannot make the server read or buffer anything.
async fn authenticate_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.authorize(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The slug from the path, a bad one (undecodable too) in the error shape.
fn slug_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(slug) =
        path.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))?;
    check_slug(&slug)?;
    Ok(slug)
}

/// The id of a request: the client's `X-Request-Id` when it is 1 to 64 visible ASCII
/// characters, else a new random one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).expect("the OS random source is available");
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
}

/// One line per request, in a span naming its id: method, path, status, time. Never
/// headers (tokens live there). Counted by route in `/metrics`; the id is answered in
/// `X-Request-Id`.
async fn log_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let id = request_id(req.headers());
    let span = tracing::info_span!("request", id = %id);
    let start = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let seconds = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(%method, path, status, ms = seconds * 1e3, "request");
    });
    state
        .metrics
        .request(method.as_str(), &route, status, seconds);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Whether this instance can serve: 200, or 503 when its database cannot be reached.
async fn health(State(state): State<AppState>) -> Response {
    let reachable = state.storage.check().await;
    let health = Health {
        ok: reachable.is_ok(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: Some(state.storage.backend().to_owned()),
    };
    let status = if health.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        state.metrics.encode(),
    )
        .into_response()
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not supported on {}", uri.path()),
    )
}

fn check_slug(slug: &str) -> Result<(), ApiError> {
    slug::validate(slug).map_err(ApiError::from)
}

#[derive(Deserialize)]
struct ListQuery {
    tag: Option<String>,
}

async fn list_documents(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<DocumentList>, ApiError> {
    let Query(query) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let documents = state.storage.list(query.tag).await?;
    Ok(Json(DocumentList { documents }))
}

fn etag(revision: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).expect("revisions are ASCII")
}

/// Whether `If-None-Match` names this revision (or `*`), weak or strong.
fn not_modified(headers: &HeaderMap, revision: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|tag| tag == "*" || tag == revision)
}

fn document_response(status: StatusCode, entry: &Cached, headers: &HeaderMap) -> Response {
    let mut response = if status == StatusCode::OK && not_modified(headers, &entry.revision) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            entry.json.clone(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag(&entry.revision));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn get_document(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_of(path)?;
    let entry = state.storage.document(&slug).await?.ok_or_else(|| {
        ApiError::from(pressroom_core::Error::DocumentNotFound { slug: slug.clone() })
    })?;
    Ok(document_response(StatusCode::OK, &entry, &headers))
}

/// Longest Idempotency-Key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

async fn put_document(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let slug = slug_of(path)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the request body is over the limit of {} bytes; split the document",
                    state.body_limit
                ),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                rejection.body_text(),
            )
        }
    })?;
    let request: PutDocument = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not a valid document: {e}"),
        )
    })?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
                .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_header",
                        format!(
                            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII \
                             characters"
                        ),
                    )
                })
        })
        .transpose()?;
    let asset_base = asset_base(state.public_url.as_deref(), &headers, uri.authority());
    if let Some((key, value)) = request.images.iter().find(|(k, v)| {
        !pressroom_core::assets::is_sha256(k) || !pressroom_core::assets::is_sha256(v)
    }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("images maps an image's SHA-256 to its copy's (64 lowercase hex digits each), not {key:?} to {value:?}"),
        ));
    }
    // `If-None-Match: *`: create only, never overwrite what someone else published.
    let create_only = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .any(|v| v.as_bytes().trim_ascii() == b"*");
    let request_hash = {
        let mut h = Sha256::new();
        h.update(slug.as_bytes());
        h.update(b"\n");
        h.update(&body);
        format!("{:x}", h.finalize())
    };
    // Rendering is the costly part: off the async workers, before any lock.
    let prepared = tokio::task::spawn_blocking(move || {
        PreparedPut::new(&slug, &request, asset_base.as_deref())
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let put = state
        .storage
        .put(prepared, create_only, key.map(|key| (key, request_hash)))
        .await;
    let outcome = match &put {
        Ok(put) if put.replayed => Some(PublishOutcome::Replayed),
        Ok(put) if put.status == 201 => Some(PublishOutcome::Created),
        Ok(_) => Some(PublishOutcome::Updated),
        Err(e) if e.status == StatusCode::CONFLICT => Some(PublishOutcome::Conflict),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        state.metrics.publish(outcome);
    }
    let put = put?;
    let (status, entry, replayed) = (put.status, put.entry, put.replayed);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = document_response(status, &entry, &HeaderMap::new());
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Where this server's images are: the base of their addresses in a document's
/// `html`. The configured public URL, else as the writer reached it — a proxy's
/// `X-Forwarded-Host` (and `X-Forwarded-Proto` when it ends TLS), else `Host`, else
/// HTTP/2's `:authority`. `None` when none is usable.
fn asset_base(
    public_url: Option<&str>,
    headers: &HeaderMap,
    authority: Option<&axum::http::uri::Authority>,
) -> Option<String> {
    if let Some(url) = public_url {
        return Some(format!("{url}/v1/assets/"));
    }
    let usable = |host: &str| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            // A chain of proxies lists each: the first is where the client came.
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let host = header("x-forwarded-host")
        .filter(|h| usable(h))
        .or_else(|| header("host").filter(|h| usable(h)))
        .or_else(|| authority.map(|a| a.as_str()).filter(|h| usable(h)))?;
    let proto = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Some(format!("{proto}://{host}/v1/assets/"))
}

/// The hex SHA-256 in an asset's path.
fn sha256_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(sha256) =
        path.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))?;
    if !pressroom_core::assets::is_sha256(&sha256) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "an asset is named by the SHA-256 of its bytes: 64 lowercase hex digits",
        ));
    }
    Ok(sha256)
}

/// Keeps an image (docs/content-api.md): its bytes must be what its name says, and
/// the image type it is sent as; immutable once there.
async fn put_asset(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let sha256 = sha256_of(path)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "an image may be at most {} bytes",
                    pressroom_core::assets::MAX_BYTES
                ),
            )
        } else {
            ApiError::new(rejection.status(), "invalid_body", rejection.body_text())
        }
    })?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let sniffed = pressroom_core::assets::sniff(&body).map_or("", |(_, mime)| mime);
    if sniffed.is_empty() || sniffed != mime {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send a PNG, JPEG, GIF or WebP image with its Content-Type (got {:?} with {})",
                mime,
                if sniffed.is_empty() {
                    "bytes of no such image"
                } else {
                    sniffed
                }
            ),
        ));
    }
    if pressroom_core::assets::sha256_hex(&body) != sha256 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "digest_mismatch",
            "the bytes' SHA-256 is not the one in the path",
        ));
    }
    let created = state.storage.put_asset(sha256, sniffed, body).await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

/// An image as it was put, cacheable for ever (its name is its content).
async fn get_asset(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sha256 = sha256_of(path)?;
    let etag = format!("\"{sha256}\"");
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    // A conditional GET that matches needs only to know it is there: its bytes (up to
    // 20 MiB) are not read.
    let asset = state
        .storage
        .asset(sha256.clone(), not_modified)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no image {sha256} here"),
            )
        })?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let mut response = match asset {
        None => StatusCode::NOT_MODIFIED.into_response(),
        Some(asset) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&asset.mime).expect("a mime type"),
            )],
            asset.bytes,
        )
            .into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

async fn delete_document(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let slug = slug_of(path)?;
    state.storage.delete(slug).await?;
    Ok(StatusCode::NO_CONTENT)
}
