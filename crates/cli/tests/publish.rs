//! `pressroom publish` against a real `pressroom serve` process.

mod support;

use support::{ok, run, ApiProcess, TOKEN_VAR};

fn workspace_for(api: &ApiProcess) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    ok(
        ws.path(),
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    ws
}

#[test]
fn publish_update_conflict_and_api_down() {
    let server_dir = tempfile::tempdir().unwrap();
    let mut api = ApiProcess::start(server_dir.path());

    let a = workspace_for(&api);
    let a = a.path();
    let shown = ok(a, &["api", "show"]);
    assert!(
        shown.contains(&api.url) && shown.contains(TOKEN_VAR),
        "{shown}"
    );
    assert!(
        !shown.contains(support::TOKEN),
        "the token itself is never shown"
    );

    ok(a, &["doc", "new", "hello", "--title", "Hello"]);
    let out = ok(a, &["publish", "hello"]);
    assert!(out.contains("published (new)"), "{out}");
    let list = ok(a, &["doc", "list"]);
    assert!(list.contains("published"), "{list}");
    let again = ok(a, &["publish", "hello"]);
    assert!(again.contains("already published"), "{again}");

    // What the API serves is exactly the draft's revision.
    let report: serde_json::Value =
        serde_json::from_str(&ok(a, &["--json", "publish", "hello"])).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&ok(a, &["--json", "doc", "show", "hello"])).unwrap();
    assert_eq!(report["revision"], doc["revision"]);
    assert_eq!(report["document"]["revision"], doc["revision"]);

    // Someone else, in another workspace, has their own "hello": a conflict, not an overwrite.
    let b = workspace_for(&api);
    let b = b.path();
    ok(b, &["doc", "new", "hello", "--title", "Their hello"]);
    let out = run(b, &["--json", "publish", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "conflict");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("someone else"));

    // A normal edit-and-publish from the original workspace still works.
    let edited = a.join("edited.md");
    std::fs::write(&edited, "---\ntitle: Hello again\n---\nNew text.\n").unwrap();
    ok(
        a,
        &["doc", "edit", "hello", "--file", edited.to_str().unwrap()],
    );
    let out = ok(a, &["publish", "hello"]);
    assert!(out.contains("published:"), "{out}");

    // Untitled drafts and missing tokens are refused before anything is sent.
    ok(a, &["doc", "new", "untitled", "--file", "/dev/null"]);
    let out = run(a, &["--json", "publish", "untitled"]);
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "missing_title");
    let out = support::pressroom(a)
        .args(["--json", "publish", "hello"])
        .env_remove(TOKEN_VAR)
        .output()
        .unwrap();
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "token_missing");

    // The API goes away (gracefully): publishing fails clearly and loses nothing.
    assert!(api.stop().success(), "graceful shutdown exits 0");
    std::fs::write(
        &edited,
        "---\ntitle: Hello offline\n---\nWritten offline.\n",
    )
    .unwrap();
    ok(
        a,
        &["doc", "edit", "hello", "--file", edited.to_str().unwrap()],
    );
    let out = run(a, &["publish", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot be reached") && stderr.contains("nothing was lost"),
        "{stderr}"
    );
    let shown = ok(a, &["doc", "show", "hello"]);
    assert!(shown.contains("Written offline."), "the draft is intact");
    assert!(ok(a, &["doc", "list"]).contains("modified"));

    // Back up: the same publish goes through.
    let api = ApiProcess::start(server_dir.path());
    ok(
        a,
        &["api", "set", "--url", &api.url, "--token-env", TOKEN_VAR],
    );
    assert!(ok(a, &["publish", "hello"]).contains("published:"));
}

#[test]
fn publish_without_configuration_says_how_to_configure() {
    let ws = tempfile::tempdir().unwrap();
    ok(ws.path(), &["doc", "new", "x", "--title", "X"]);
    let out = run(ws.path(), &["publish", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pressroom api set"));
    let out = run(ws.path(), &["api", "set", "--url", "ftp://nope"]);
    assert_eq!(out.status.code(), Some(1));
}
