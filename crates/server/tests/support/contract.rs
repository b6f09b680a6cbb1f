//! The content API contract (docs/content-api.md) as test bodies that run against any
//! deployment: `tests/api.rs` runs them on one instance over a SQLite file,
//! `tests/postgres.rs` on three instances over PostgreSQL behind nginx. Every endpoint,
//! every error case, and the races.

use std::future::Future;
use std::pin::Pin;

use pressroom_core::{markdown, Content};
use pressroom_server::DEFAULT_BODY_LIMIT;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-that-is-long-enough";

/// Starts a deployment whose instances take bodies up to the given size.
pub type Start = fn(usize) -> Pin<Box<dyn Future<Output = Api> + Send>>;

/// What the contract looks at behind the API: the storage itself.
pub trait Deployment: Send + Sync {
    /// Changes recorded for `slug` (publishes and unpublishes).
    fn history_len(&self, slug: &str) -> usize;
    /// Published documents.
    fn documents(&self) -> usize;
    /// Panics unless the database's own check passes.
    fn check_integrity(&self);
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub deployment: Box<dyn Deployment>,
    pub stop: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn put(&self, slug: &str, body: Value) -> reqwest::Response {
        self.http
            .put(self.url(&format!("/v1/documents/{slug}")))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// Stops the deployment gracefully.
    pub async fn stop(self) {
        self.stop.await;
    }
}

/// One `#[tokio::test]` per contract test, on the deployment `$start` makes.
#[macro_export]
macro_rules! contract_suite {
    ($start:expr) => {
        $crate::contract_suite!($start;
            health_and_unknown_routes,
            publish_create_update_unchanged_with_byte_identical_html,
            conditional_get_list_and_tags,
            writes_need_the_token_and_bad_input_changes_nothing,
            idempotency_keys_replay_the_first_answer,
            stale_base_revision_is_a_conflict_naming_the_current_one,
            unpublish,
            concurrent_publishes_one_winner_no_lost_update,
            assets_are_put_once_by_their_hash_and_served_for_ever,
            images_get_addresses_readers_reach_copies_and_covers_included,
        );
    };
    ($start:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                support::contract::$name($start).await;
            }
        )*
    };
}

pub async fn error_code(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("errors are JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, code, body)
}

pub fn doc(title: &str, markdown: &str) -> Value {
    json!({"title": title, "markdown": markdown, "tags": ["news", "documents"], "front_matter": {"author": "Ann"}})
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub async fn health_and_unknown_routes(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let health: Value = api.get("/v1/health").await.json().await.unwrap();
    assert_eq!(health["ok"], true);
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));

    let (status, code, _) = error_code(api.get("/v2/nothing").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let response = api.http.post(api.url("/v1/health")).send().await.unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    api.stop().await;
}

pub async fn publish_create_update_unchanged_with_byte_identical_html(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let md = "# Hello\n\nFirst *words* with a [link](https://example.com).\n\n<script>x</script>";
    let response = api.put("hello", doc("Hello", md)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();

    let expected_revision = Content {
        slug: "hello".into(),
        title: "Hello".into(),
        markdown: md.into(),
        tags: vec!["news".into(), "documents".into()],
        front_matter: json!({"author": "Ann"}).as_object().unwrap().clone(),
    }
    .revision();
    assert_eq!(
        created["revision"], expected_revision,
        "the app can predict it"
    );
    assert_eq!(etag, format!("\"{expected_revision}\""));
    assert_eq!(
        created["html"],
        markdown::render(md),
        "same bytes as the local preview"
    );
    assert!(!created["html"].as_str().unwrap().contains("<script"));
    assert_eq!(created["summary"], "First words with a link.");
    assert_eq!(created["front_matter"]["author"], "Ann");
    for field in ["published_at", "updated_at"] {
        let ts = created[field].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "{field}: {ts}");
    }

    // The same content again: 200, nothing new recorded.
    let again = api.put("hello", doc("Hello", md)).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["updated_at"], created["updated_at"]);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = api.put("hello", doc("Hello", "# Hello\n\nSecond.")).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.unwrap();
    assert_ne!(updated["revision"], created["revision"]);
    assert_eq!(updated["published_at"], created["published_at"]);
    assert_ne!(updated["updated_at"], created["updated_at"]);

    let fetched: Value = api.get("/v1/documents/hello").await.json().await.unwrap();
    assert_eq!(fetched, updated);
    assert_eq!(api.deployment.history_len("hello"), 2);
    api.stop().await;
}

pub async fn conditional_get_list_and_tags(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    api.put("first", doc("First", "one")).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    api.put(
        "second",
        json!({"title": "Second", "markdown": "two", "tags": ["other"]}),
    )
    .await;

    let response = api.get("/v1/documents/first").await;
    let etag = response.headers()["etag"].clone();
    let not_modified = api
        .http
        .get(api.url("/v1/documents/first"))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(not_modified.headers()["etag"], etag);
    let weak_list = api
        .http
        .get(api.url("/v1/documents/first"))
        .header(
            "if-none-match",
            format!("\"r_0000000000000000\", W/{}", etag.to_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(weak_list.status(), StatusCode::NOT_MODIFIED);
    let stale = api
        .http
        .get(api.url("/v1/documents/first"))
        .header("if-none-match", "\"r_0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);

    let list: Value = api.get("/v1/documents").await.json().await.unwrap();
    let slugs: Vec<_> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["second", "first"], "newest first");
    let tagged: Value = api
        .get("/v1/documents?tag=news")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tagged["documents"].as_array().unwrap().len(), 1);
    assert_eq!(tagged["documents"][0]["slug"], "first");

    let (status, code, _) = error_code(api.get("/v1/documents/missing").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, code, _) = error_code(api.get("/v1/documents/Bad_Slug").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_slug")
    );
    api.stop().await;
}

pub async fn writes_need_the_token_and_bad_input_changes_nothing(start: Start) {
    let api = start(4096).await;
    api.put("keep", doc("Keep", "original")).await;
    let original: Value = api.get("/v1/documents/keep").await.json().await.unwrap();

    let no_token = api
        .http
        .put(api.url("/v1/documents/keep"))
        .json(&doc("Evil", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    let (status, code, _) = error_code(no_token).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    for wrong in ["wrong", "test-token-that-is-long-enougH", ""] {
        let response = api
            .http
            .put(api.url("/v1/documents/keep"))
            .bearer_auth(wrong)
            .json(&doc("Evil", "x"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let delete = api
        .http
        .delete(api.url("/v1/documents/keep"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::UNAUTHORIZED);

    let too_big = api.put("keep", doc("Big", &"x".repeat(10_000))).await;
    let (status, code, _) = error_code(too_big).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    let malformed = api
        .http
        .put(api.url("/v1/documents/keep"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"title\": \"x\", \"markdown\": ")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(malformed).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let (status, code, _) =
        error_code(api.put("keep", json!({"title": "no markdown"})).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let (status, code, _) = error_code(api.put("Bad Slug", doc("x", "y")).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_slug")
    );

    let after: Value = api.get("/v1/documents/keep").await.json().await.unwrap();
    assert_eq!(after, original, "nothing stored changed");
    assert_eq!(api.deployment.history_len("keep"), 1);
    api.deployment.check_integrity();
    api.stop().await;
}

pub async fn idempotency_keys_replay_the_first_answer(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let send = |key: &'static str, body: Value| {
        api.http
            .put(api.url("/v1/documents/idem"))
            .bearer_auth(TOKEN)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send("key-1", doc("Idem", "v1")).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    // Meanwhile the document moves on.
    api.put("idem", doc("Idem", "v2")).await;

    let retry = send("key-1", doc("Idem", "v1")).await.unwrap();
    assert_eq!(
        retry.status(),
        StatusCode::CREATED,
        "the first answer, status included"
    );
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first);
    let current: Value = api.get("/v1/documents/idem").await.json().await.unwrap();
    assert_ne!(
        current["revision"], first["revision"],
        "a replay changes nothing"
    );

    let reused = send("key-1", doc("Idem", "something else")).await.unwrap();
    let (status, code, _) = error_code(reused).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    assert_eq!(api.deployment.history_len("idem"), 2);
    api.stop().await;
}

pub async fn stale_base_revision_is_a_conflict_naming_the_current_one(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let v1: Value = api.put("doc", doc("Doc", "v1")).await.json().await.unwrap();
    let mut edit = doc("Doc", "v2");
    edit["base_revision"] = v1["revision"].clone();
    let v2: Value = api.put("doc", edit.clone()).await.json().await.unwrap();

    let mut stale = doc("Doc", "v3 from an old copy");
    stale["base_revision"] = v1["revision"].clone();
    let (status, code, body) = error_code(api.put("doc", stale).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(body["error"]["current_revision"], v2["revision"]);

    let mut gone = doc("New", "x");
    gone["base_revision"] = json!("r_0123456789abcdef");
    let (status, _, body) = error_code(api.put("never-published", gone).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].get("current_revision").is_none());
    api.stop().await;
}

pub async fn unpublish(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    api.put("bye", doc("Bye", "x")).await;
    api.get("/v1/documents/bye").await; // cached
    let delete = || {
        api.http
            .delete(api.url("/v1/documents/bye"))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/v1/documents/bye").await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, code, _) = error_code(delete().await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let list: Value = api.get("/v1/documents").await.json().await.unwrap();
    assert!(list["documents"].as_array().unwrap().is_empty());
    api.stop().await;
}

pub async fn concurrent_publishes_one_winner_no_lost_update(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let base: Value = api
        .put("contested", doc("Contested", "base"))
        .await
        .json()
        .await
        .unwrap();
    let base_revision = base["revision"].as_str().unwrap().to_owned();

    let mut tasks = Vec::new();
    for i in 0..50 {
        let (http, url) = (
            api.http.clone(),
            api.url(&format!("/v1/documents/many-{i}")),
        );
        tasks.push(tokio::spawn(async move {
            let r = http
                .put(url)
                .bearer_auth(TOKEN)
                .json(&doc("Many", &format!("body {i}")))
                .send()
                .await
                .unwrap();
            (r.status(), None::<Value>)
        }));
    }
    for i in 0..20 {
        let (http, url) = (api.http.clone(), api.url("/v1/documents/contested"));
        let mut body = doc("Contested", &format!("edit {i}"));
        body["base_revision"] = json!(base_revision);
        tasks.push(tokio::spawn(async move {
            let r = http
                .put(url)
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, Some(r.json::<Value>().await.unwrap()))
        }));
    }
    let mut created = 0;
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::CREATED, None) => created += 1,
            (StatusCode::OK, Some(doc)) => winners.push(doc),
            (StatusCode::CONFLICT, Some(err)) => {
                assert_eq!(err["error"]["code"], "conflict");
                conflicts += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 50);
    assert_eq!(
        winners.len(),
        1,
        "exactly one holder of the base revision wins"
    );
    assert_eq!(conflicts, 19);
    let current: Value = api
        .get("/v1/documents/contested")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current, winners[0], "the winner's edit is what is served");
    api.deployment.check_integrity();
    assert_eq!(api.deployment.documents(), 51);
    assert_eq!(api.deployment.history_len("contested"), 2);
    api.stop().await;
}

pub async fn assets_are_put_once_by_their_hash_and_served_for_ever(start: Start) {
    let api = start(DEFAULT_BODY_LIMIT).await;
    let sha = pressroom_core::assets::sha256_hex(PNG);
    let put = |path: String, mime: &'static str, body: Vec<u8>, token: Option<&'static str>| {
        let mut request = api
            .http
            .put(api.url(&path))
            .header("content-type", mime)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let path = format!("/v1/assets/{sha}");

    // The token first, before any byte is read.
    let r = put(path.clone(), "image/png", PNG.to_vec(), None)
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "unauthorized");
    // Bytes that are not what the name says, or not what the type says.
    let other = format!("/v1/assets/{}", "0".repeat(64));
    let r = put(other, "image/png", PNG.to_vec(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "digest_mismatch");
    let r = put(path.clone(), "image/jpeg", PNG.to_vec(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "unsupported_media_type");
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec();
    let svg_path = format!("/v1/assets/{}", pressroom_core::assets::sha256_hex(&svg));
    let r = put(svg_path, "image/svg+xml", svg, Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "unsupported_media_type");
    let r = put(
        "/v1/assets/..%2Fx".into(),
        "image/png",
        PNG.to_vec(),
        Some(TOKEN),
    )
    .await
    .unwrap();
    assert_eq!(error_code(r).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get(&path).await.status(), StatusCode::NOT_FOUND);

    // Put once (201), again changes nothing (200), served as it was.
    let r = put(path.clone(), "image/png", PNG.to_vec(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = put(path.clone(), "image/png", PNG.to_vec(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = api.get(&path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = api
        .http
        .get(api.url(&path))
        .header("if-none-match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // Images are allowed more than documents (2 MiB): 3 MiB goes in.
    let mut large = PNG.to_vec();
    large.resize(3 * 1024 * 1024, 0);
    let large_path = format!("/v1/assets/{}", pressroom_core::assets::sha256_hex(&large));
    let r = put(large_path, "image/png", large, Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Over the image limit: refused before it is all read.
    let big = vec![0u8; pressroom_core::assets::MAX_BYTES + 1];
    let r = put(path.clone(), "image/png", big, Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "too_large");
    api.stop().await;
}

pub async fn images_get_addresses_readers_reach_copies_and_covers_included(start: Start) {
    let (a, b) = ("a1".repeat(32), "b2".repeat(32));
    let body = json!({
        "title": "Pictures",
        "markdown": format!("![one](asset:{a})\n\n<img src=\"asset:{b}\" alt=\"raw\">\n"),
        "front_matter": {"cover": format!("asset:{a}")},
        // `a` went out as a downscaled copy `b`.
        "images": {a.clone(): b.clone()},
    });
    let api = start(DEFAULT_BODY_LIMIT).await;
    // Behind a proxy: where the reader came, not where the proxy connected.
    let r = api
        .http
        .put(api.url("/v1/documents/pictures"))
        .bearer_auth(TOKEN)
        .header("x-forwarded-host", "cdn.example.com, inner.local")
        .header("x-forwarded-proto", "https")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let doc: Value = r.json().await.unwrap();
    let html = doc["html"].as_str().unwrap();
    let copy = format!("https://cdn.example.com/v1/assets/{b}");
    assert!(
        html.contains(&format!("src=\"{copy}\" alt=\"one\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("<img src=\"{copy}\" alt=\"raw\">")),
        "{html}"
    );
    assert_eq!(doc["cover"], json!(copy));
    // The revision is the content's: the copies are not part of it.
    assert_eq!(
        doc["front_matter"]["cover"],
        json!(format!("asset:{a}")),
        "kept as sent"
    );
    // An `images` entry that is not two hashes is refused.
    let mut bad = body.clone();
    bad["images"] = json!({"../x": b});
    let r = api
        .http
        .put(api.url("/v1/documents/bad"))
        .bearer_auth(TOKEN)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "invalid_json");
    api.stop().await;
}
