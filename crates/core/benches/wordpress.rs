//! `cargo bench -p pressroom-core --bench wordpress`: publishing a 20 KB post to a real
//! WordPress (the test kit's private one) — Pressroom's client against the same REST
//! calls made by a bare reqwest client, rounds alternating in the same run. Each
//! publish updates the post in place: the tags looked up (2), the post's
//! `modified_gmt` read, the post written. Goal (issue #13): at most 1.2x.
//!
//! Then a pull of 500 posts (about 4 KB each, tagged) into an empty workspace: the
//! whole of `pressroom pull` (REST pages, tag names, HTML to markdown, 500 drafts
//! written) against the bare REST reads alone, alternating, in the same run.

use std::time::{Duration, Instant};

use std::sync::Mutex;

use pressroom_core::cms::{Outgoing, RemotePost};
use pressroom_core::destinations::{self, NewDestination};
use pressroom_core::secrets::SecretStore;
use pressroom_core::wordpress::WordPress;
use pressroom_core::{pull, Store};
use pressroom_testkit::WordPress as Server;
use serde_json::{json, Value};

const ROUNDS: usize = 30;
const PULLED: usize = 500;
const PULL_ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

/// The same four calls, written out with reqwest alone.
async fn bare(server: &Server, http: &reqwest::Client, id: &str, html: &str) {
    let root = server.rest_root.trim_end_matches('/');
    let auth = |r: reqwest::RequestBuilder| r.basic_auth(&server.user, Some(&server.app_password));
    let get = async |url: String| -> Value {
        auth(http.get(url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let mut tags = Vec::new();
    for slug in ["launch", "spring-news"] {
        let found = get(format!("{root}/wp/v2/tags&slug={slug}")).await;
        tags.push(found[0]["id"].as_u64().unwrap());
    }
    let current = get(format!("{root}/wp/v2/posts/{id}&context=edit")).await;
    assert!(current["modified_gmt"].is_string());
    let content = format!("<!-- wp:html -->\n{html}\n<!-- /wp:html -->");
    let body = json!({ "title": "A 20 KB post", "slug": "bench-post", "content": content,
                       "excerpt": "", "tags": tags, "status": "publish" });
    let response = auth(http.post(format!("{root}/wp/v2/posts/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let _: Value = response.json().await.unwrap();
}

fn main() {
    let server = Server::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let html = "<p>A paragraph of the post, about publishing, long enough to matter.</p>\n"
        .repeat(20 * 1024 / 72);
    let tags = vec!["launch".to_owned(), "Spring News".to_owned()];
    let post = Outgoing {
        title: "A 20 KB post",
        slug: "bench-post",
        html: &html,
        excerpt: "",
        tags: &tags,
        markdown: "",
        categories: &[],
        revision: "r_0000000000000000",
        draft: false,
        status: None,
        cover: None,
        publish_at: None,
        date: None,
    };
    rt.block_on(async {
        let wp = WordPress::new(&server.rest_root, &server.user, &server.app_password).unwrap();
        let http = reqwest::Client::new();
        let mut remote: RemotePost = wp.publish(&post, None, false).await.unwrap();
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            for first in [round % 2 == 0, round % 2 != 0] {
                let start = Instant::now();
                if first {
                    remote = wp.publish(&post, Some(&remote), true).await.unwrap();
                    ours.push(start.elapsed());
                } else {
                    bare(&server, &http, &remote.id, &html).await;
                    theirs.push(start.elapsed());
                }
            }
        }
        let (o, t) = (median(ours), median(theirs));
        println!(
            "publish a {} KB post to WordPress (update in place, 2 tags): pressroom median \
             {o:.1} ms, bare reqwest median {t:.1} ms, ratio {:.2}x (goal <= 1.2x)",
            html.len() / 1024,
            o / t
        );
    });
    rt.block_on(pull_bench(&server));
}

/// The REST reads of a pull, written out with reqwest alone: every page of posts,
/// then the names of their tags.
async fn bare_pull(server: &Server, http: &reqwest::Client) -> usize {
    let root = server.rest_root.trim_end_matches('/');
    let auth = |r: reqwest::RequestBuilder| r.basic_auth(&server.user, Some(&server.app_password));
    let mut posts = Vec::new();
    for page in 1.. {
        let url = format!(
            "{root}/wp/v2/posts&context=edit&per_page=100&page={page}\
             &status=publish,future,draft,pending,private&orderby=id&order=asc"
        );
        let list: Vec<Value> = auth(http.get(url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let last = list.len() < 100;
        posts.extend(list);
        if last {
            break;
        }
    }
    let mut ids: Vec<u64> = posts
        .iter()
        .flat_map(|p| p["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_u64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    for taxonomy in ["tags", "categories"] {
        let include: Vec<String> = ids.iter().map(u64::to_string).collect();
        let url = format!(
            "{root}/wp/v2/{taxonomy}&include={}&per_page=100",
            include.join(",")
        );
        let _: Value = auth(http.get(url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    posts.len()
}

async fn pull_bench(server: &Server) {
    let http = reqwest::Client::new();
    let root = server.rest_root.trim_end_matches('/');
    let body = "<p>A paragraph of a post made in WordPress, with <strong>some</strong> \
                <a href=\"https://example.com/\">markup</a> to convert.</p>\n"
        .repeat(32);
    let start = Instant::now();
    for i in 0..PULLED {
        let post = json!({ "title": format!("Post {i}"), "slug": format!("post-{i}"),
                           "content": body, "status": "publish", "tags": [] });
        let response = http
            .post(format!("{root}/wp/v2/posts"))
            .basic_auth(&server.user, Some(&server.app_password))
            .json(&post)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    eprintln!(
        "made {PULLED} posts in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..PULL_ROUNDS {
        for first in [round % 2 == 0, round % 2 != 0] {
            if first {
                let dir = tempfile::tempdir().unwrap();
                let store = Mutex::new(Store::open(dir.path().join("workspace.db")).unwrap());
                let secrets = SecretStore::File(dir.path().join("secrets.json"));
                destinations::add(
                    &mut store.lock().unwrap(),
                    &secrets,
                    &NewDestination {
                        name: "wp".into(),
                        kind: "wordpress".into(),
                        url: server.rest_root.clone(),
                        user: server.user.clone(),
                        secret: server.app_password.clone(),
                        mapping: None,
                    },
                )
                .unwrap();
                let start = Instant::now();
                let report = pull::pull(&store, &secrets, "wp", false).await.unwrap();
                ours.push(start.elapsed());
                assert_eq!(report.created.len(), PULLED + 2, "every post, once");
            } else {
                let start = Instant::now();
                let n = bare_pull(server, &http).await;
                theirs.push(start.elapsed());
                assert!(n > PULLED);
            }
        }
    }
    let (o, t) = (median(ours), median(theirs));
    println!(
        "pull {PULLED} posts of {} KB from WordPress into drafts: pressroom median {o:.0} ms \
         ({:.2} ms a post), the bare REST reads median {t:.0} ms, ratio {:.2}x",
        body.len() / 1024,
        o / PULLED as f64,
        o / t
    );
}
