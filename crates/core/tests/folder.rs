//! Import/export of `.md` folders: idempotent import, lossless round-trip, and a clear
//! per-file error for files that cannot be imported.

use std::fs;
use std::path::Path;

use pressroom_core::folder::{export, import};
use pressroom_core::store::Store;

fn write(path: &Path, text: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A folder shaped like a Hugo/Astro/Obsidian content tree.
fn content_tree(root: &Path) {
    write(
        &root.join("posts/hello-world.md"),
        "---\ntitle: Hello World\ntags: [news]\ndraft: false\ncustom:\n  keep: me\n---\nHi!\n",
    );
    write(
        &root.join("posts/bundle/index.md"),
        "---\ntitle: A bundle\n---\nBundled.\n",
    );
    write(
        &root.join("notes/My Note.markdown"),
        "No front matter at all.\n",
    );
    write(
        &root.join("named.md"),
        "---\nslug: chosen-slug\ntitle: Named\n---\nx\n",
    );
    write(&root.join(".obsidian/workspace.md"), "ignored");
    write(&root.join("image.png"), [0u8, 1, 2]);
}

#[test]
fn import_is_idempotent_and_export_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("content");
    content_tree(&src);

    let mut store = Store::open(tmp.path().join("a.db")).unwrap();
    let first = import(&mut store, &src).unwrap();
    let mut created = first.created.clone();
    created.sort();
    assert_eq!(created, ["bundle", "chosen-slug", "hello-world", "my-note"]);
    assert!(first.failed.is_empty(), "{:?}", first.failed);

    let again = import(&mut store, &src).unwrap();
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged.len(), 4);
    assert_eq!(
        store.history("hello-world").unwrap().len(),
        1,
        "no new revisions"
    );

    write(
        &src.join("posts/hello-world.md"),
        "---\ntitle: Hello again\n---\n",
    );
    let third = import(&mut store, &src).unwrap();
    assert_eq!(third.updated, ["hello-world"]);
    assert_eq!(store.history("hello-world").unwrap().len(), 2);

    // Export then import into a fresh workspace: identical documents.
    let out = tmp.path().join("export");
    let written = export(&store, &out).unwrap();
    assert_eq!(written.len(), 4);
    let mut fresh = Store::open(tmp.path().join("b.db")).unwrap();
    let report = import(&mut fresh, &out).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    for doc in store.list().unwrap() {
        let a = store.get(&doc.slug).unwrap();
        let b = fresh.get(&doc.slug).unwrap();
        assert_eq!(a.source, b.source);
        assert_eq!(a.revision, b.revision);
        assert_eq!(a.front_matter, b.front_matter);
    }
    assert_eq!(
        fs::read_to_string(out.join("hello-world.md")).unwrap(),
        "---\ntitle: Hello again\n---\n"
    );
}

#[test]
fn bad_files_are_reported_and_the_rest_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("content");
    write(&src.join("good.md"), "---\ntitle: Good\n---\nfine\n");
    write(&src.join("latin1.md"), b"caf\xe9 au lait\n");
    write(
        &src.join("broken.md"),
        "---\ntitle: [unclosed\n---\nbody kept\n",
    );
    write(&src.join("huge.md"), "x".repeat(5 * 1024 * 1024));
    write(&src.join("bad-slug.md"), "---\nslug: Not Valid\n---\n");
    write(&src.join("a/same.md"), "one");
    write(&src.join("b/same.md"), "two");
    write(&src.join("???.md"), "no usable name");

    let mut store = Store::open(tmp.path().join("w.db")).unwrap();
    store.create("good", "my local edit").unwrap();
    let report = import(&mut store, &src).unwrap();

    let failed: Vec<(String, &str)> = report
        .failed
        .iter()
        .map(|f| {
            (
                f.path.strip_prefix(&src).unwrap().display().to_string(),
                f.kind,
            )
        })
        .collect();
    assert!(
        failed.contains(&("latin1.md".into(), "not_utf8")),
        "{failed:?}"
    );
    assert!(
        failed.contains(&("huge.md".into(), "too_large")),
        "{failed:?}"
    );
    assert!(
        failed.contains(&("bad-slug.md".into(), "invalid_slug")),
        "{failed:?}"
    );
    assert!(failed.contains(&("b/same.md".into(), "io")), "{failed:?}");
    assert!(
        failed.contains(&("???.md".into(), "invalid_slug")),
        "{failed:?}"
    );
    assert_eq!(failed.len(), 5, "{failed:?}");
    let utf8 = report.failed.iter().find(|f| f.kind == "not_utf8").unwrap();
    assert!(utf8.message.contains("latin1.md") && utf8.message.contains("UTF-8"));

    // Malformed front matter imports as a draft carrying its error.
    let broken = store.get("broken").unwrap();
    assert!(broken.parse_error.is_some());
    assert!(broken.source.contains("body kept"));
    // The local edit is in the history, not lost, after an import overwrote it.
    let history = store.history("good").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        store.revision_source("good", history[1].id).unwrap(),
        "my local edit"
    );
    assert_eq!(store.get("same").unwrap().source, "one");
}

#[test]
fn importing_a_missing_path_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("w.db")).unwrap();
    let err = import(&mut store, &tmp.path().join("nope")).unwrap_err();
    assert_eq!(err.kind(), "io");
    assert!(err.to_string().contains("nope"));
}

#[test]
fn import_names_each_file_with_broken_front_matter_and_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("content");
    write(&src.join("good.md"), "---\ntitle: Good\n---\nx\n");
    write(
        &src.join("broken.md"),
        "---\ntitle: Broken\ntags: [news\n---\nThe text is kept.\n",
    );
    let mut store = Store::open(tmp.path().join("a.db")).unwrap();
    let report = import(&mut store, &src).unwrap();
    assert_eq!(report.created.len(), 2, "{report:?}");
    assert_eq!(report.broken.len(), 1, "{report:?}");
    let broken = &report.broken[0];
    assert_eq!(broken.slug, "broken");
    assert!(broken.path.ends_with("broken.md"));
    assert!((3..=4).contains(&broken.line), "{broken:?}");
    assert!(!broken.message.is_empty());
    assert!(store
        .get("broken")
        .unwrap()
        .source
        .contains("The text is kept."));
}

#[test]
fn single_file_import_refuses_special_files_and_reads_at_most_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("a.db")).unwrap();
    // A FIFO would block a naive reader forever.
    let fifo = tmp.path().join("pipe.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let err = import(&mut store, &fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
    // /dev/zero never ends and claims size 0.
    let err = import(&mut store, Path::new("/dev/zero")).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    // Over the limit: refused, nothing created.
    let huge = tmp.path().join("huge.md");
    fs::write(&huge, vec![b'a'; 1024 * 1024 + 10]).unwrap();
    let report = import(&mut store, &huge).unwrap();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].kind, "too_large");
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn export_never_writes_through_a_planted_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("a.db")).unwrap();
    store
        .create("post", "---\ntitle: Post\n---\nmine\n")
        .unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let victim = tmp.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    // A link at the final name: replaced by the file, never written through.
    std::os::unix::fs::symlink(&victim, out.join("post.md")).unwrap();
    let written = export(&store, &out).unwrap();
    assert_eq!(written, [out.join("post.md")]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    let meta = fs::symlink_metadata(out.join("post.md")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by a file"
    );
    assert!(fs::read_to_string(out.join("post.md"))
        .unwrap()
        .contains("mine"));
}

#[test]
fn a_file_whose_slug_is_in_the_trash_is_reported_not_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("w.db")).unwrap();
    store
        .create("notes", "---\ntitle: Notes\n---\nOld.\n")
        .unwrap();
    store.delete("notes").unwrap();
    let dir = tmp.path().join("in");
    write(&dir.join("notes.md"), "---\ntitle: Notes\n---\nNew.\n");
    write(&dir.join("other.md"), "---\ntitle: Other\n---\n");
    let report = import(&mut store, &dir).unwrap();
    assert_eq!(report.created, ["other"]);
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        report.failed[0].message.contains("Trash"),
        "{}",
        report.failed[0].message
    );
    // The trashed one is as it was.
    let back = store.restore_from_trash("notes").unwrap();
    assert!(back.source.contains("Old."));
}
