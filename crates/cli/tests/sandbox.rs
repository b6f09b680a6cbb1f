//! `pressroom sandbox`: zero setup, the whole loop works; and the CLI's exit codes for
//! `publish --wait-live` (0 only when every site serves the new revision).

mod support;

use std::path::Path;
use std::process::{Child, Command};

use support::{pressroom, spawn_first_line};

struct SandboxProcess {
    child: Child,
    workspace: String,
    site: String,
}

impl SandboxProcess {
    fn start(data_dir: &Path, extra: &[&str]) -> SandboxProcess {
        let (child, line) =
            spawn_first_line(pressroom(data_dir).args(["--json", "sandbox"]).args(extra));
        let info: serde_json::Value = serde_json::from_str(&line).unwrap();
        SandboxProcess {
            child,
            workspace: info["workspace"].as_str().unwrap().to_owned(),
            site: info["demo_site"].as_str().unwrap().to_owned(),
        }
    }

    fn publish(&self, args: &[&str]) -> (Option<i32>, String) {
        self.command("publish", args)
    }

    fn command(&self, command: &str, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_pressroom"))
            .arg("--data-dir")
            .arg(&self.workspace)
            .env_remove("PRESSROOM_SECRETS_FILE")
            .arg(command)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success(), "graceful stop");
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_sandbox_publishes_to_live_with_zero_setup() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(tmp.path(), &[]);
    let (code, out) = sandbox.publish(&["welcome", "--wait-live"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("✓ Live:") && out.contains("serves revision r_"),
        "{out}"
    );
    // Taken down: gone from the content API and the site, confirmed 404.
    let (code, out) = sandbox.command("unpublish", &["welcome", "--wait-live"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("taken down") && out.contains("gone ✓"),
        "{out}"
    );
    let page = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/posts/welcome", sandbox.site))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&page.stdout), "404");
    let (code, out) = sandbox.command("unpublish", &["welcome"]);
    assert_eq!(code, Some(1), "nothing left to take down: {out}");
    assert!(out.contains("not published"), "{out}");
    // Published again: live again.
    let (code, out) = sandbox.publish(&["welcome", "--wait-live"]);
    assert_eq!(code, Some(0), "{out}");
    sandbox.stop();

    // Restarted (new ports) with a site that never regenerates: exit 1, still stale.
    let sandbox = SandboxProcess::start(tmp.path(), &["--mode", "ignore-webhook"]);
    // A visitor caches the published page first.
    let visit = Command::new("curl")
        .args(["-sf", &format!("{}/posts/welcome", sandbox.site)])
        .output()
        .unwrap();
    assert!(visit.status.success());
    let doc = tmp.path().join("welcome.md");
    std::fs::write(&doc, "---\ntitle: Welcome\n---\nChanged text.\n").unwrap();
    let edit = Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .arg("--data-dir")
        .arg(&sandbox.workspace)
        .args(["doc", "edit", "welcome", "--file"])
        .arg(&doc)
        .output()
        .unwrap();
    assert!(edit.status.success());
    let (code, out) = sandbox.publish(&["welcome", "--wait-live=1.5"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("Still stale after") && !out.contains("✓ Live"),
        "{out}"
    );
    sandbox.stop();
}
