//! The local store on real files: persistence, migrations, concurrency, history and the
//! bad inputs a user will eventually type.

use pressroom_core::store::{Status, Store, MAX_DOCUMENT_BYTES, SCHEMA_VERSION};
use pressroom_core::Error;

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("workspace").join("pressroom.db");
    (dir, path)
}

const HELLO: &str = "---\ntitle: Hello\ntags: [news]\nextra: kept\n---\n# Hello\n\nFirst words.\n";

#[test]
fn write_close_reopen_read_back() {
    let (_dir, path) = temp_db();
    {
        let mut store = Store::open(&path).unwrap();
        let doc = store.create("hello", HELLO).unwrap();
        assert_eq!(doc.title, "Hello");
        assert_eq!(doc.tags, ["news"]);
        assert_eq!(doc.front_matter["extra"], "kept");
        assert_eq!(doc.status, Status::Draft);
        assert!(doc.revision.as_deref().unwrap().starts_with("r_"));
    }
    let store = Store::open(&path).unwrap();
    let doc = store.get("hello").unwrap();
    assert_eq!(doc.source, HELLO);
    assert_eq!(doc.body, "# Hello\n\nFirst words.\n");
    assert_eq!(store.list().unwrap().len(), 1);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn migrates_from_an_empty_file() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn migrates_from_the_first_schema_version_keeping_data() {
    let (_dir, path) = temp_db();
    {
        let v1 = Store::open_at_version(&path, 1).unwrap();
        assert_eq!(v1.schema_version().unwrap(), 1);
    }
    // Written as version 1 wrote them (today's code speaks only today's schema).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "INSERT INTO documents (id, slug, source, title, body, search_text,
                 content_revision, created_at, updated_at)
             VALUES (1, 'old-post', '---
title: Old
---
changed
', 'Old', 'changed',
                 'changed', 'r_0000000000000002', '2026-11-01T10:00:00.000Z',
                 '2026-11-01T10:01:00.000Z');
             INSERT INTO revisions (document_id, source, content_revision, created_at)
             VALUES (1, 'first', 'r_0000000000000001', '2026-11-01T10:00:00.000Z'),
                    (1, '---
title: Old
---
changed
', 'r_0000000000000002',
                     '2026-11-01T10:01:00.000Z');",
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.get("old-post").unwrap().title, "Old");
    assert_eq!(store.history("old-post").unwrap().len(), 2);
    assert_eq!(store.search("changed", 10).unwrap()[0].slug, "old-post");
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn two_connections_write_concurrently() {
    let (_dir, path) = temp_db();
    Store::open(&path).unwrap();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..50 {
                    let slug = format!("w{w}-doc-{i}");
                    store
                        .create(&slug, &format!("---\ntitle: {slug}\n---\nv1"))
                        .unwrap();
                    store.save(&slug, "v2").unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.list().unwrap().len(), 100);
    for w in 0..2 {
        for i in 0..50 {
            assert_eq!(store.history(&format!("w{w}-doc-{i}")).unwrap().len(), 2);
        }
    }
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn every_save_is_history_with_diff_and_restore() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("post", "line one\nline two\n").unwrap();
    let unchanged = store.save("post", "line one\nline two\n").unwrap();
    assert_eq!(unchanged.revision_id, None, "same text writes no revision");
    store
        .save("post", "line one\nline 2\nline three\n")
        .unwrap();

    let history = store.history("post").unwrap();
    assert_eq!(history.len(), 2);
    let (newest, oldest) = (history[0].id, history[1].id);
    assert!(newest > oldest);

    let diff = store.diff("post", oldest, Some(newest)).unwrap();
    let changed: Vec<_> = diff
        .iter()
        .filter(|l| l.op != "equal")
        .map(|l| (l.op, l.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            ("delete", "line two"),
            ("insert", "line 2"),
            ("insert", "line three")
        ]
    );

    let restored = store.restore("post", oldest).unwrap();
    assert_eq!(restored.document.source, "line one\nline two\n");
    assert_eq!(
        store.history("post").unwrap().len(),
        3,
        "a restore is itself undoable"
    );
    assert!(matches!(
        store.restore("post", 9999),
        Err(Error::RevisionNotFound { .. })
    ));
}

#[test]
fn renaming_a_slug_keeps_history() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("draft-name", HELLO).unwrap();
    store.save("draft-name", "second").unwrap();
    store.create("taken", "x").unwrap();

    assert_eq!(
        store.rename("draft-name", "taken").unwrap_err().kind(),
        "duplicate_slug"
    );
    assert_eq!(
        store.rename("draft-name", "Bad Slug").unwrap_err().kind(),
        "invalid_slug"
    );
    let doc = store.rename("draft-name", "final-name").unwrap();
    assert_eq!(doc.source, "second");
    assert_eq!(store.history("final-name").unwrap().len(), 2);
    assert!(matches!(
        store.get("draft-name"),
        Err(Error::DocumentNotFound { .. })
    ));
}

#[test]
fn status_follows_publishing() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let doc = store.create("p", HELLO).unwrap();
    let revision = doc.revision.clone().unwrap();
    // A publish with no sites to notify: the record alone sets the published revision.
    store
        .record_publish_with_deliveries("p", &revision, HELLO, false, &[])
        .unwrap();
    assert_eq!(store.get("p").unwrap().status, Status::Published);
    store.save("p", "changed").unwrap();
    assert_eq!(store.get("p").unwrap().status, Status::Modified);
    store.save("p", HELLO).unwrap();
    assert_eq!(store.get("p").unwrap().status, Status::Published);
}

#[test]
fn full_text_search_ranks_and_highlights() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store
        .create(
            "a",
            "---\ntitle: Gardening notes\n---\nTomatoes need sun.\n",
        )
        .unwrap();
    store
        .create(
            "b",
            "---\ntitle: Kitchen\n---\nA tomato sauce with garden basil.\n",
        )
        .unwrap();
    store
        .create("c", "---\ntitle: Café crème\n---\nUnrelated.\n")
        .unwrap();

    let hits = store.search("garden", 10).unwrap();
    let slugs: Vec<_> = hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(slugs, ["a", "b"], "title match ranks first; prefix matches");
    assert!(hits[1].snippet.iter().any(|p| p.hit && p.text == "garden"));

    assert_eq!(
        store.search("cafe creme", 10).unwrap()[0].slug,
        "c",
        "diacritics folded"
    );
    assert!(
        store.search("\"unbalanced AND (", 10).is_ok(),
        "no FTS syntax errors"
    );
    assert!(store.search("   ", 10).unwrap().is_empty());

    store
        .save("a", "---\ntitle: Weeds\n---\nnothing\n")
        .unwrap();
    let slugs: Vec<_> = store
        .search("garden", 10)
        .unwrap()
        .into_iter()
        .map(|h| h.slug)
        .collect();
    assert_eq!(slugs, ["b"], "index follows edits");
    store.delete("b").unwrap();
    assert!(
        store.search("garden", 10).unwrap().is_empty(),
        "and deletes"
    );
}

#[test]
fn bad_slugs_and_duplicates_are_refused_without_loss() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("hello", HELLO).unwrap();
    for bad in [
        "",
        "Hello",
        "-x",
        "a b",
        "../../etc/passwd",
        &"x".repeat(129),
    ] {
        let err = store.create(bad, "text").unwrap_err();
        assert_eq!(err.kind(), "invalid_slug", "{bad}");
        assert!(err.to_string().contains("lowercase letters"), "{err}");
    }
    let err = store.create("hello", "other text").unwrap_err();
    assert_eq!(err.kind(), "duplicate_slug");
    assert_eq!(
        store.get("hello").unwrap().source,
        HELLO,
        "original untouched"
    );
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn malformed_front_matter_is_saved_with_a_clear_error() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("post", HELLO).unwrap();
    let broken = "---\ntitle: Hello\ntags: [news\n---\nI typed this and it must survive.\n";
    let saved = store.save("post", broken).unwrap();
    let doc = saved.document;
    assert_eq!(doc.source, broken, "the draft is still saved");
    let problem = doc.parse_error.clone().expect("parse error recorded");
    assert!((3..=4).contains(&problem.line), "{problem:?}");
    assert_eq!(doc.revision, None);
    assert_eq!(doc.title, "Hello", "last good title kept for the list");
    let err = doc.content().unwrap_err();
    assert!(err.to_string().starts_with("front matter, line"), "{err}");
    assert!(store.list().unwrap()[0].has_error);

    // Reopen: still there, and fixing it clears the error.
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.get("post").unwrap().source, broken);
    let fixed = store.save("post", HELLO).unwrap().document;
    assert_eq!(fixed.parse_error, None);
    assert!(fixed.revision.is_some());
}

#[test]
fn a_five_megabyte_document_is_refused_and_nothing_is_lost() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("big", HELLO).unwrap();
    let huge = "a".repeat(5 * 1024 * 1024);
    let err = store.save("big", &huge).unwrap_err();
    match &err {
        Error::TooLarge { size, limit } => {
            assert_eq!(*size, huge.len());
            assert_eq!(*limit, MAX_DOCUMENT_BYTES);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("split it"), "{err}");
    assert_eq!(store.get("big").unwrap().source, HELLO);
    assert_eq!(store.history("big").unwrap().len(), 1);
    assert_eq!(store.create("huge", &huge).unwrap_err().kind(), "too_large");
    assert!(!store.exists("huge").unwrap());

    // Just under the limit is fine.
    let largest = "b".repeat(MAX_DOCUMENT_BYTES);
    store.save("big", &largest).unwrap();
    assert_eq!(store.get("big").unwrap().source.len(), MAX_DOCUMENT_BYTES);
}

fn blog_site() -> pressroom_core::store::NewSite {
    pressroom_core::store::NewSite {
        name: "blog".into(),
        webhook_url: "http://127.0.0.1:9/hook".into(),
        page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
        tag_templates: vec![],
        path_templates: vec![],
        preset: pressroom_core::store::Preset::StandardWebhooks,
        destination: None,
    }
}

fn one_delivery(store: &mut Store, site_id: i64, message_id: &str) -> i64 {
    let revision = store.get("p").unwrap().revision.unwrap();
    store
        .record_publish_with_deliveries(
            "p",
            &revision,
            HELLO,
            false,
            &[pressroom_core::store::NewDelivery {
                site_id,
                message_id: message_id.into(),
                body: "{}".into(),
                confirm_timeout_ms: None,
            }],
        )
        .unwrap()
}

/// A removed site is gone from every list and lookup and its name is free again, while
/// the history that names it stays, shown as a removed site — also after a new site
/// takes the name.
#[test]
fn a_removed_site_leaves_its_history_and_frees_its_name() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store.create("p", HELLO).unwrap();
    let old = store.add_site(&blog_site(), Some("site-blog")).unwrap();
    let publish = one_delivery(&mut store, old.id, "msg_1");
    store.remove_site("blog").unwrap();
    assert!(store.sites().unwrap().is_empty());
    assert!(matches!(
        store.site("blog"),
        Err(Error::SiteNotFound { .. })
    ));
    let new = store.add_site(&blog_site(), None).unwrap();
    assert_ne!(new.id, old.id);
    assert_eq!(store.sites().unwrap(), std::slice::from_ref(&new));
    let d = &store.deliveries_of(publish).unwrap()[0];
    assert_eq!((d.site_id, d.site_name.as_deref()), (None, None));
    let s = &store.standings(publish).unwrap()[0];
    assert_eq!(s.site, pressroom_core::store::REMOVED_SITE);
    assert!(store.redeliver(d.id, None).is_err(), "nowhere to send it");
    // The new site's own deliveries are its own.
    let again = one_delivery(&mut store, new.id, "msg_2");
    assert_eq!(store.standings(again).unwrap()[0].site, "blog");
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

/// A workspace of schema version 5 with sites and deliveries opens in this version with
/// its history intact (the due index rebuilt, the per-site indexes dropped).
#[test]
fn migrates_a_version_5_workspace_with_deliveries() {
    let (_dir, path) = temp_db();
    drop(Store::open_at_version(&path, 5).unwrap());
    // Written as version 5 wrote them (today's code speaks only today's schema).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO documents (id, slug, source, title, created_at, updated_at)
         VALUES (1, 'p', 'x', 'P', '2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00.000Z');
         INSERT INTO sites (name, webhook_url, page_url_template, tag_templates,
             path_templates, preset, created_at, updated_at)
         VALUES ('blog', 'http://127.0.0.1:9/hook', 'http://127.0.0.1:9/posts/{slug}', '[]',
             '[]', 'standard_webhooks', '2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00.000Z');
         INSERT INTO publishes (document_id, slug, revision, kind, source, created_at)
         VALUES (1, 'p', 'r_1', 'published', 'x', '2026-11-30T10:00:00.000Z');
         INSERT INTO deliveries (publish_id, site_id, message_id, body, next_attempt_at,
             created_at, updated_at)
         VALUES (1, 1, 'msg_1', '{}', '2026-11-30T10:00:00.000Z',
             '2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00.000Z');",
    )
    .unwrap();
    drop(conn);
    let publish = 1;
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.sites().unwrap().len(), 1);
    let d = &store.deliveries_of(publish).unwrap()[0];
    assert_eq!(d.site_name.as_deref(), Some("blog"));
    assert_eq!(
        store.next_due_at(None).unwrap(),
        Some(d.next_attempt_at.clone().unwrap())
    );
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn a_deleted_document_waits_in_the_trash_with_its_history_until_purged() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store
        .create("notes", "---\ntitle: Notes\n---\nFirst words.\n")
        .unwrap();
    store
        .save("notes", "---\ntitle: Notes\n---\nSecond words.\n")
        .unwrap();
    store.delete("notes").unwrap();

    // Gone from everything an editor works with…
    assert!(store.list().unwrap().is_empty());
    assert!(matches!(
        store.get("notes"),
        Err(Error::DocumentNotFound { .. })
    ));
    assert!(store.search("words", 10).unwrap().is_empty());
    assert!(matches!(
        store.save("notes", "x"),
        Err(Error::DocumentNotFound { .. })
    ));
    // …but in the Trash, holding its slug.
    let trash = store.trash().unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(
        (trash[0].slug.as_str(), trash[0].title.as_str()),
        ("notes", "Notes")
    );
    let err = store
        .create("notes", "---\ntitle: Other\n---\n")
        .unwrap_err();
    assert!(matches!(err, Error::SlugInTrash { .. }), "{err}");
    assert!(err.to_string().contains("Trash"), "{err}");

    // Restored as it was, history and all; and it survives a reopen.
    let back = store.restore_from_trash("notes").unwrap();
    assert!(back.source.contains("Second words."));
    assert_eq!(store.history("notes").unwrap().len(), 2);
    assert!(store.trash().unwrap().is_empty());
    store.delete("notes").unwrap();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.trash().unwrap().len(), 1, "not 30 days old: kept");

    // Purged: only what is old enough, then for good; the slug is free again.
    assert_eq!(
        store
            .purge_trash(Some(std::time::Duration::from_secs(3600)))
            .unwrap(),
        0
    );
    assert_eq!(store.purge_trash(None).unwrap(), 1);
    assert!(store.trash().unwrap().is_empty());
    assert!(matches!(
        store.restore_from_trash("notes"),
        Err(Error::DocumentNotFound { .. })
    ));
    store.create("notes", "---\ntitle: New\n---\n").unwrap();
}

#[test]
fn search_forgives_other_endings_and_one_typo() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    store
        .create(
            "isr",
            "---\ntitle: On-demand Revalidation\n---\nSites regenerate a page when told to.\n",
        )
        .unwrap();
    store
        .create("other", "---\ntitle: Other\n---\nNothing related.\n")
        .unwrap();
    let slugs = |q: &str| -> Vec<String> {
        store
            .search(q, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.slug)
            .collect()
    };
    assert_eq!(slugs("revalidation"), ["isr"], "exact");
    assert_eq!(slugs("revalidate"), ["isr"], "another ending of the word");
    assert_eq!(slugs("revalidaton"), ["isr"], "one typo");
    assert_eq!(
        slugs("regenrate page"),
        ["isr"],
        "a typo among several words"
    );
    assert!(slugs("zebra").is_empty());
    assert!(
        slugs("revalidate zebra").is_empty(),
        "every word is still required"
    );
}

#[test]
fn the_slug_follows_the_title_until_the_first_publish() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let slug = store.slug_for_title("Untitled", None).unwrap();
    assert_eq!(slug, "untitled");
    store.create(&slug, "---\ntitle: Untitled\n---\n").unwrap();
    // A second untitled one gets its own slug (a trashed one still holds its slug).
    store.delete("untitled").unwrap();
    assert_eq!(
        store.slug_for_title("Untitled", None).unwrap(),
        "untitled-2"
    );
    store.restore_from_trash("untitled").unwrap();

    let renamed = store
        .follow_title("untitled", "Untitled", "Spring launch notes")
        .unwrap()
        .expect("follows");
    assert_eq!(renamed.slug, "spring-launch-notes");
    // Again, from the title it follows.
    let renamed = store
        .follow_title(
            "spring-launch-notes",
            "Spring launch notes",
            "Spring launch",
        )
        .unwrap()
        .unwrap();
    assert_eq!(renamed.slug, "spring-launch");
    // A slug chosen by hand stays.
    store.rename("spring-launch", "my-own").unwrap();
    assert!(store
        .follow_title("my-own", "Spring launch", "Autumn")
        .unwrap()
        .is_none());
    // So does a published one.
    store.create("notes", "---\ntitle: Notes\n---\n").unwrap();
    store
        .record_publish_with_deliveries("notes", "r_1", "---\ntitle: Notes\n---\n", false, &[])
        .unwrap();
    assert!(store
        .follow_title("notes", "Notes", "Other notes")
        .unwrap()
        .is_none());
}

#[test]
fn samples_are_not_seeded_over_a_trash() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let seeded = pressroom_core::samples::seed_if_empty(&mut store).unwrap();
    assert!(seeded > 0);
    for doc in store.list().unwrap() {
        store.delete(&doc.slug).unwrap();
    }
    // Everything is in the Trash: a restart neither fails nor seeds again.
    assert_eq!(
        pressroom_core::samples::seed_if_empty(&mut store).unwrap(),
        0
    );
    assert_eq!(store.trash().unwrap().len(), seeded);
    // Emptied for good: a truly empty workspace gets the samples again.
    store.purge_trash(None).unwrap();
    assert_eq!(
        pressroom_core::samples::seed_if_empty(&mut store).unwrap(),
        seeded
    );
}

/// Every earlier schema: a workspace made at it (with a document written as version 1
/// wrote them) opens in this Pressroom with its data, after a copy of it as it was is
/// kept beside it; a workspace of a later schema is refused untouched.
#[test]
fn a_workspace_of_every_earlier_schema_opens_with_its_data_and_a_copy_is_kept() {
    for version in 1..SCHEMA_VERSION {
        let (_dir, path) = temp_db();
        drop(Store::open_at_version(&path, 1).unwrap());
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "INSERT INTO documents (id, slug, source, title, body, search_text,
                     content_revision, created_at, updated_at)
                 VALUES (1, 'kept', '---
title: Kept
---
Words.
', 'Kept', 'Words.',
                     'Words.', 'r_0000000000000001', '2026-11-01T10:00:00.000Z',
                     '2026-11-01T10:00:00.000Z');
                 INSERT INTO revisions (document_id, source, content_revision, created_at)
                 VALUES (1, '---
title: Kept
---
Words.
', 'r_0000000000000001',
                     '2026-11-01T10:00:00.000Z');",
            )
            .unwrap();
        drop(Store::open_at_version(&path, version).unwrap());
        let before = std::fs::read(&path).unwrap();
        let store = Store::open(&path).unwrap_or_else(|e| panic!("from schema {version}: {e}"));
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let doc = store.get("kept").unwrap();
        assert_eq!(
            (doc.title.as_str(), doc.body.trim()),
            ("Kept", "Words."),
            "from {version}"
        );
        assert_eq!(store.history("kept").unwrap().len(), 1, "from {version}");
        drop(store);
        let backup = pressroom_core::store::backup_path(&path, version);
        let copy = rusqlite::Connection::open(&backup).unwrap();
        let kept: (i64, String) = copy
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), slug FROM documents",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            kept,
            (version as i64, "kept".to_owned()),
            "the copy is schema {version}"
        );
        assert!(!before.is_empty());
    }

    // Written by a newer Pressroom: refused, and left as it was.
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION as i64 + 1)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let refused = Store::open(&path).unwrap_err();
    assert!(refused.to_string().contains("newer Pressroom"), "{refused}");
    assert_eq!(refused.kind(), "workspace_too_new");
    assert_eq!(std::fs::read(&path).unwrap(), before, "untouched");
}

/// What a closing window asks about (issue #16): scheduled publishes, webhooks still
/// to send, pages still to confirm — counted, and said in words.
#[test]
fn pending_work_counts_what_is_left_to_do() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    assert!(store.pending_work().unwrap().is_empty());
    for slug in ["one", "two"] {
        store
            .create(slug, &format!("---\ntitle: {slug}\n---\nText.\n"))
            .unwrap();
        store
            .set_schedule(slug, "2099-01-01T08:00:00.000Z", &[])
            .unwrap();
    }
    let pending = store.pending_work().unwrap();
    assert_eq!(pending.scheduled, 2);
    assert_eq!(pending.describe(), "2 scheduled publishes");
    store.cancel_schedule("two").unwrap();
    assert_eq!(
        store.pending_work().unwrap().describe(),
        "1 scheduled publish"
    );
    let mixed = pressroom_core::store::PendingWork {
        scheduled: 1,
        sending: 3,
        confirming: 1,
    };
    assert_eq!(
        mixed.describe(),
        "1 scheduled publish, 3 webhooks to send, 1 page to confirm"
    );
}
