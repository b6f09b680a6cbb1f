//! End to end against the real Next.js 16 example (examples/nextjs-site): a real
//! `pressroom serve`, `next build` and `next start` started here, a changed document
//! published with `--wait-live`, which must confirm the new revision — once with the
//! handler's default `revalidateTag(tag, { expire: 0 })` and once with `"max"`
//! (stale-while-revalidate: the first visitor gets the old page).

mod support;

use std::path::{Path, PathBuf};

use pressroom_testkit::{build_nextjs_example, free_port, wait_for_page, NextServer};
use support::{ok, pressroom, run, ApiProcess, TOKEN_VAR};

/// `next start` of the example on `port`, reading from `api`, verifying with `secret`,
/// revalidating with `profile`.
fn start(
    example: &Path,
    port: u16,
    api: &str,
    secret: &str,
    profile: &str,
    log: &Path,
) -> NextServer {
    NextServer::start(
        example,
        port,
        &[
            ("PRESSROOM_API_URL", api),
            ("PRESSROOM_WEBHOOK_SECRET", secret),
            ("PRESSROOM_REVALIDATE_PROFILE", profile),
        ],
        log,
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn publish_wait_live_confirms_the_new_revision_on_a_real_nextjs_site() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, api_dir) = (tmp.path().join("ws"), tmp.path().join("api"));
    let api = ApiProcess::start(&api_dir);
    let secrets_file = tmp.path().join("secrets.json");
    let with_secrets = |args: &[&str]| {
        let out = pressroom(&ws)
            .env("PRESSROOM_SECRETS_FILE", &secrets_file)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    ok(
        &ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    let md = write(
        tmp.path(),
        "hello.md",
        "---\ntitle: Hello from Pressroom\n---\nThe first version.\n",
    );
    ok(
        &ws,
        &["doc", "new", "hello", "--file", md.to_str().unwrap()],
    );
    ok(&ws, &["publish", "hello"]);

    // Build against the running API (it prerenders the known pages), from scratch.
    let example = build_nextjs_example(&api.url);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (code, added) = with_secrets(&[
        "--json",
        "site",
        "add",
        "nextjs",
        "--webhook-url",
        &format!("{base}/api/revalidate"),
        "--page-url",
        &format!("{base}/posts/{{slug}}"),
        // Tags only: revalidatePath would re-render at once even under "max".
        "--paths",
        "",
    ]);
    assert_eq!(code, Some(0), "{added}");
    let added: serde_json::Value = serde_json::from_str(&added).unwrap();
    let secret = added["new_secret"].as_str().unwrap().to_owned();
    // The example's handler is exactly what `site handler` generates.
    let (_, handler) = with_secrets(&["site", "handler", "nextjs"]);
    let shipped = std::fs::read_to_string(example.join("app/api/revalidate/route.ts")).unwrap();
    assert_eq!(
        handler.replace("\"nextjs\"", "\"nextjs-example\""),
        shipped,
        "examples/nextjs-site/app/api/revalidate/route.ts is the generated handler"
    );

    for (round, profile) in ["expire", "max"].into_iter().enumerate() {
        let server = start(
            &example,
            port,
            &api.url,
            &secret,
            profile,
            &tmp.path().join(format!("next-{profile}.log")),
        );
        let page = wait_for_page(&format!("{base}/posts/hello"));
        assert!(page.contains("name=\"content-revision\""), "{page}");

        // Visit once so the page is cached, then change and publish.
        let text = format!(
            "---\ntitle: Hello from Pressroom\n---\nRound {round}: rewritten with the {profile} profile.\n"
        );
        let md = write(tmp.path(), "hello.md", &text);
        ok(
            &ws,
            &["doc", "edit", "hello", "--file", md.to_str().unwrap()],
        );
        let revision = serde_json::from_str::<serde_json::Value>(&ok(
            &ws,
            &["--json", "doc", "show", "hello"],
        ))
        .unwrap()["revision"]
            .as_str()
            .unwrap()
            .to_owned();
        let (code, out) = with_secrets(&["publish", "hello", "--wait-live=60"]);
        assert_eq!(code, Some(0), "publish --wait-live failed:\n{out}");
        assert!(
            out.contains(&format!("serves revision {revision}")),
            "{out}"
        );
        if profile == "max" {
            assert!(
                out.contains("STALE"),
                "with \"max\" the first visitor gets the old page:\n{out}"
            );
        }
        let page = wait_for_page(&format!("{base}/posts/hello"));
        assert!(page.contains(&revision) && page.contains(&format!("Round {round}")));
        drop(server);
    }

    // A wrong secret on the site: a clear 401 configuration error, exit 1, never live.
    let _server = start(
        &example,
        port,
        &api.url,
        pressroom_core::signing::Secret::generate().expose(),
        "expire",
        &tmp.path().join("next-wrong.log"),
    );
    wait_for_page(&format!("{base}/posts/hello"));
    let md = write(
        tmp.path(),
        "hello.md",
        "---\ntitle: Hello from Pressroom\n---\nThis one never arrives.\n",
    );
    ok(
        &ws,
        &["doc", "edit", "hello", "--file", md.to_str().unwrap()],
    );
    let (code, out) = with_secrets(&["publish", "hello", "--wait-live=10"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("401") && out.contains("secret"), "{out}");
    assert!(!out.contains("✓ Live"), "{out}");
    let _ = run(&ws, &["deliveries"]);
}
