//! The `pressroom` binary as a script would use it: real process, real workspace file,
//! exit codes and `--json` output.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pressroom"));
        cmd.arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_remove("PRESSROOM_DATA_DIR")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn draft_lifecycle_new_edit_history_diff_restore() {
    let ws = Workspace::new();
    let created = ws.json(&["doc", "new", "hello", "--title", "Hello: \"world\""]);
    assert_eq!(
        created["title"], "Hello: \"world\"",
        "title quoted into valid YAML"
    );
    assert_eq!(created["status"], "draft");

    let v2 = ws.path("v2.md");
    write(
        &v2,
        "---\ntitle: Hello\ntags: [news]\n---\nSecond version.\n",
    );
    let saved = ws.json(&["doc", "edit", "hello", "--file", v2.to_str().unwrap()]);
    assert_eq!(saved["tags"], serde_json::json!(["news"]));

    let history = ws.json(&["doc", "history", "hello"]);
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    let oldest = revisions[1]["id"].as_i64().unwrap().to_string();

    let diff = ws.ok(&["doc", "diff", "hello", &oldest]);
    assert!(diff.contains("+Second version."), "{diff}");
    assert!(diff.contains("-title: \"Hello: \\\"world\\\"\""), "{diff}");

    let restored = ws.json(&["doc", "restore", "hello", &oldest]);
    assert_eq!(restored["title"], "Hello: \"world\"");
    assert_eq!(
        ws.json(&["doc", "history", "hello"])["revisions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let html = ws.ok(&["doc", "show", "hello", "--html"]);
    assert!(
        html.trim().is_empty(),
        "empty body renders nothing: {html:?}"
    );
    // Delete goes to the Trash; undelete brings it back with its history; purge ends it.
    let said = ws.ok(&["doc", "delete", "hello"]);
    assert!(
        said.contains("Trash") && said.contains("undelete"),
        "{said}"
    );
    assert_eq!(
        ws.json(&["doc", "list"])["documents"],
        serde_json::json!([])
    );
    assert_eq!(ws.json(&["doc", "trash"])["trash"][0]["slug"], "hello");
    let taken = ws.run(&["doc", "new", "hello"]);
    assert_eq!(taken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&taken.stderr).contains("Trash"));
    ws.ok(&["doc", "undelete", "hello"]);
    assert_eq!(
        ws.json(&["doc", "history", "hello"])["revisions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    ws.ok(&["doc", "delete", "hello"]);
    ws.ok(&["doc", "purge", "--all"]);
    assert_eq!(ws.json(&["doc", "trash"])["trash"], serde_json::json!([]));
    ws.ok(&["doc", "new", "hello"]);
}

#[test]
fn edit_opens_the_users_editor() {
    let ws = Workspace::new();
    ws.ok(&["doc", "new", "post"]);
    let editor = ws.path("editor.sh");
    write(
        &editor,
        "#!/bin/sh\nprintf -- '---\\ntitle: From the editor\\n---\\nTyped.\\n' > \"$1\"\n",
    );
    let out = ws
        .cmd(&["doc", "edit", "post"])
        .env("EDITOR", format!("sh {}", editor.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ws.ok(&["doc", "show", "post"]),
        "---\ntitle: From the editor\n---\nTyped.\n"
    );

    // A failing editor changes nothing.
    let out = ws
        .cmd(&["doc", "edit", "post"])
        .env("EDITOR", "false")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not changed"));
    assert_eq!(
        ws.json(&["doc", "history", "post"])["revisions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn import_search_export() {
    let ws = Workspace::new();
    let content = ws.path("content");
    write(
        &content.join("one.md"),
        "---\ntitle: Apples\n---\nCrisp autumn apples.\n",
    );
    write(
        &content.join("two.md"),
        "---\ntitle: Pears\n---\nSoft pears.\n",
    );
    let report = ws.json(&["doc", "import", content.to_str().unwrap()]);
    assert_eq!(report["created"].as_array().unwrap().len(), 2);
    let again = ws.json(&["doc", "import", content.to_str().unwrap()]);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 2);

    let hits = ws.json(&["search", "autu"]);
    assert_eq!(hits["hits"][0]["slug"], "one");
    let human = ws.ok(&["search", "pears"]);
    assert!(
        human.contains("two") && human.contains("[pears]"),
        "{human}"
    );

    let list = ws.ok(&["doc", "list"]);
    assert!(list.contains("Apples") && list.contains("draft"), "{list}");

    let out = ws.path("out");
    ws.ok(&["doc", "export", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(out.join("one.md")).unwrap(),
        "---\ntitle: Apples\n---\nCrisp autumn apples.\n"
    );
}

#[test]
fn errors_are_clear_and_exit_non_zero() {
    let ws = Workspace::new();
    let out = ws.run(&["doc", "new", "Not A Slug"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid slug") && stderr.contains("lowercase"),
        "{stderr}"
    );

    let out = ws.run(&["--json", "doc", "show", "missing"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "not_found");

    ws.ok(&["doc", "new", "dup"]);
    let out = ws.run(&["--json", "doc", "new", "dup"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "duplicate_slug");

    let latin1 = ws.path("latin1.md");
    std::fs::write(&latin1, b"caf\xe9").unwrap();
    let out = ws.run(&["doc", "edit", "dup", "--file", latin1.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));

    let broken = ws.path("broken.md");
    write(&broken, "---\ntitle: x\ntags: [a\n---\nkept\n");
    let out = ws.run(&["doc", "edit", "dup", "--file", broken.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "a draft with bad front matter is still saved"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("front matter, line"), "{stderr}");
    assert!(ws.ok(&["doc", "show", "dup"]).contains("kept"));

    let out = ws.run(&["doc", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}
