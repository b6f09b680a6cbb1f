//! `pressroom destination …` against a real WordPress (the test kit's private one):
//! add with the password from a variable (kept in the secret store, never in SQLite),
//! test the login, a wrong password refused with the fix, publish a draft, publish it
//! again in place after an edit, refuse to overwrite a post edited in WordPress, take
//! it down.

mod support;

use std::path::Path;
use std::process::Output;

use pressroom_testkit::WordPress;

fn run(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    support::run_with_file_secrets(ws, args, env)
}

fn ok(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(ws, args, env);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(ws, args, env);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// The public page of post `id`: status and HTML.
fn page(server: &WordPress, id: &str) -> (u16, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = reqwest::get(format!("{}/?p={id}", server.url))
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

#[test]
fn a_draft_is_published_to_wordpress_in_place_from_the_cli() {
    let server = WordPress::start();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let good = [("WP_PASSWORD", server.app_password.as_str())];
    let bad = [("WP_PASSWORD", "wrong password here")];

    // A wrong password: added (the URL is fine), but the login test says what to fix.
    let add = |name: &str, env: &[(&str, &str)]| {
        ok(
            ws,
            &[
                "destination",
                "add",
                name,
                "--url",
                &server.rest_root,
                "--user",
                "admin",
                "--password-env",
                "WP_PASSWORD",
            ],
            env,
        )
    };
    add("wrong", &bad);
    let refused = fails(ws, &["destination", "test", "wrong"], &[]);
    assert!(refused.contains("Application Password"), "{refused}");
    ok(ws, &["destination", "remove", "wrong"], &[]);

    add("blog", &good);
    let test = ok(ws, &["destination", "test", "blog"], &[]);
    assert!(
        test.contains("logged in as admin") && test.contains("may publish"),
        "{test}"
    );
    let db = std::fs::read(ws.join("workspace.db")).unwrap();
    assert!(
        !db.windows(server.app_password.len())
            .any(|w| w == server.app_password.as_bytes()),
        "the password is not in SQLite"
    );
    assert!(ok(ws, &["destination", "list"], &[]).contains("blog"));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "destination", "list"], &[])).unwrap();
    assert_eq!(listed["destinations"][0]["name"], "blog");
    assert!(listed["destinations"][0].get("secret_ref").is_none());

    // Published, then published again in place after an edit.
    let text = ws.join("post.md");
    std::fs::write(
        &text,
        "---\ntitle: Spring launch\ntags: [launch]\n---\nThe first text.\n",
    )
    .unwrap();
    ok(
        ws,
        &[
            "doc",
            "new",
            "spring-launch",
            "--file",
            text.to_str().unwrap(),
        ],
        &[],
    );
    let first: serde_json::Value = serde_json::from_str(&ok(
        ws,
        &["--json", "destination", "publish", "blog", "spring-launch"],
        &[],
    ))
    .unwrap();
    let id = first["post"]["id"].as_u64().unwrap().to_string();
    assert!(page(&server, &id).1.contains("The first text."));
    std::fs::write(
        &text,
        "---\ntitle: Spring launch\ntags: [launch]\n---\nThe second text.\n",
    )
    .unwrap();
    ok(
        ws,
        &[
            "doc",
            "edit",
            "spring-launch",
            "--file",
            text.to_str().unwrap(),
        ],
        &[],
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = ok(
        ws,
        &["destination", "publish", "blog", "spring-launch"],
        &[],
    );
    assert!(again.contains(&format!("post {id} ")), "in place: {again}");
    assert!(page(&server, &id).1.contains("The second text."));

    // Edited in WordPress meanwhile: refused, and the edit stays, until --overwrite.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{}/wp/v2/posts/{id}",
                server.rest_root.trim_end_matches('/')
            ))
            .basic_auth("admin", Some(&server.app_password))
            .json(&serde_json::json!({ "content": "Edited in WordPress." }))
            .send()
            .await
            .unwrap();
    });
    let conflict = fails(
        ws,
        &["destination", "publish", "blog", "spring-launch"],
        &[],
    );
    assert!(conflict.contains("edited there"), "{conflict}");
    assert!(page(&server, &id).1.contains("Edited in WordPress."));
    ok(
        ws,
        &[
            "destination",
            "publish",
            "blog",
            "spring-launch",
            "--overwrite",
        ],
        &[],
    );
    assert!(page(&server, &id).1.contains("The second text."));

    // Taken down: the page is gone.
    ok(
        ws,
        &["destination", "unpublish", "blog", "spring-launch"],
        &[],
    );
    assert_eq!(page(&server, &id).0, 404);
}
