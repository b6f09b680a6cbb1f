//! `cargo bench -p pressroom-core --bench wordpress`: publishing a 20 KB post to a real
//! WordPress (the test kit's private one) — Pressroom's client against the same REST
//! calls made by a bare reqwest client, rounds alternating in the same run. Each
//! publish updates the post in place: the tags looked up (2), the post's
//! `modified_gmt` read, the post written. Goal (issue #13): at most 1.2x.

use std::time::{Duration, Instant};

use pressroom_core::cms::{Outgoing, RemotePost};
use pressroom_core::wordpress::WordPress;
use pressroom_testkit::WordPress as Server;
use serde_json::{json, Value};

const ROUNDS: usize = 30;

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
}
