//! `pressroom destination …` against a real WordPress (the test kit's private one):
//! add with the password from a variable (kept in the secret store, never in SQLite),
//! test the login, a wrong password refused with the fix, publish a draft, publish it
//! again in place after an edit, refuse to overwrite a post edited in WordPress, take
//! it down. Then the whole loop: the Next.js example reading WordPress, a site that
//! reads from the destination, `pressroom publish --wait-live` confirmed by the
//! revision marker the post carries, and `pressroom pull` bringing posts made in
//! WordPress into drafts and edits made there into unchanged drafts.

mod support;

use std::path::Path;
use std::process::Output;

use pressroom_testkit::{build_nextjs_example_with, free_port, NextServer, WordPress};

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
    let id = first["post"]["id"].as_str().unwrap().to_owned();
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

/// A post made in WordPress directly (as an editor there would): its id.
fn post_in_wordpress(server: &WordPress, body: serde_json::Value) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!(
                "{}/wp/v2/posts",
                server.rest_root.trim_end_matches('/')
            ))
            .basic_auth(&server.user, Some(&server.app_password))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["id"].as_u64().expect("created").to_string()
    })
}

/// An edit made in WordPress to post `id`.
fn edit_in_wordpress(server: &WordPress, id: &str, body: serde_json::Value) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let status = reqwest::Client::new()
            .post(format!(
                "{}/wp/v2/posts/{id}",
                server.rest_root.trim_end_matches('/')
            ))
            .basic_auth(&server.user, Some(&server.app_password))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
    });
}

fn source(ws: &Path, slug: &str) -> String {
    ok(ws, &["doc", "show", slug], &[])
}

#[test]
fn the_nextjs_example_reads_wordpress_and_publish_and_pull_go_both_ways() {
    let mut server = WordPress::start();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let password = [("WP_PASSWORD", server.app_password.as_str())];
    ok(
        ws,
        &[
            "destination",
            "add",
            "wp",
            "--url",
            &server.rest_root,
            "--user",
            &server.user,
            "--password-env",
            "WP_PASSWORD",
        ],
        &password,
    );
    // A post written in WordPress before Pressroom came.
    let theirs = post_in_wordpress(
        &server,
        serde_json::json!({ "title": "Made in WordPress", "slug": "made-there",
            "content": "<p>An <em>older</em> post.</p>", "status": "publish" }),
    );

    // The example reads WordPress; its route handler is the one it always had.
    let example = build_nextjs_example_with(&[
        ("PRESSROOM_SOURCE", "wordpress"),
        ("WORDPRESS_API_URL", &server.rest_root),
    ]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let added: serde_json::Value = serde_json::from_str(&ok(
        ws,
        &[
            "--json",
            "site",
            "add",
            "nextjs",
            "--destination",
            "wp",
            "--webhook-url",
            &format!("{base}/api/revalidate"),
            "--page-url",
            &format!("{base}/posts/{{slug}}"),
            "--paths",
            "",
        ],
        &[],
    ))
    .unwrap();
    assert_eq!(added["site"]["destination"], "wp");
    let secret = added["new_secret"].as_str().unwrap().to_owned();
    let _site = NextServer::start(
        &example,
        port,
        &[
            ("PRESSROOM_SOURCE", "wordpress"),
            ("WORDPRESS_API_URL", &server.rest_root),
            ("PRESSROOM_WEBHOOK_SECRET", &secret),
        ],
        &tmp.path().join("next.log"),
    );
    // What the site showed before anything was published from here.
    let _ = pressroom_testkit::wait_for_page(&format!("{base}/posts/made-there"));

    // Published to WordPress (no content API in this workspace at all), the site
    // told, and the page confirmed by the revision marker the post carries.
    let text = ws.join("post.md");
    std::fs::write(
        &text,
        "---\ntitle: Hello from Pressroom\ntags: [news]\ncategories: [Updates]\n---\nThe first text.\n",
    )
    .unwrap();
    ok(
        ws,
        &["doc", "new", "hello", "--file", text.to_str().unwrap()],
        &[],
    );
    let live = ok(ws, &["publish", "hello", "--wait-live=60"], &[]);
    assert!(live.contains("wp (wordpress)"), "{live}");
    assert!(
        live.contains("serves revision"),
        "confirmed by the marker: {live}"
    );
    let page = pressroom_testkit::wait_for_page(&format!("{base}/posts/hello"));
    assert!(page.contains("The first text."));

    // Changed and published again: the same post, the new text live.
    std::fs::write(
        &text,
        "---\ntitle: Hello from Pressroom\ntags: [news]\n---\nThe second text.\n",
    )
    .unwrap();
    ok(
        ws,
        &["doc", "edit", "hello", "--file", text.to_str().unwrap()],
        &[],
    );
    let again = ok(ws, &["publish", "hello", "--wait-live=60"], &[]);
    assert!(again.contains("serves revision"), "{again}");
    assert!(
        pressroom_testkit::wait_for_page(&format!("{base}/posts/hello"))
            .contains("The second text.")
    );

    // WordPress down mid-publish: a clear error, no site told, nothing lost; once it
    // is back, publishing again updates the same post (pull below finds no second).
    server.stop_web();
    std::fs::write(
        &text,
        "---\ntitle: Hello from Pressroom\ntags: [news]\n---\nThe third text.\n",
    )
    .unwrap();
    ok(
        ws,
        &["doc", "edit", "hello", "--file", text.to_str().unwrap()],
        &[],
    );
    let down = fails(ws, &["publish", "hello", "--wait-live=30"], &[]);
    assert!(down.contains("cannot be reached"), "{down}");
    assert!(ok(ws, &["doc", "show", "hello"], &[]).contains("The third text."));
    server.start_web();
    let back_up = ok(ws, &["publish", "hello", "--wait-live=60"], &[]);
    assert!(back_up.contains("serves revision"), "{back_up}");
    assert!(
        pressroom_testkit::wait_for_page(&format!("{base}/posts/hello"))
            .contains("The third text.")
    );

    // An image: into WordPress's media library once, the page live only once it
    // shows it and it loads.
    let picture = ws.join("harbour.png");
    let img = image::RgbImage::from_pixel(48, 32, image::Rgb([20, 110, 180]));
    img.save(&picture).unwrap();
    ok(
        ws,
        &[
            "doc",
            "image",
            "hello",
            picture.to_str().unwrap(),
            "--alt",
            "Harbour",
        ],
        &[],
    );
    for round in 0..2 {
        let live = ok(ws, &["publish", "hello", "--wait-live=60"], &[]);
        assert!(live.contains("serves revision"), "round {round}: {live}");
        if round == 0 {
            std::fs::write(
                &text,
                ok(ws, &["doc", "show", "hello"], &[]).replace("The third text.", "The fourth."),
            )
            .unwrap();
            ok(
                ws,
                &["doc", "edit", "hello", "--file", text.to_str().unwrap()],
                &[],
            );
        }
    }
    let page = pressroom_testkit::wait_for_page(&format!("{base}/posts/hello"));
    assert!(
        page.contains("wp-content/uploads"),
        "the image from WordPress: {page}"
    );
    let media: serde_json::Value = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::Client::new()
                .get(format!(
                    "{}/wp/v2/media",
                    server.rest_root.trim_end_matches('/')
                ))
                .basic_auth(&server.user, Some(&server.app_password))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    };
    assert_eq!(media.as_array().unwrap().len(), 1, "uploaded once: {media}");

    // Pull: the posts made in WordPress (ours, and the "Hello world!" every new
    // WordPress has) become linked drafts; the one published from here is unchanged.
    let pulled: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp"], &[])).unwrap();
    let mut created: Vec<&str> = pulled["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    created.sort_unstable();
    assert_eq!(created, ["hello-world", "made-there"], "{pulled}");
    assert_eq!(pulled["unchanged"], 1, "{pulled}");
    let made = source(ws, "made-there");
    assert!(made.contains("title: Made in WordPress"), "{made}");
    assert!(made.contains("An *older* post."), "{made}");
    // Pulling again changes nothing.
    let twice: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp"], &[])).unwrap();
    assert_eq!(twice["unchanged"], 3, "{twice}");
    assert_eq!(twice["created"], serde_json::json!([]), "{twice}");

    // The pulled draft, changed here, is published back in place and confirmed.
    let edited = made.replace(
        "An *older* post.",
        "An *older* post, now edited in Pressroom.",
    );
    std::fs::write(&text, &edited).unwrap();
    ok(
        ws,
        &[
            "doc",
            "edit",
            "made-there",
            "--file",
            text.to_str().unwrap(),
        ],
        &[],
    );
    let back = ok(ws, &["publish", "made-there", "--wait-live=60"], &[]);
    assert!(back.contains("serves revision"), "{back}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "destination", "list"], &[])).unwrap();
    assert_eq!(listed["destinations"].as_array().unwrap().len(), 1);
    assert!(
        pressroom_testkit::wait_for_page(&format!("{base}/posts/made-there"))
            .contains("now edited in Pressroom"),
        "updated in place: the same slug, no second post"
    );

    // Edited in WordPress: a draft without changes of its own takes the edit; one
    // changed here too is kept (and said so) unless asked.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    edit_in_wordpress(
        &server,
        &theirs,
        serde_json::json!({ "content": "<p>Edited in WordPress again.</p>" }),
    );
    let taken: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp"], &[])).unwrap();
    assert_eq!(
        taken["updated"],
        serde_json::json!(["made-there"]),
        "{taken}"
    );
    assert!(source(ws, "made-there").contains("Edited in WordPress again."));

    std::thread::sleep(std::time::Duration::from_millis(1100));
    edit_in_wordpress(
        &server,
        &theirs,
        serde_json::json!({ "content": "<p>A third WordPress edit.</p>" }),
    );
    let mine = source(ws, "made-there").replace("again.", "again, and here.");
    std::fs::write(&text, &mine).unwrap();
    ok(
        ws,
        &[
            "doc",
            "edit",
            "made-there",
            "--file",
            text.to_str().unwrap(),
        ],
        &[],
    );
    let kept: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp"], &[])).unwrap();
    assert_eq!(kept["kept"][0]["slug"], "made-there", "{kept}");
    assert!(
        source(ws, "made-there").contains("again, and here."),
        "nothing lost"
    );
    let replaced: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp", "--replace-changed"], &[])).unwrap();
    assert_eq!(
        replaced["updated"],
        serde_json::json!(["made-there"]),
        "{replaced}"
    );
    assert!(source(ws, "made-there").contains("A third WordPress edit."));
    // Still in the history.
    let history = ok(ws, &["doc", "history", "made-there"], &[]);
    assert!(history.lines().count() >= 3, "{history}");

    scheduled_posts_are_wordpress_s_own_too(&server, ws, &text, &base);

    // A destination sites read from is not removed.
    let refused = fails(ws, &["destination", "remove", "wp", "--forget-posts"], &[]);
    assert!(refused.contains("nextjs"), "{refused}");
}

/// The content API's copy as it is now: its revision, or `None`.
fn api_revision(api: &str, slug: &str) -> Option<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = reqwest::get(format!("{api}/v1/documents/{slug}"))
            .await
            .unwrap();
        if r.status() == 404 {
            return None;
        }
        let doc: serde_json::Value = r.json().await.unwrap();
        doc["revision"].as_str().map(str::to_owned)
    })
}

fn revision_of(ws: &Path, slug: &str) -> String {
    // The newest saved revision is the draft's.
    let history: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "doc", "history", slug], &[])).unwrap();
    history["revisions"][0]["content_revision"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_cms_failing_after_the_content_api_took_it_leaves_nothing_stuck() {
    let mut server = WordPress::start();
    let tmp = tempfile::tempdir().unwrap();
    let ws = &tmp.path().join("ws");
    let api = support::ApiProcess::start(&tmp.path().join("api"));
    let password = [("WP_PASSWORD", server.app_password.as_str())];
    ok(
        ws,
        &[
            "api",
            "set",
            "--url",
            &api.url,
            "--token-env",
            support::TOKEN_VAR,
        ],
        &[],
    );
    ok(
        ws,
        &[
            "destination",
            "add",
            "wp",
            "--url",
            &server.rest_root,
            "--user",
            &server.user,
            "--password-env",
            "WP_PASSWORD",
        ],
        &password,
    );
    // One site reads the content API, one reads WordPress (their webhooks go nowhere:
    // this is about what is written where).
    for (site, destination) in [("from-api", "api"), ("from-wp", "wp")] {
        ok(
            ws,
            &[
                "site",
                "add",
                site,
                "--webhook-url",
                "http://127.0.0.1:9/hook",
                "--page-url",
                "http://127.0.0.1:9/posts/{slug}",
                "--destination",
                destination,
            ],
            &[],
        );
    }
    let text = ws.join("post.md");
    let edit = |body: &str| {
        std::fs::write(&text, format!("---\ntitle: Hello\n---\n{body}\n")).unwrap();
        ok(
            ws,
            &["doc", "edit", "hello", "--file", text.to_str().unwrap()],
            &[],
        );
    };
    std::fs::write(&text, "---\ntitle: Hello\n---\nOne.\n").unwrap();
    ok(
        ws,
        &["doc", "new", "hello", "--file", text.to_str().unwrap()],
        &[],
    );

    // WordPress down: found before anything is written anywhere; no site told.
    server.stop_web();
    let down = fails(ws, &["publish", "hello", "--wait", "0"], &[]);
    assert!(down.contains("cannot be reached"), "{down}");
    assert_eq!(
        api_revision(&api.url, "hello"),
        None,
        "nothing half-written"
    );
    let deliveries: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "deliveries"], &[])).unwrap();
    assert_eq!(
        deliveries["deliveries"],
        serde_json::json!([]),
        "no webhook"
    );
    server.start_web();

    // WordPress refusing the write itself (a tag it cannot name), after the content
    // API took it: no site told; then, changed meanwhile, the next publish finds the
    // content API's copy known as ours (no conflict with itself) and WordPress gets
    // its one post.
    std::fs::write(&text, "---\ntitle: Hello\ntags: [\"???\"]\n---\nOne.\n").unwrap();
    ok(
        ws,
        &["doc", "edit", "hello", "--file", text.to_str().unwrap()],
        &[],
    );
    let refused = fails(ws, &["publish", "hello", "--wait", "0"], &[]);
    assert!(refused.contains("no letters or digits"), "{refused}");
    assert_eq!(
        api_revision(&api.url, "hello"),
        Some(revision_of(ws, "hello"))
    );
    edit("Two.");
    let out = run(ws, &["publish", "hello", "--wait", "0"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("hello published"), "{stdout} {out:?}");
    assert_eq!(
        api_revision(&api.url, "hello"),
        Some(revision_of(ws, "hello"))
    );

    // Published to the WordPress site only: the content API keeps its copy, and a later
    // publish to the site that reads it goes through from that base.
    edit("Three.");
    let out = run(
        ws,
        &["publish", "hello", "--site", "from-wp", "--wait", "0"],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello published"));
    assert_ne!(
        api_revision(&api.url, "hello"),
        Some(revision_of(ws, "hello"))
    );
    edit("Four.");
    let out = run(
        ws,
        &["publish", "hello", "--site", "from-api", "--wait", "0"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("hello published"), "{stdout} {out:?}");
    assert_eq!(
        api_revision(&api.url, "hello"),
        Some(revision_of(ws, "hello"))
    );

    // Taken down from the WordPress site only; the content API's site can still be.
    let _ = run(
        ws,
        &["unpublish", "hello", "--site", "from-wp", "--wait", "0"],
        &[],
    );
    let out = run(
        ws,
        &["unpublish", "hello", "--site", "from-api", "--wait", "0"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("taken down"), "{stdout} {out:?}");
    assert_eq!(api_revision(&api.url, "hello"), None);
    // One post in WordPress all along, now gone.
    let pulled: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "pull", "wp"], &[])).unwrap();
    assert_eq!(
        pulled["created"],
        serde_json::json!(["hello-world"]),
        "{pulled}"
    );
}

/// The post with `slug` in WordPress, whatever its status.
fn wordpress_post(server: &WordPress, slug: &str) -> serde_json::Value {
    let found = wordpress_posts(server, slug);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

/// The posts with `slug` in WordPress (published, scheduled or drafts).
fn wordpress_posts(server: &WordPress, slug: &str) -> Vec<serde_json::Value> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let found: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/wp/v2/posts",
                server.rest_root.trim_end_matches('/')
            ))
            .query(&[
                ("slug", slug),
                ("status", "publish,future,draft"),
                ("context", "edit"),
            ])
            .basic_auth(&server.user, Some(&server.app_password))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    found
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("not a list: {found}"))
}

/// Issue #16: a schedule is WordPress's own scheduled post too (`future`, at the due
/// time) from the moment it is set; moved to a time sooner, the daemon publishes it
/// then, dated then, tells the site and confirms its page. Cancelled, the post held
/// there is removed.
fn scheduled_posts_are_wordpress_s_own_too(server: &WordPress, ws: &Path, text: &Path, base: &str) {
    use std::time::{Duration, Instant};
    let in_secs = |secs: u64| {
        (time::OffsetDateTime::now_utc() + Duration::from_secs(secs))
            .replace_nanosecond(0)
            .unwrap()
    };
    let new_doc = |slug: &str, source: &str| {
        std::fs::write(text, source).unwrap();
        ok(
            ws,
            &["doc", "new", slug, "--file", text.to_str().unwrap()],
            &[],
        );
    };
    new_doc(
        "tomorrow",
        "---\ntitle: Tomorrow morning\n---\nThe scheduled text.\n",
    );
    let rfc3339 = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    // WordPress takes a post as scheduled only a minute ahead or more.
    let first = rfc3339(in_secs(150));
    let set = ok(ws, &["publish", "tomorrow", "--at", &first], &[]);
    assert!(set.contains("wp: scheduled there too"), "{set}");
    let held = wordpress_post(server, "tomorrow");
    assert_eq!(held["status"], "future", "{held}");
    assert_eq!(
        held["date_gmt"].as_str().unwrap(),
        &first[..19],
        "WordPress's own time for it is the due time"
    );
    assert!(held["content"]["raw"]
        .as_str()
        .unwrap()
        .contains("The scheduled text."));

    // Cancelled: the post held there for it is removed (it was never published).
    new_doc("some-day", "---\ntitle: Some day\n---\nNot yet.\n");
    ok(
        ws,
        &["publish", "some-day", "--at", &rfc3339(in_secs(3600))],
        &[],
    );
    assert_eq!(wordpress_post(server, "some-day")["status"], "future");
    let cancelled = ok(ws, &["schedule", "cancel", "some-day"], &[]);
    assert!(
        cancelled.contains("wp: its scheduled post is removed there"),
        "{cancelled}"
    );
    assert!(wordpress_posts(server, "some-day").is_empty());
    // Scheduled again, then moved to the Trash: removed there too (WordPress would
    // publish it by itself at the time).
    ok(
        ws,
        &["publish", "some-day", "--at", &rfc3339(in_secs(3600))],
        &[],
    );
    assert_eq!(wordpress_post(server, "some-day")["status"], "future");
    let trashed = ok(ws, &["doc", "delete", "some-day"], &[]);
    assert!(
        trashed.contains("wp: its scheduled post is removed there"),
        "{trashed}"
    );
    assert!(wordpress_posts(server, "some-day").is_empty());

    // Published by hand before its time: out there now, dated now (not left held
    // for the scheduled date), and its page confirmed.
    new_doc(
        "early",
        "---\ntitle: Early bird\n---\nOut before its time.\n",
    );
    ok(
        ws,
        &["publish", "early", "--at", &rfc3339(in_secs(3600))],
        &[],
    );
    assert_eq!(wordpress_post(server, "early")["status"], "future");
    let before = rfc3339(in_secs(0));
    let early = ok(ws, &["publish", "early", "--wait-live=60"], &[]);
    assert!(early.contains("serves revision"), "{early}");
    let out = wordpress_post(server, "early");
    assert_eq!(out["status"], "publish", "{out}");
    assert!(out["date_gmt"].as_str().unwrap() >= &before[..19], "{out}");

    // Moved sooner (too soon for WordPress to hold): the daemon carries it out then —
    // published there, dated its new time, the site told and its page confirmed.
    let due = in_secs(8);
    let moved = rfc3339(due);
    ok(ws, &["publish", "tomorrow", "--at", &moved], &[]);
    assert_eq!(wordpress_post(server, "tomorrow")["status"], "future");

    let mut daemon = support::pressroom(ws)
        .arg("daemon")
        .env("PRESSROOM_SECRETS_FILE", ws.join("secrets.json"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let done = loop {
        let listed: serde_json::Value =
            serde_json::from_str(&ok(ws, &["--json", "schedule", "list"], &[])).unwrap();
        let tomorrow = listed["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["slug"] == "tomorrow")
            .cloned()
            .unwrap();
        if tomorrow["state"] != "pending" {
            break tomorrow;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "not carried out: {tomorrow}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(done["state"], "done", "{done}");
    assert!(
        time::OffsetDateTime::now_utc() >= due,
        "not before its time"
    );
    let out = wordpress_post(server, "tomorrow");
    assert_eq!(out["status"], "publish", "{out}");
    // Dated when it went out (its time, give or take the second it took).
    let dated = out["date_gmt"].as_str().unwrap();
    assert!(
        dated >= &moved[..19] && dated < &rfc3339(due + Duration::from_secs(30))[..19],
        "{out}"
    );
    let start = Instant::now();
    loop {
        let deliveries: serde_json::Value =
            serde_json::from_str(&ok(ws, &["--json", "deliveries", "--limit", "5"], &[])).unwrap();
        let newest = deliveries["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["slug"] == "tomorrow")
            .cloned()
            .unwrap_or_default();
        if newest["stage"]["stage"] == "live" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the site's page was not confirmed: {newest}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        pressroom_testkit::wait_for_page(&format!("{base}/posts/tomorrow"))
            .contains("The scheduled text.")
    );
    let _ = daemon.kill();
    let _ = daemon.wait();
}
