//! `pressroom site …`, `deliveries` and `redeliver`, with secrets in the opt-in file
//! store and a loopback receiver that verifies with the `standardwebhooks` crate.

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use support::{ApiProcess, TOKEN_VAR};

fn run(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    support::run_with_file_secrets(ws, args, env)
}

fn json(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(ws, &all, env);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn secrets_file(ws: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(ws.join("secrets.json")).unwrap()).unwrap()
}

#[test]
fn add_list_rotate_handler_remove() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    let added = json(
        ws,
        &[
            "site",
            "add",
            "blog",
            "--webhook-url",
            "https://blog.example/api/revalidate",
            "--page-url",
            "https://blog.example/posts/{slug}",
            "--paths",
            "/posts/{slug}",
        ],
        &[],
    );
    let first = added["new_secret"].as_str().unwrap().to_owned();
    assert!(first.starts_with("whsec_"));
    assert!(added["site"]["secret_ref"].is_string());
    assert!(
        !added["site"].to_string().contains(&first),
        "the site row has no secret"
    );

    let list = json(ws, &["site", "list"], &[]);
    assert_eq!(list["sites"][0]["name"], "blog");
    assert_eq!(
        list["sites"][0]["tag_templates"],
        serde_json::json!(["documents", "document:{slug}"])
    );

    let handler = String::from_utf8(run(ws, &["site", "handler", "blog"], &[]).stdout).unwrap();
    for needle in [
        "from \"standardwebhooks\"",
        "await request.text()",
        "revalidateTag(tag, profile)",
        "{ expire: 0 }",
        "revalidatePath(path)",
    ] {
        assert!(
            handler.contains(needle),
            "{needle} missing from:\n{handler}"
        );
    }

    let edited = json(
        ws,
        &["site", "edit", "blog", "--tags", "posts,post:{slug}"],
        &[],
    );
    assert_eq!(
        edited["sites"][0]["tag_templates"],
        serde_json::json!(["posts", "post:{slug}"])
    );
    assert_eq!(
        edited["sites"][0]["webhook_url"], "https://blog.example/api/revalidate",
        "unchanged"
    );
    let out = run(
        ws,
        &[
            "site",
            "edit",
            "blog",
            "--page-url",
            "https://blog.example/no-slug",
        ],
        &[],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("{slug}"),
        "validated like a new site"
    );

    let rotated = json(ws, &["site", "rotate-secret", "blog"], &[]);
    let second = rotated["new_secret"].as_str().unwrap().to_owned();
    let reference = added["site"]["secret_ref"].as_str().unwrap();
    let stored = &secrets_file(ws)[reference];
    assert_eq!(
        (stored["current"].as_str(), stored["previous"].as_str()),
        (Some(second.as_str()), Some(first.as_str()))
    );
    json(ws, &["site", "rotate-secret", "blog", "--finish"], &[]);
    assert!(secrets_file(ws)[reference].get("previous").is_none());

    // Entered secrets come from the environment and are validated.
    let out = run(
        ws,
        &[
            "site",
            "add",
            "shop",
            "--webhook-url",
            "https://s.example/h",
            "--page-url",
            "https://s.example/{slug}",
            "--secret-env",
            "SHOP_SECRET",
        ],
        &[("SHOP_SECRET", "not-a-whsec")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("whsec_"));
    let out = run(
        ws,
        &[
            "site",
            "add",
            "shop",
            "--webhook-url",
            "https://s.example/h",
            "--page-url",
            "https://s.example/{slug}",
            "--secret-env",
            "UNSET_VAR",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNSET_VAR"));
    let out = run(
        ws,
        &[
            "site",
            "add",
            "bad",
            "--webhook-url",
            "ftp://x",
            "--page-url",
            "https://s.example/{slug}",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://"));
    let out = run(
        ws,
        &[
            "site",
            "add",
            "hook",
            "--webhook-url",
            "https://api.vercel.example/hook",
            "--page-url",
            "https://s.example/{slug}",
            "--preset",
            "vercel_deploy_hook",
        ],
        &[],
    );
    assert!(out.status.success(), "deploy hooks need no secret");

    json(ws, &["site", "remove", "blog"], &[]);
    assert!(
        secrets_file(ws).get(reference).is_none(),
        "its secret went with it"
    );
    assert_eq!(
        json(ws, &["site", "list"], &[])["sites"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn wrong_secret_is_a_clear_error_and_fixing_it_then_redelivering_works() {
    let api_dir = tempfile::tempdir().unwrap();
    let api = ApiProcess::start(api_dir.path());
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();

    // The site verifies with its own secret, which Pressroom does not have yet.
    let site_secret = pressroom_core::signing::Secret::generate()
        .expose()
        .to_owned();
    let verifier_secret = site_secret.clone();
    let ids: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = ids.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/revalidate", listener.local_addr().unwrap());
        let router =
            axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (seen, secret) = (seen.clone(), verifier_secret.clone());
                async move {
                    let mut map = http::HeaderMap::new();
                    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
                        map.insert(name, headers[name].clone());
                    }
                    seen.lock()
                        .unwrap()
                        .push(headers["webhook-id"].to_str().unwrap().to_owned());
                    match standardwebhooks::Webhook::new(&secret)
                        .unwrap()
                        .verify(&body, &map)
                    {
                        Ok(()) => StatusCode::OK,
                        Err(_) => StatusCode::UNAUTHORIZED,
                    }
                }
            });
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        url
    });

    json(
        ws,
        &[
            "site",
            "add",
            "blog",
            "--webhook-url",
            &url,
            "--page-url",
            "http://127.0.0.1:9/posts/{slug}",
        ],
        &[],
    );
    json(
        ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
        &[],
    );
    json(ws, &["doc", "new", "hello", "--title", "Hello"], &[]);

    let out = run(ws, &["publish", "hello"], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "published, but a site refused the webhook"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("config_error") && stdout.contains("secret does not match"),
        "{stdout}"
    );

    let out = run(ws, &["--json", "publish", "hello"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["already_live"], true);
    assert_eq!(
        report["deliveries"][0]["state"], "config_error",
        "{report:#}"
    );

    let failed = json(ws, &["deliveries", "--failed"], &[]);
    let delivery = &failed["deliveries"][0];
    assert_eq!(delivery["state"], "config_error");
    assert_eq!(delivery["last_status"], 401);
    let id = delivery["id"].as_i64().unwrap().to_string();
    let detail = json(ws, &["deliveries", "--show", &id], &[]);
    assert_eq!(
        detail["attempts"].as_array().unwrap().len(),
        1,
        "a 401 is not retried blindly"
    );

    // Fix the secret, send again: delivered, with the same webhook-id.
    json(
        ws,
        &[
            "site",
            "rotate-secret",
            "blog",
            "--secret-env",
            "SITE_SECRET",
        ],
        &[("SITE_SECRET", &site_secret)],
    );
    let out = run(ws, &["redeliver", &id], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let detail = json(ws, &["deliveries", "--show", &id], &[]);
    assert_eq!(detail["delivery"]["state"], "delivered");
    // Two publishes (each its own webhook-id, both refused), then the redelivery of
    // the newest failed one, under that delivery's id.
    let ids = ids.lock().unwrap();
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    rt.shutdown_background();
}

#[test]
fn a_site_is_added_whole_or_not_at_all_and_its_theme_region_can_be_named() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "site",
            "add",
            "blog",
            "--webhook-url",
            "https://blog.example/api/revalidate",
            "--page-url",
            "https://blog.example/posts/{slug}",
        ];
        args.extend_from_slice(extra);
        run(ws, &args, &[])
    };
    // Each refused before anything is written: no site, no secret left behind.
    for bad in [
        &["--article-selector", "main["][..],
        &["--instances", "http://10.0.0.2:3000/api"],
        &["--also-confirm", "tags/{tag}"],
        &["--confirm-timeout", "0"],
    ] {
        let out = add(bad);
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        let list = json(ws, &["site", "list"], &[]);
        assert_eq!(list["sites"], serde_json::json!([]), "{bad:?} left a site");
    }
    let out = add(&["--article-selector", "main .post", "--also-confirm", "/"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = json(ws, &["site", "list"], &[]);
    assert_eq!(list["sites"][0]["article_selector"], "main .post");
    assert_eq!(list["sites"][0]["also_confirm"], serde_json::json!(["/"]));
    // An edit that would be refused changes nothing either.
    let out = run(
        ws,
        &[
            "site",
            "edit",
            "blog",
            "--page-url",
            "https://other.example/{slug}",
            "--instances",
            "nope",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let list = json(ws, &["site", "list"], &[]);
    assert_eq!(
        list["sites"][0]["page_url_template"],
        "https://blog.example/posts/{slug}"
    );
    assert_eq!(list["sites"][0]["heal"], true, "heals by default");
    json(
        ws,
        &[
            "site",
            "edit",
            "blog",
            "--article-selector",
            "",
            "--heal",
            "false",
        ],
        &[],
    );
    let list = json(ws, &["site", "list"], &[]);
    assert_eq!(
        list["sites"][0]["article_selector"],
        serde_json::Value::Null
    );
    assert_eq!(list["sites"][0]["heal"], false);
}
