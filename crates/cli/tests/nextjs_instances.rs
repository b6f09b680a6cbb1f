//! "Live" on a self-hosted deployment: three instances of the real Next.js example
//! (`next start` on three ports, each with a build and caches of its own) behind nginx
//! from Debian as a round-robin balancer, all started here on free loopback ports.
//! `revalidateTag` clears only the instance that got the webhook, so:
//! - the webhook to the balancer only → "partly live", naming the stale instance (told
//!   apart by the example's `x-instance-id`), exit 1, never Live;
//! - the instances listed → the webhook goes to each, each is confirmed through its own
//!   origin (the index page too) → Live, and 200 GETs through the balancer all serve the
//!   new revision.

mod support;

use std::path::Path;
use std::process::Command;

use pressroom_testkit::{build_nextjs_example, copy_of_build, free_port, NextServer, Nginx};
use support::{ok, pressroom, ApiProcess, TOKEN_VAR};

const SECRET_VAR: &str = "PRESSROOM_TEST_SITE_SECRET";

/// `pressroom ARGS` with the site's secret at hand: exit code and stdout.
fn cli(ws: &Path, secret: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = pressroom(ws)
        .env(SECRET_VAR, secret)
        .env("PRESSROOM_SECRETS_FILE", ws.with_extension("secrets.json"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Writes "hello" (`verb`: "new" or "edit") and returns its new revision.
fn write_doc(ws: &Path, dir: &Path, verb: &str, text: &str) -> String {
    let md = dir.join("hello.md");
    std::fs::write(&md, format!("---\ntitle: Hello\n---\n{text}\n")).unwrap();
    ok(ws, &["doc", verb, "hello", "--file", md.to_str().unwrap()]);
    let shown: serde_json::Value =
        serde_json::from_str(&ok(ws, &["--json", "doc", "show", "hello"])).unwrap();
    shown["revision"].as_str().unwrap().to_owned()
}

/// `n` GETs of `url` (one curl, one connection per request through the balancer): the
/// bodies.
fn get_many(url: &str, n: usize) -> Vec<String> {
    const END: &str = "\n--end-of-response--\n";
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "60", "-w", END]);
    for _ in 0..n {
        cmd.arg(url);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let bodies: Vec<String> = text
        .split(END)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(bodies.len(), n, "curl answered {} of {n}", bodies.len());
    bodies
}

#[test]
fn three_real_nextjs_instances_behind_nginx_are_live_only_when_every_instance_is() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let api = ApiProcess::start(&tmp.path().join("api"));
    ok(
        &ws,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    write_doc(&ws, tmp.path(), "new", "The first version.");
    ok(&ws, &["publish", "hello"]);

    // One build, three copies of it: instances that share no cache.
    let built = build_nextjs_example(&api.url);
    let secret = pressroom_core::signing::Secret::generate();
    let secret = secret.expose();
    let instances: Vec<NextServer> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let dir = copy_of_build(&built, &tmp.path().join(format!("instance-{name}")));
            NextServer::start(
                &dir,
                free_port(),
                &[
                    ("PRESSROOM_API_URL", api.url.as_str()),
                    ("PRESSROOM_WEBHOOK_SECRET", secret),
                    ("PRESSROOM_INSTANCE_ID", name),
                ],
                &tmp.path().join(format!("next-{name}.log")),
            )
        })
        .collect();
    let origins: Vec<String> = instances.iter().map(|i| i.origin.clone()).collect();
    let balancer = Nginx::start(&tmp.path().join("balancer"), &origins, false);
    let public = &balancer.origin;
    for body in get_many(&format!("{public}/posts/hello"), 6) {
        assert!(body.contains("The first version."), "{body}");
    }

    // 1. The webhook to the balancer only: one instance regenerates, the self-healing
    // re-send reaches a second; the third still serves the old page.
    let (code, out) = cli(
        &ws,
        secret,
        &[
            "site",
            "add",
            "next",
            "--webhook-url",
            &format!("{public}/api/revalidate"),
            "--page-url",
            &format!("{public}/posts/{{slug}}"),
            "--secret-env",
            SECRET_VAR,
            "--confirm-timeout",
            "6",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let second = write_doc(&ws, tmp.path(), "edit", "The second version.");
    // Within the site's 6 s, and 6 s more after the re-send.
    let (code, out) = cli(&ws, secret, &["publish", "hello", "--wait-live=site"]);
    assert_eq!(code, Some(1), "not live is a failure:\n{out}");
    assert!(!out.contains("✓ Live"), "{out}");
    assert!(
        out.contains("artly live") && out.contains("still serves"),
        "names what is stale:\n{out}"
    );
    assert!(out.contains(&second), "{out}");

    // 2. Every instance listed: the webhook goes to each, each is confirmed on its own
    // origin, the index page with them.
    let (code, out) = cli(
        &ws,
        secret,
        &[
            "site",
            "edit",
            "next",
            "--instances",
            &origins.join(","),
            "--also-confirm",
            "/",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let third = write_doc(&ws, tmp.path(), "edit", "The third version.");
    let (code, out) = cli(&ws, secret, &["publish", "hello", "--wait-live=60"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Live") && out.contains("3 instances"), "{out}");
    for (n, body) in get_many(&format!("{public}/posts/hello"), 200)
        .iter()
        .enumerate()
    {
        assert!(
            body.contains(&third) && body.contains("The third version."),
            "GET {n} through the balancer served an old page:\n{body}"
        );
    }
    for body in get_many(&format!("{public}/"), 6) {
        assert!(
            body.contains(&format!("data-content-revision=\"{third}\"")),
            "{body}"
        );
    }
    drop(balancer);
    drop(instances);
}
