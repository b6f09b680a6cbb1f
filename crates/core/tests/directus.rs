//! Directus as a destination, against a real Directus 11.3.5 (the test kit's private
//! one, on SQLite): the connection test, publishing in place with the field mapping,
//! a post edited in Directus never overwritten unasked, a token that may only read,
//! a wrong token, Directus down mid-publish (nothing recorded, a retry updates in
//! place), pull and publish back, an item with the slug that Pressroom did not write,
//! take-down (refused over an edit there unless asked).

use std::sync::Mutex;

use pressroom_core::destinations::{self, NewDestination};
use pressroom_core::directus::FieldMapping;
use pressroom_core::secrets::SecretStore;
use pressroom_core::{pull, Error, Store};
use pressroom_testkit::Directus;

struct Workspace {
    _dir: tempfile::TempDir,
    store: Mutex<Store>,
    secrets: SecretStore,
}

fn workspace() -> Workspace {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("workspace.db")).unwrap();
    let secrets = SecretStore::File(dir.path().join("secrets.json"));
    Workspace {
        _dir: dir,
        store: Mutex::new(store),
        secrets,
    }
}

fn add(ws: &Workspace, name: &str, server: &Directus, token: &str) {
    destinations::add(
        &mut ws.store.lock().unwrap(),
        &ws.secrets,
        &NewDestination {
            name: name.into(),
            kind: "directus".into(),
            url: server.url.clone(),
            user: String::new(),
            secret: token.into(),
            mapping: Some(FieldMapping {
                cover: Some("cover".into()),
                ..FieldMapping::default()
            }),
        },
    )
    .unwrap();
}

fn save(ws: &Workspace, slug: &str, source: &str) {
    let mut store = ws.store.lock().unwrap();
    if store.exists(slug).unwrap() {
        store.save(slug, source).unwrap();
    } else {
        store.create(slug, source).unwrap();
    }
}

#[test]
fn publishes_to_a_real_directus_in_place_pulls_and_never_overwrites_its_edits() {
    let mut server = Directus::start();
    let ws = workspace();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        add(&ws, "cms", &server, &server.token);
        add(&ws, "reader", &server, &server.reader_token);
        add(&ws, "wrong", &server, "not-the-token");

        // The connection test: who, and whether they may publish.
        let admin = destinations::test(&ws.store, &ws.secrets, "cms")
            .await
            .unwrap();
        assert!(admin.can_publish, "{admin:?}");
        let reader = destinations::test(&ws.store, &ws.secrets, "reader")
            .await
            .unwrap();
        assert!(!reader.can_publish, "{reader:?}");
        let wrong = destinations::test(&ws.store, &ws.secrets, "wrong")
            .await
            .unwrap_err();
        assert!(
            matches!(wrong, Error::DestinationRefused { .. }) && wrong.to_string().contains("token"),
            "{wrong}"
        );

        // Created once, with every mapped field.
        save(
            &ws,
            "spring",
            "---\ntitle: Spring launch\ntags: [launch, news]\nsummary: What launches.\n---\nThe *first* text.\n",
        );
        let first = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap();
        let (status, item) = server.call("GET", &format!("/items/posts/{}", first.id), None);
        assert_eq!(status, 200, "{item}");
        let item = &item["data"];
        assert_eq!(item["title"], "Spring launch");
        assert_eq!(item["slug"], "spring");
        assert_eq!(item["summary"], "What launches.");
        assert_eq!(item["tags"], serde_json::json!(["launch", "news"]));
        assert_eq!(item["status"], "published");
        let content = item["content"].as_str().unwrap();
        assert!(content.starts_with("The *first* text."), "markdown: {content}");
        assert!(content.contains("data-pressroom-revision=\"r_"), "{content}");

        // Updated in place: the same item, no second one.
        save(&ws, "spring", "---\ntitle: Spring launch\n---\nThe second text.\n");
        let second = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap();
        assert_eq!(second.id, first.id);
        let (_, all) = server.call("GET", "/items/posts?fields=id", None);
        assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");

        // A token that may only read: refused, and said why. (Through that second
        // destination the item is not Pressroom's: taking it over is asked for.)
        let refused = destinations::publish(&ws.store, &ws.secrets, "spring", "reader", true)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, Error::DestinationRefused { .. })
                && refused.to_string().contains("may not"),
            "{refused}"
        );

        // Edited in Directus meanwhile: refused, the edit stays, until overwrite.
        let (status, _) = server.call(
            "PATCH",
            &format!("/items/posts/{}", first.id),
            Some(r#"{"content":"Edited in Directus."}"#),
        );
        assert_eq!(status, 200);
        save(&ws, "spring", "---\ntitle: Spring launch\n---\nThe third text.\n");
        let conflict = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap_err();
        assert!(
            matches!(conflict, Error::EditedElsewhere { .. }),
            "{conflict}"
        );
        let (_, item) = server.call("GET", &format!("/items/posts/{}", first.id), None);
        assert_eq!(item["data"]["content"], "Edited in Directus.");
        let third = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", true)
            .await
            .unwrap();
        assert_eq!(third.id, first.id);

        // Directus down mid-publish: a clear error, nothing recorded; back up, the
        // retry updates the same item.
        server.stop();
        save(&ws, "spring", "---\ntitle: Spring launch\n---\nThe fourth text.\n");
        let down = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap_err();
        assert!(matches!(down, Error::DestinationUnreachable { .. }), "{down}");
        let recorded = ws.store.lock().unwrap().remote_post("spring", 1).unwrap();
        assert_eq!(recorded.as_ref(), Some(&third), "nothing half-recorded");
        server.start_server();
        let fourth = destinations::publish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap();
        assert_eq!(fourth.id, first.id);
        let (_, item) = server.call("GET", &format!("/items/posts/{}", first.id), None);
        assert!(item["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("The fourth text."));

        // Pull: an item made in Directus becomes a linked draft; ours is unchanged;
        // pulling again changes nothing.
        let (status, _) = server.call(
            "POST",
            "/items/posts",
            Some(r#"{"title":"Made in Directus","slug":"made-there","content":"Their **text**.","tags":["x"],"status":"draft"}"#),
        );
        assert_eq!(status, 200);
        let report = pull::pull(&ws.store, &ws.secrets, "cms", false)
            .await
            .unwrap();
        assert_eq!(report.created, ["made-there"], "{report:?}");
        assert_eq!(report.unchanged, 1, "{report:?}");
        let made = ws.store.lock().unwrap().get("made-there").unwrap();
        assert_eq!(made.title, "Made in Directus");
        assert_eq!(made.tags, ["x"]);
        assert!(made.source.contains("draft: true"), "{}", made.source);
        assert!(made.source.ends_with("Their **text**.\n"), "{}", made.source);
        let again = pull::pull(&ws.store, &ws.secrets, "cms", false)
            .await
            .unwrap();
        assert_eq!(
            (again.created.len(), again.updated.len(), again.unchanged),
            (0, 0, 2)
        );
        // Published back in place (still a draft there, as its front matter says).
        save(
            &ws,
            "made-there",
            &made.source.replace("Their **text**.", "Their text, edited here."),
        );
        let back = destinations::publish(&ws.store, &ws.secrets, "made-there", "cms", false)
            .await
            .unwrap();
        let (_, item) = server.call("GET", &format!("/items/posts/{}", back.id), None);
        assert_eq!(item["data"]["slug"], "made-there");
        assert_eq!(item["data"]["status"], "draft");
        let (_, all) = server.call("GET", "/items/posts?fields=id", None);
        assert_eq!(all["data"].as_array().unwrap().len(), 2, "{all}");

        // An item with the slug that Pressroom did not write: never a second one; it is
        // named, and taken over only when asked.
        let (_, theirs) = server.call(
            "POST",
            "/items/posts",
            Some(r#"{"title":"Theirs","slug":"same-slug","content":"Not ours.","status":"published"}"#),
        );
        save(&ws, "same-slug", "---\ntitle: Ours\n---\nOur text.\n");
        let taken = destinations::publish(&ws.store, &ws.secrets, "same-slug", "cms", false)
            .await
            .unwrap_err();
        assert!(
            matches!(taken, Error::EditedElsewhere { .. }) && taken.to_string().contains("did not write"),
            "{taken}"
        );
        let adopted = destinations::publish(&ws.store, &ws.secrets, "same-slug", "cms", true)
            .await
            .unwrap();
        assert_eq!(adopted.id, theirs["data"]["id"].to_string());

        // Taking down a post edited there: refused unless asked.
        let (status, _) = server.call(
            "PATCH",
            &format!("/items/posts/{}", first.id),
            Some(r#"{"summary":"Edited again in Directus."}"#),
        );
        assert_eq!(status, 200);
        let refused = destinations::unpublish(&ws.store, &ws.secrets, "spring", "cms", false)
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::EditedElsewhere { .. }), "{refused}");
        let (status, _) = server.call("GET", &format!("/items/posts/{}", first.id), None);
        assert_eq!(status, 200, "still there");

        // An image: uploaded to Directus's files once, the markdown body pointing at it.
        let picture = {
            let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 60, 20]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let asset = {
            let mut store = ws.store.lock().unwrap();
            pressroom_core::assets::add(&mut store, &picture, "red roof.png", false).unwrap()
        };
        save(
            &ws,
            "pictured",
            &format!("---\ntitle: Pictured\n---\nLook:\n\n{}\n", asset.markdown("A roof")),
        );
        let with_image = destinations::publish(&ws.store, &ws.secrets, "pictured", "cms", false)
            .await
            .unwrap();
        let (_, item) = server.call("GET", &format!("/items/posts/{}", with_image.id), None);
        let content = item["data"]["content"].as_str().unwrap().to_owned();
        let prefix = format!("{}/assets/", server.url);
        let url = content
            .split("](")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap()
            .to_owned();
        assert!(url.starts_with(&prefix), "{content}");
        assert!(url.ends_with(&format!("red-roof-{}.png", &asset.sha256[..16])), "{url}");
        assert!(!content.contains("asset:"), "{content}");
        let (status, _) = server.call("GET", url.trim_start_matches(&server.url), None);
        assert_eq!(status, 200, "served by Directus");
        save(
            &ws,
            "pictured",
            &format!("---\ntitle: Pictured\n---\nLook again:\n\n{}\n", asset.markdown("A roof")),
        );
        destinations::publish(&ws.store, &ws.secrets, "pictured", "cms", false)
            .await
            .unwrap();
        let (_, files) = server.call("GET", "/files?fields=id", None);
        assert_eq!(files["data"].as_array().unwrap().len(), 1, "uploaded once: {files}");

        // A wide photo as the cover: a downscaled copy goes, once, into the mapped
        // file field; the draft keeps the original.
        let wide = {
            let img = image::RgbImage::from_fn(1600, 400, |x, y| {
                image::Rgb([(x % 251) as u8, (y * 3 % 241) as u8, ((x ^ y) % 239) as u8])
            });
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            let mut store = ws.store.lock().unwrap();
            pressroom_core::assets::add(&mut store, out.get_ref(), "pier.png", false).unwrap()
        };
        destinations::set_image_max_width(&mut ws.store.lock().unwrap(), "cms", 800).unwrap();
        let covered = format!(
            "---\ntitle: Pictured\ncover: asset:{}\n---\nLook again:\n\n{}\n",
            wide.sha256,
            asset.markdown("A roof")
        );
        save(&ws, "pictured", &covered);
        let with_cover = destinations::publish(&ws.store, &ws.secrets, "pictured", "cms", false)
            .await
            .unwrap();
        let (_, item) = server.call("GET", &format!("/items/posts/{}", with_cover.id), None);
        let cover = item["data"]["cover"].as_str().expect("the cover set").to_owned();
        let (status, file) = server.call("GET", &format!("/files/{cover}?fields=width,height"), None);
        assert_eq!(status, 200, "{file}");
        assert_eq!((file["data"]["width"].as_u64(), file["data"]["height"].as_u64()), (Some(800), Some(200)));
        save(&ws, "pictured", &covered.replace("Look again", "And again"));
        destinations::publish(&ws.store, &ws.secrets, "pictured", "cms", false)
            .await
            .unwrap();
        let (_, files) = server.call("GET", "/files?fields=id", None);
        assert_eq!(files["data"].as_array().unwrap().len(), 2, "the copy uploaded once: {files}");
        assert!(ws.store.lock().unwrap().get("pictured").unwrap().source.contains(&wide.sha256));
        // Deleted in Directus: the next publish uploads it again.
        let (status, _) = server.call("DELETE", &format!("/files/{cover}"), None);
        assert_eq!(status, 204);
        save(&ws, "pictured", &covered.replace("Look again", "Once more"));
        destinations::publish(&ws.store, &ws.secrets, "pictured", "cms", false)
            .await
            .unwrap();
        let (_, item) = server.call("GET", &format!("/items/posts/{}", with_cover.id), None);
        let again = item["data"]["cover"].as_str().unwrap();
        assert_ne!(again, cover, "a new upload");
        let (status, _) = server.call("GET", &format!("/files/{again}"), None);
        assert_eq!(status, 200);

        // Taken down when asked: deleted there.
        destinations::unpublish(&ws.store, &ws.secrets, "spring", "cms", true)
            .await
            .unwrap();
        let (status, _) = server.call("GET", &format!("/items/posts/{}", first.id), None);
        assert_eq!(status, 403, "Directus says 403 for an item that is not there");
    });
}
