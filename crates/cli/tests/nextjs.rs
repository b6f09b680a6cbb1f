//! End to end against the real Next.js 16 example (examples/nextjs-site): a real
//! `pressroom serve`, `next build` and `next start` started here, a changed document
//! published with `--wait-live`, which must confirm the new revision — once with the
//! handler's default `revalidateTag(tag, { expire: 0 })` and once with `"max"`
//! (stale-while-revalidate: the first visitor gets the old page).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{ok, pressroom, run, ApiProcess, TOKEN_VAR};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/nextjs-site")
}

fn next(args: &[&str]) -> Command {
    let dir = example_dir();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("node_modules/next/dist/bin/next"))
        .args(args)
        .current_dir(&dir)
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .stdin(Stdio::null());
    cmd
}

/// `next start` in a process group of its own, ended (group and all) on drop.
struct NextServer(Child);

impl NextServer {
    fn start(port: u16, api: &str, secret: &str, profile: &str, log: &Path) -> NextServer {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log).unwrap();
        let child = next(&["start", "-p", &port.to_string(), "-H", "127.0.0.1"])
            .env("PRESSROOM_API_URL", api)
            .env("PRESSROOM_WEBHOOK_SECRET", secret)
            .env("PRESSROOM_REVALIDATE_PROFILE", profile)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        NextServer(child)
    }
}

impl Drop for NextServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The page's body once it answers 200, within 60 s.
fn wait_for_page(url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "5", url])
            .output()
            .unwrap();
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(Instant::now() < deadline, "{url} did not come up");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn publish_wait_live_confirms_the_new_revision_on_a_real_nextjs_site() {
    let example = example_dir();
    assert!(
        example.join("node_modules/next").exists(),
        "run scripts/setup.sh first (it installs the example's npm packages)"
    );
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
    let _ = std::fs::remove_dir_all(example.join(".next"));
    let build = next(&["build"])
        .env("PRESSROOM_API_URL", &api.url)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "next build failed:\n{}\n{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );

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
        let server = NextServer::start(
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
    let _server = NextServer::start(
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
