//! The real app binary in a real window under Xvfb, driven through tauri-driver.
//! Screenshots of the display land in tests/artifacts/ — look at them; a blank window
//! passes nothing.

mod support;

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use pressroom_core::{workspace, Store};
use serde_json::json;
use support::{artifacts_dir, Display, Driver};

/// Upper bound for one test's interaction with the app; a hang fails, it never blocks CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

async fn open_app(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_pressroom-app") }),
    );
    ClientBuilder::rustls()
        .expect("TLS roots")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session with the app")
}

/// Rendered text (`innerText`, what a person sees) of every element matching `css`,
/// polled until `ready` accepts it. WebKitWebDriver's own "element text" answers ""
/// for Tauri pages, so the page is asked directly.
async fn texts_when(client: &Client, css: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let value = client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim())",
                vec![json!(css)],
            )
            .await
            .unwrap();
        let texts: Vec<String> = serde_json::from_value(value).unwrap();
        if ready(&texts) {
            return texts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css}: never became ready, last saw {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Runs `test` against the app on a fresh display, then saves a screenshot of the
/// display as `tests/artifacts/<name>.png` — also when the test failed.
fn with_app<F>(name: &str, data_dir: &Path, test: F)
where
    F: AsyncFnOnce(&Client),
{
    let display = Display::start();
    let driver = Driver::start(&display, &[(workspace::DATA_DIR_ENV, data_dir)]);
    let shot = artifacts_dir().join(format!("{name}.png"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt.block_on(async {
        let client = open_app(&driver).await;
        let body = std::panic::AssertUnwindSafe(test(&client)).catch_unwind();
        let outcome = tokio::time::timeout(TEST_TIMEOUT, body).await;
        display.screenshot(&shot);
        let _ = client.close().await;
        outcome
    });
    match outcome {
        Err(_) => panic!("{name}: no result within {TEST_TIMEOUT:?}"),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Ok(Ok(())) => {}
    }
    let size = std::fs::metadata(&shot).unwrap().len();
    assert!(
        size > 20_000,
        "{} is {size} bytes: a blank window?",
        shot.display()
    );
}

#[test]
fn first_start_shows_the_sandbox_samples() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("first-start", tmp.path(), async |client| {
        // Welcome first: the newest document leads the list.
        texts_when(client, ".doc-item .title", |t| {
            t == [
                "Welcome to Pressroom",
                "A tour of the markdown Pressroom understands",
                "Release notes",
            ]
        })
        .await;
        // The first document is selected and rendered by the core renderer.
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        texts_when(client, ".preview h2#try-it", |t| t == ["Try it"]).await;
    });
    // The samples were written to the sandbox workspace on disk.
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    assert_eq!(store.list().unwrap().len(), 3);
}

#[test]
fn lists_the_local_store_and_previews_a_document() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(workspace::database_path(tmp.path())).unwrap();
        store
            .create(
                "zebra-notes",
                "---\ntitle: Zebra field notes\ntags: [animals]\n---\n## Stripes {#stripes}\n\n| kind | count |\n|---|---|\n| plains | 3 |\n",
            )
            .unwrap();
        store
            .create("broken", "---\ntitle: Broken\ntags: [x\n---\nBody\n")
            .unwrap();
        store
            .create("apples", "---\ntitle: Apples\n---\nCrisp.\n")
            .unwrap();
    }
    with_app("preview-and-search", tmp.path(), async |client| {
        // Newest first; a draft whose front matter never parsed shows its slug.
        texts_when(client, ".doc-item .title", |t| {
            t == ["Apples", "broken", "Zebra field notes"]
        })
        .await;

        // The draft with malformed front matter is flagged, not hidden.
        texts_when(client, ".doc-item[data-slug='broken'] .badge", |t| {
            t.len() == 1 && t[0].eq_ignore_ascii_case("error")
        })
        .await;

        click(client, ".doc-item[data-slug='zebra-notes']").await;
        texts_when(client, ".doc-title", |t| t == ["Zebra field notes"]).await;
        texts_when(client, ".preview h2#stripes", |t| t == ["Stripes"]).await;
        texts_when(client, ".preview td", |t| t.contains(&"plains".to_string())).await;

        // Full-text search narrows the list.
        client
            .find(Locator::Css("input.search"))
            .await
            .unwrap()
            .send_keys("stri")
            .await
            .unwrap();
        texts_when(client, ".search-hit .title", |t| t == ["Zebra field notes"]).await;
        texts_when(client, ".search-hit mark", |t| t == ["Stripes"]).await;
    });
}

#[test]
fn edit_then_publish_to_the_sandbox_and_see_it_live_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("publish-live", tmp.path(), async |client| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        // Type at the end of the document in the CodeMirror editor. (WebKitWebDriver's
        // element send-keys does not reach a contenteditable, so the text goes in as the
        // browser's own insertText editing command at a caret placed at the end.)
        click(client, ".cm-content").await;
        client
            .execute(
                "const c = document.querySelector('.cm-content'); c.focus();
                 const r = document.createRange(); r.selectNodeContents(c.lastElementChild);
                 r.collapse(false); const s = getSelection(); s.removeAllRanges(); s.addRange(r);
                 return new Promise(done => setTimeout(() => done(
                   document.execCommand('insertText', false, arguments[0])), 100));",
                vec![json!("Typed in the GUI test, then published.")],
            )
            .await
            .unwrap();
        // The preview follows the typing.
        texts_when(client, ".preview", |t| {
            t.iter().any(|p| p.contains("Typed in the GUI test"))
        })
        .await;
        texts_when(client, ".save-state", |t| t == ["Saved"]).await;

        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| {
            t == ["Live ✓"]
        })
        .await;
        let revision = texts_when(client, ".panel h2 .rev", |t| t.len() == 1).await;
        // Side by side: the live page shows the revision that was published.
        texts_when(client, ".side-by-side .live-rev", |t| {
            t == revision.as_slice()
        })
        .await;
        let sandboxed: serde_json::Value = client
            .execute(
                "const f = document.querySelector('iframe.live-frame'); return f && f.getAttribute('sandbox');",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            sandboxed,
            json!(""),
            "the live page is in a sandboxed iframe"
        );
    });
    // The publish and its confirmation are in the sandbox workspace.
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let doc = store.get("welcome").unwrap();
    assert!(doc.source.contains("Typed in the GUI test"));
    assert_eq!(doc.published_revision, doc.revision);
}
