//! The WordPress client against a real WordPress (Debian's 6.1 on its own MariaDB,
//! started privately by the test kit): create, update in place, tags, a post edited in
//! WordPress meanwhile, a wrong password, WordPress down mid-publish, take down.
//! One server for the whole file, so the steps run in order in one test.

use std::time::Duration;

use pressroom_core::cms::{Outgoing, RemotePost};
use pressroom_core::wordpress::WordPress;
use pressroom_core::Error;
use pressroom_testkit::WordPress as Server;
use serde_json::Value;

/// What WordPress itself says (as the admin, with the Application Password).
async fn rest(server: &Server, method: reqwest::Method, route: &str, body: Option<Value>) -> Value {
    let url = format!("{}{route}", server.rest_root.trim_end_matches('/'));
    let mut request = reqwest::Client::new()
        .request(method, url)
        .basic_auth(&server.user, Some(&server.app_password));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// The posts (any status) with `slug`.
async fn posts_with_slug(server: &Server, slug: &str) -> Vec<Value> {
    let found = rest(
        server,
        reqwest::Method::GET,
        &format!("/wp/v2/posts&slug={slug}&status=publish,draft&context=edit"),
        None,
    )
    .await;
    found
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("not a list of posts: {found}"))
}

/// The public page of post `id`: its status and HTML.
async fn page(server: &Server, id: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}/?p={id}", server.url))
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn post<'a>(title: &'a str, html: &'a str, tags: &'a [String]) -> Outgoing<'a> {
    Outgoing {
        title,
        slug: "spring-launch",
        html,
        excerpt: "What launches this spring.",
        tags,
        markdown: "",
        categories: &[],
        revision: "r_0000000000000000",
        draft: false,
        status: None,
        cover: None,
        publish_at: None,
        date: None,
    }
}

#[test]
fn publishes_to_a_real_wordpress_in_place_and_never_overwrites_its_edits() {
    let mut server = Server::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let wp = WordPress::new(&server.rest_root, &server.user, &server.app_password).unwrap();

        // The connection test names the account and whether it may publish.
        let account = wp.account().await.unwrap();
        assert_eq!(account.name, "admin");
        assert!(account.can_publish);

        // A wrong password is a clear refusal, and nothing is written.
        let wrong = WordPress::new(&server.rest_root, "admin", "not the password").unwrap();
        let refused = wrong.account().await.unwrap_err();
        assert!(
            matches!(refused, Error::DestinationRefused { .. }),
            "{refused}"
        );
        assert!(
            refused.to_string().contains("Application Password"),
            "{refused}"
        );
        let tags = vec!["launch".to_owned(), "Spring News".to_owned()];
        let refused = wrong
            .publish(&post("Spring launch", "<p>One.</p>", &tags), None, false)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, Error::DestinationRefused { .. }),
            "{refused}"
        );
        assert!(posts_with_slug(&server, "spring-launch").await.is_empty());

        // Created once, with its tags (made in WordPress, found by slug the next time).
        let first = wp
            .publish(&post("Spring launch", "<p>One.</p>", &tags), None, false)
            .await
            .unwrap();
        let (status, html) = page(&server, &first.id).await;
        assert_eq!(status, 200);
        assert!(html.contains("Spring launch") && html.contains("One."));
        let made = rest(
            &server,
            reqwest::Method::GET,
            "/wp/v2/tags&slug=spring-news",
            None,
        )
        .await;
        assert_eq!(made[0]["name"], "Spring News");

        // Updated in place: the same post, never a second one.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let second = wp
            .publish(
                &post("Spring launch", "<p>Two.</p>", &tags),
                Some(&first),
                false,
            )
            .await
            .unwrap();
        assert_eq!(second.id, first.id);
        assert_ne!(second.modified, first.modified);
        let same = posts_with_slug(&server, "spring-launch").await;
        assert_eq!(same.len(), 1, "one post, updated in place");
        assert_eq!(same[0]["tags"].as_array().map(Vec::len), Some(2));
        assert!(page(&server, &first.id).await.1.contains("Two."));

        // Someone edits the post in WordPress: publishing over it is refused, naming
        // it, until the editor chooses to overwrite.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let route = format!("/wp/v2/posts/{}", first.id);
        rest(
            &server,
            reqwest::Method::POST,
            &route,
            Some(serde_json::json!({ "title": "Edited in WordPress" })),
        )
        .await;
        let conflict = wp
            .publish(
                &post("Spring launch", "<p>Three.</p>", &tags),
                Some(&second),
                false,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(conflict, Error::EditedElsewhere { .. }),
            "{conflict}"
        );
        assert!(conflict.to_string().contains("edited there"), "{conflict}");
        assert!(page(&server, &first.id)
            .await
            .1
            .contains("Edited in WordPress"));
        // Lines broken inside a paragraph stay one paragraph (no <br> from WordPress),
        // and a title is text, not markup.
        let third = wp
            .publish(
                &Outgoing {
                    title: "Spring <launch> & more",
                    ..post("", "<p>Three,\nwrapped.</p>", &tags)
                },
                Some(&second),
                true,
            )
            .await
            .unwrap();
        assert_eq!(third.id, first.id);
        let (_, html) = page(&server, &first.id).await;
        assert!(
            html.contains("Three,\nwrapped.") && !html.contains("Three,<br"),
            "{html}"
        );
        assert!(html.contains("Spring &lt;launch&gt; &amp; more"), "{html}");

        // A post moved to WordPress's trash is not quietly brought back either.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        rest(&server, reqwest::Method::DELETE, &route, None).await;
        let trashed = wp
            .publish(
                &post("Spring launch", "<p>Three.</p>", &tags),
                Some(&third),
                false,
            )
            .await
            .unwrap_err();
        assert!(trashed.to_string().contains("trash"), "{trashed}");
        let third = wp
            .publish(
                &post("Spring launch", "<p>Three.</p>", &tags),
                Some(&third),
                true,
            )
            .await
            .unwrap();
        assert_eq!(third.id, first.id);

        // WordPress down mid-publish: a clear error, nothing half-written; once it is
        // back, the same publish goes through in place.
        server.stop_web();
        let down = wp
            .publish(
                &post("Spring launch", "<p>Four.</p>", &tags),
                Some(&third),
                false,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(down, Error::DestinationUnreachable { .. }),
            "{down}"
        );
        server.start_web();
        assert!(page(&server, &first.id).await.1.contains("Three."));
        let fourth: RemotePost = wp
            .publish(
                &post("Spring launch", "<p>Four.</p>", &tags),
                Some(&third),
                false,
            )
            .await
            .unwrap();
        assert_eq!(fourth.id, first.id);
        assert!(page(&server, &first.id).await.1.contains("Four."));

        // Taken down: its page is gone; taking it down again is no error.
        wp.delete(&fourth.id).await.unwrap();
        assert_eq!(page(&server, &first.id).await.0, 404);
        wp.delete(&fourth.id).await.unwrap();
        assert!(posts_with_slug(&server, "spring-launch").await.is_empty());

        // Pull pages in a total order: 25 posts made within a second or two, read 10
        // a page, each come back exactly once (by date, ties shuffle between pages).
        for i in 0..25 {
            let slug = format!("many-{i}");
            wp.publish(
                &Outgoing {
                    slug: &slug,
                    ..post(&slug, "<p>Many.</p>", &[])
                },
                None,
                false,
            )
            .await
            .unwrap();
        }
        let pulled = wp.pull(10).await.unwrap();
        let mut ids: Vec<&str> = pulled.iter().map(|p| p.remote.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), pulled.len(), "each post once");
        let many = pulled
            .iter()
            .filter(|p| p.slug.starts_with("many-"))
            .count();
        assert_eq!(many, 25);

        // A cover image: uploaded to the media library, set as the featured image; a
        // publish without one leaves it as it is.
        let picture = {
            let img = image::RgbImage::from_pixel(30, 20, image::Rgb([240, 180, 20]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            pressroom_core::assets::prepare(out.get_ref(), "sun.png", false).unwrap()
        };
        let upload = wp.upload(&picture.asset, &picture.bytes).await.unwrap();
        assert!(
            upload.url.contains(&picture.asset.sha256[..16]),
            "{upload:?}"
        );
        let covered = wp
            .publish(
                &Outgoing {
                    slug: "covered",
                    cover: Some(&upload),
                    ..post("Covered", "<p>With a cover.</p>", &[])
                },
                None,
                false,
            )
            .await
            .unwrap();
        let featured = |post: Value| post["featured_media"].as_u64().map(|id| id.to_string());
        let route = format!("/wp/v2/posts/{}", covered.id);
        let read = rest(&server, reqwest::Method::GET, &route, None).await;
        assert_eq!(featured(read), Some(upload.id.clone()));
        let remote = wp
            .publish(
                &Outgoing {
                    slug: "covered",
                    ..post("Covered", "<p>Again.</p>", &[])
                },
                Some(&covered),
                false,
            )
            .await
            .unwrap();
        let read = rest(
            &server,
            reqwest::Method::GET,
            &format!("/wp/v2/posts/{}", remote.id),
            None,
        )
        .await;
        assert_eq!(featured(read), Some(upload.id), "kept");
    });
}
