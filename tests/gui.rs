//! The real app binary in a real window under Xvfb, driven through tauri-driver.
//! Screenshots of the display land in tests/artifacts/ — look at them; a blank window
//! passes nothing.

mod support;

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use pressroom_core::secrets::SecretStore;
use pressroom_core::signing::Secret;
use pressroom_core::{workspace, Store};
use serde_json::json;
use support::{artifacts_dir, Display, Driver};

/// Upper bound for one test's interaction with the app; a hang fails, it never blocks CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Upper bound for starting one WebDriver session with the app.
const SESSION_TIMEOUT: Duration = Duration::from_secs(40);

/// The app this build made; `with_app_at` starts another (the installed package's).
const APP: &str = env!("CARGO_BIN_EXE_pressroom-app");

async fn open_app(driver: &Driver, app: &Path) -> Client {
    open_app_with(driver, app, &[]).await
}

/// `open_app`, the app started with `args` on its command line.
async fn open_app_with(driver: &Driver, app: &Path, args: &[String]) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app, "args": args }),
    );
    // tauri-driver listens before WebKitWebDriver behind it is ready; on a busy machine
    // the first request can be cut off. A few tries, then a clear failure.
    let mut tries = 0;
    loop {
        tries += 1;
        match ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) if tries < 4 => {
                eprintln!("WebDriver session, try {tries}: {e}; trying again");
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => panic!("WebDriver session with the app: {e}"),
        }
    }
}

/// Rendered text (`innerText`, what a person sees) of every element matching `css`,
/// polled until `ready` accepts it. WebKitWebDriver's own "element text" answers ""
/// for Tauri pages, so the page is asked directly.
async fn texts_when(client: &Client, css: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
    values_when(client, css, "e.innerText.trim()", ready).await
}

/// The revision ids (`data-revision`: the app shows editors words, and the id on
/// hover) of every element matching `css`, polled until `ready` accepts them.
async fn revisions_when(
    client: &Client,
    css: &str,
    ready: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    values_when(client, css, "e.getAttribute('data-revision') || ''", ready).await
}

/// `value` (a JavaScript expression of `e`) of every element matching `css`, polled
/// until `ready` accepts them.
async fn values_when(
    client: &Client,
    css: &str,
    value: &str,
    ready: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let script =
        format!("return Array.from(document.querySelectorAll(arguments[0]), e => {value})");
    loop {
        let found = client.execute(&script, vec![json!(css)]).await.unwrap();
        let values: Vec<String> = serde_json::from_value(found).unwrap();
        if ready(&values) {
            return values;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css}: never became ready, last saw {values:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element matching `css`, waiting (boundedly) for it to appear and to be
/// enabled (a click on a button disabled while a view loads would be lost).
async fn click(client: &Client, css: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let element = loop {
        match client.find(Locator::Css(css)).await {
            Ok(e) if e.is_enabled().await.unwrap_or(true) => break e,
            Ok(_) if std::time::Instant::now() > deadline => panic!("{css}: stays disabled"),
            Err(e) if std::time::Instant::now() > deadline => panic!("{css}: {e}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    element.click().await.unwrap();
}

/// Waits for the demo site's Live ✓, then for the side-by-side view to show, on the
/// live side, the revision that was published.
async fn demo_is_live_with_the_published_revision(client: &Client) {
    texts_when(client, ".site[data-site='demo'] .stage", |t| {
        t == ["Live ✓"]
    })
    .await;
    let revision = revisions_when(client, ".panel > .head > h2", |t| t.len() == 1).await;
    revisions_when(client, ".side-by-side .live-rev", |t| {
        t == revision.as_slice()
    })
    .await;
    texts_when(client, ".side-by-side .live-rev", |t| {
        t == ["shows this text"]
    })
    .await;
}

/// Runs `test` against the app on a fresh display, then saves a screenshot of the
/// display as `tests/artifacts/<name>.png` — also when the test failed.
fn with_app<F>(name: &str, data_dir: &Path, test: F)
where
    F: AsyncFnOnce(&Client, &Display),
{
    with_app_in(name, data_dir, &[], test)
}

/// `with_app` with more environment for the app (`GTK_THEME` for the dark theme).
fn with_app_in<F>(name: &str, data_dir: &Path, more_env: &[(&str, &str)], test: F)
where
    F: AsyncFnOnce(&Client, &Display),
{
    with_app_at(Path::new(APP), name, data_dir, more_env, test)
}

/// `with_app_in`, starting the app at `app`.
fn with_app_at<F>(app: &Path, name: &str, data_dir: &Path, more_env: &[(&str, &str)], test: F)
where
    F: AsyncFnOnce(&Client, &Display),
{
    with_app_ending(app, name, data_dir, more_env, &[], true, test)
}

/// `with_app_at`; `shown_at_end`: the window is on the screen when the test ends (its
/// screenshot must not be blank).
fn with_app_ending<F>(
    app: &Path,
    name: &str,
    data_dir: &Path,
    more_env: &[(&str, &str)],
    args: &[String],
    shown_at_end: bool,
    test: F,
) where
    F: AsyncFnOnce(&Client, &Display),
{
    let display = Display::start();
    let shot = artifacts_dir().join(format!("{name}.png"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Now and then WebKit's remote inspector cannot have the port WebKitWebDriver chose
    // for it (another test's process took it first) and the session never starts: then
    // the driver and the app are stopped and started again on new ports.
    let mut tries = 0;
    let (_driver, client) = loop {
        tries += 1;
        let driver = Driver::start_with(
            &display,
            &[(workspace::DATA_DIR_ENV, data_dir.as_os_str())],
            more_env,
        );
        match rt.block_on(async {
            tokio::time::timeout(SESSION_TIMEOUT, open_app_with(&driver, app, args)).await
        }) {
            Ok(client) => break (driver, client),
            Err(_) if tries < 3 => {
                eprintln!(
                    "{name}: no WebDriver session within {SESSION_TIMEOUT:?}; starting again"
                );
            }
            Err(_) => panic!("{name}: no WebDriver session after {tries} tries"),
        }
    };
    let outcome = rt.block_on(async {
        let body = std::panic::AssertUnwindSafe(test(&client, &display)).catch_unwind();
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
        !shown_at_end || size > 20_000,
        "{} is {size} bytes: a blank window?",
        shot.display()
    );
}

#[test]
fn delete_and_remove_site_ask_first_and_the_trash_gives_back() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("trash", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        type_at_end(client, "Words typed just before deleting.").await;

        // Delete asks; Cancel and Escape keep the document.
        click(client, "button.delete-doc").await;
        let title = texts_when(client, ".dialog h2", |t| t.len() == 1).await;
        assert_eq!(title, ["Move “Welcome to Pressroom” to the Trash?"]);
        display.screenshot(&artifacts_dir().join("delete-asks.png"));
        click(client, ".dialog .cancel").await;
        texts_when(client, ".dialog h2", |t| t.is_empty()).await;
        click(client, "button.delete-doc").await;
        texts_when(client, ".dialog h2", |t| t.len() == 1).await;
        press_key(client, "Escape").await;
        texts_when(client, ".dialog h2", |t| t.is_empty()).await;
        texts_when(client, ".doc-item[data-slug='welcome'] .title", |t| {
            t.len() == 1
        })
        .await;

        // Going ahead moves it to the Trash, with the words typed last.
        click(client, "button.delete-doc").await;
        click(client, ".dialog .go").await;
        texts_when(client, ".doc-item[data-slug='welcome']", |t| t.is_empty()).await;
        texts_when(client, ".trash-toggle", |t| {
            t.len() == 1 && t[0].starts_with("Trash (1)")
        })
        .await;
        click(client, ".trash-toggle").await;
        display.screenshot(&artifacts_dir().join("trash-open.png"));
        click(client, ".trashed[data-slug='welcome'] .restore").await;
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        texts_when(client, ".preview", |t| {
            t.iter()
                .any(|p| p.contains("Words typed just before deleting."))
        })
        .await;
        texts_when(client, ".trash-toggle", |t| t.is_empty()).await;

        // Remove site asks too; Cancel keeps it.
        click(client, ".nav-settings").await;
        click(client, ".site[data-site='demo'] .remove-site").await;
        let title = texts_when(client, ".dialog h2", |t| t.len() == 1).await;
        assert_eq!(title, ["Remove the site demo?"]);
        click(client, ".dialog .cancel").await;
        texts_when(client, ".dialog h2", |t| t.is_empty()).await;
        texts_when(client, ".site[data-site='demo'] strong", |t| t == ["demo"]).await;
    });
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    assert!(store
        .get("welcome")
        .unwrap()
        .source
        .contains("Words typed just before deleting."));
    assert!(store.trash().unwrap().is_empty());
    assert!(store.site("demo").is_ok());
}

#[test]
fn ctrl_enter_right_after_typing_publishes_the_exact_text_once() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("publish-exact", tmp.path(), async |client, _| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        type_at_end(client, "Typed, then published at once").await;
        // The last keystroke and Ctrl+Enter in the same instant, as a fast typist does;
        // the editor and the window both see the key.
        client
            .execute(
                "const c = document.querySelector('.cm-content');
                 document.execCommand('insertText', false, '.');
                 c.dispatchEvent(new KeyboardEvent('keydown',
                   { key: 'Enter', code: 'Enter', keyCode: 13, ctrlKey: true, bubbles: true }));",
                vec![],
            )
            .await
            .unwrap();
        demo_is_live_with_the_published_revision(client).await;

        // The panel's share of the height is the user's: the splitter moves it.
        let moved = eval(
            client,
            "const s = document.querySelector('.splitter'); const p = document.querySelector('.panel');
             const before = [Number(s.getAttribute('aria-valuenow')), p.getBoundingClientRect().height];
             s.focus();
             s.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
             return new Promise(done => requestAnimationFrame(() => done([before,
               [Number(s.getAttribute('aria-valuenow')), p.getBoundingClientRect().height]])));",
        )
        .await;
        let (before, after) = (&moved[0], &moved[1]);
        assert!(
            after[0].as_f64() < before[0].as_f64() && after[1].as_f64() < before[1].as_f64(),
            "ArrowDown gives the panel less height: {moved}"
        );
        // Ctrl+B on a selection makes it bold, as one change; the counter follows.
        type_at_end(client, " Make this bold").await;
        client
            .execute(
                "const c = document.querySelector('.cm-content');
                 const line = c.lastElementChild; const t = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
                 let node, last; while ((node = t.nextNode())) last = node;
                 const r = document.createRange();
                 r.setStart(last, last.length - 'this bold'.length); r.setEnd(last, last.length);
                 const s = getSelection(); s.removeAllRanges(); s.addRange(r);
                 return new Promise(done => setTimeout(() => {
                   c.dispatchEvent(new KeyboardEvent('keydown',
                     { key: 'b', code: 'KeyB', keyCode: 66, ctrlKey: true, bubbles: true }));
                   done();
                 }, 150));",
                vec![],
            )
            .await
            .unwrap();
        texts_when(client, ".cm-content", |t| {
            t.len() == 1 && t[0].contains("Make **this bold**")
        })
        .await;
        texts_when(client, ".words", |t| {
            t.len() == 1 && t[0].ends_with("min read")
        })
        .await;
    });
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let (publish_id, revision) = store.latest_publish_of("welcome").unwrap().unwrap();
    let published = store.publish_record(publish_id).unwrap();
    assert!(
        published
            .source
            .trim_end()
            .ends_with("Typed, then published at once."),
        "the final keystroke was published: {:?}",
        &published.source[published.source.len().saturating_sub(60)..]
    );
    assert_eq!(
        store.get("welcome").unwrap().published_revision.as_deref(),
        Some(revision.as_str())
    );
    // One key press, one publish: a single delivery to the demo site.
    assert_eq!(store.deliveries(false, 100).unwrap().len(), 1);
}

#[test]
fn unpublish_takes_the_page_down_and_delete_offers_it() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("unpublish", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        click(client, "button.publish").await;
        demo_is_live_with_the_published_revision(client).await;

        // Unpublish asks, then follows every site until its page is gone.
        click(client, "button.unpublish").await;
        let title = texts_when(client, ".dialog h2", |t| t.len() == 1).await;
        assert_eq!(title, ["Unpublish “Welcome to Pressroom”?"]);
        click(client, ".dialog .go").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| {
            t == ["Gone ✓"]
        })
        .await;
        texts_when(client, ".panel h2", |t| {
            t.len() == 1 && t[0].starts_with("Taking down")
        })
        .await;
        display.screenshot(&artifacts_dir().join("unpublished.png"));
        texts_when(client, ".doc-item[data-slug='welcome'] .health", |t| {
            t.is_empty()
        })
        .await;

        // Published again, then deleted: the dialog offers to take it down on the way.
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| {
            t == ["Live ✓"]
        })
        .await;
        click(client, "button.delete-doc").await;
        let actions = texts_when(client, ".dialog .go", |t| t.len() == 2).await;
        assert_eq!(
            actions,
            ["Keep online, move to Trash", "Unpublish and move to Trash"]
        );
        display.screenshot(&artifacts_dir().join("delete-published-asks.png"));
        click(client, ".dialog [data-action='unpublish']").await;
        texts_when(client, ".doc-item[data-slug='welcome']", |t| t.is_empty()).await;
        texts_when(client, ".trash-toggle", |t| {
            t.len() == 1 && t[0].starts_with("Trash (1)")
        })
        .await;
    });
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    assert_eq!(store.trash().unwrap()[0].slug, "welcome");
    let (latest, _) = store.latest_publish_of("welcome").unwrap().unwrap();
    assert!(
        store.publish_record(latest).unwrap().unpublished,
        "taken down, then trashed"
    );
}

/// What the native menu sends the window (a menu item's id), sent the same way.
async fn menu(client: &Client, id: &str) {
    eval(
        client,
        &format!(
            "return window.__TAURI_INTERNALS__.invoke('plugin:event|emit', \
             {{ event: 'menu', payload: {id:?} }})"
        ),
    )
    .await;
}

#[test]
fn undo_from_the_menu_focus_mode_history_words_and_the_error_action() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("writing-comfort", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        let shows = |t: &[String], words: &str| t.iter().any(|p| p.contains(words));

        // Edit ▸ Undo and Redo act on the editor that has the focus.
        type_at_end(client, " Typed, then undone.").await;
        texts_when(client, ".preview", |t| shows(t, "Typed, then undone.")).await;
        menu(client, "undo").await;
        texts_when(client, ".preview", |t| !shows(t, "Typed, then undone.")).await;
        menu(client, "redo").await;
        texts_when(client, ".preview", |t| shows(t, "Typed, then undone.")).await;
        texts_when(client, ".save-state", |t| t == ["Saved"]).await;

        // The history names the save by when and by the words it changed.
        click(client, ".history-button").await;
        let newest = texts_when(client, ".revisions .revision", |t| t.len() >= 2).await;
        assert!(
            newest[0].starts_with("Version") && newest[0].contains("just now"),
            "{newest:?}"
        );
        assert!(newest[0].contains("Typed, then undone."), "{newest:?}");
        display.screenshot(&artifacts_dir().join("history-words.png"));
        click(client, ".history .small-button").await;

        // Focus mode: the text alone; Escape brings the rest back.
        menu(client, "focus").await;
        texts_when(client, ".leave-focus", |t| t == ["Leave focus mode"]).await;
        let hidden = eval(
            client,
            "return [!!document.querySelector('.sidebar'),
                     document.querySelector('.preview-pane').offsetParent === null,
                     document.querySelector('.toolbar').offsetParent === null]",
        )
        .await;
        assert_eq!(hidden, json!([false, true, true]), "only the text is left");
        display.screenshot(&artifacts_dir().join("focus-mode.png"));
        press_key(client, "Escape").await;
        texts_when(client, ".leave-focus", |t| t.is_empty()).await;
        texts_when(client, ".doc-item[data-slug='welcome'] .title", |t| {
            t.len() == 1
        })
        .await;

        // An error comes with the one thing to do about it: a slug already taken
        // offers the slug field, and the button puts the cursor there.
        fill(client, "input[name='slug']", "markdown-tour").await;
        click(client, "input[name='title']").await;
        let action = texts_when(client, ".banner.error .error-action", |t| t.len() == 1).await;
        assert_eq!(action, ["Change the slug"]);
        display.screenshot(&artifacts_dir().join("error-action.png"));
        click(client, ".banner.error .error-action").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let focused = eval(
            client,
            "return document.activeElement.name || document.activeElement.outerHTML.slice(0, 120)",
        )
        .await;
        assert_eq!(focused, json!("slug"));
        texts_when(client, ".banner.error", |t| t.is_empty()).await;
    });
}

/// The preview keeps level with the editor: scrolled to a section in the text, the
/// preview shows that section at its top.
#[test]
fn the_preview_follows_the_editors_scrolling() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(workspace::database_path(tmp.path())).unwrap();
        let mut text = String::from("---\ntitle: A long read\n---\n");
        for n in 1..=60 {
            text.push_str(&format!(
                "## Section {n}\n\nA paragraph of section {n}, long enough to wrap on a \
                 narrow pane and so to be taller in the preview than in the text.\n\n\
                 - one\n- two\n\n"
            ));
        }
        store.create("long-read", &text).unwrap();
    }
    with_app("scroll-sync", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["A long read"]).await;
        texts_when(client, ".preview h2", |t| t.len() == 60).await;
        // The sections at the top of the text and of the preview, after scrolling the
        // text to `share` of its height.
        let tops = async |share: f64| {
            eval(
                client,
                &format!(
                    "const s = document.querySelector('.cm-scroller');
                     s.scrollTop = (s.scrollHeight - s.clientHeight) * {share};
                     return new Promise(done => setTimeout(() => {{
                       const top = (els, box) => Array.from(els).find(e =>
                         e.getBoundingClientRect().bottom > box.getBoundingClientRect().top + 4);
                       const line = top(document.querySelectorAll('.cm-line'), s);
                       const pane = document.querySelector('.preview-pane');
                       const head = top(document.querySelectorAll('.preview h2'), pane);
                       const section = (t) => Number((/Section (\\d+)/.exec(t) || [])[1]);
                       const lines = Array.from(document.querySelectorAll('.cm-line'));
                       const from = lines.indexOf(line);
                       const heading = lines.slice(from).find(l => /## Section/.test(l.textContent));
                       done([section(heading.textContent), section(head.textContent)]);
                     }}, 400));"
                ),
            )
            .await
        };
        for share in [0.3, 0.6] {
            let [text, preview]: [u32; 2] = serde_json::from_value(tops(share).await).unwrap();
            assert!(
                text.abs_diff(preview) <= 1,
                "text at section {text}, preview at section {preview} (scrolled to {share})"
            );
        }
        display.screenshot(&artifacts_dir().join("scroll-sync.png"));
    });
}

#[test]
fn a_new_documents_slug_follows_its_title_until_published() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("slug-follows", tmp.path(), async |client, _| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        click(client, "button.new").await;
        texts_when(client, ".doc-item.active", |t| {
            t.len() == 1 && t[0].contains("/untitled")
        })
        .await;
        fill(client, "input[name='title']", "Spring launch notes").await;
        click(client, "input[name='tags']").await; // leave the title
        texts_when(client, ".doc-item.active .slug", |t| {
            t == ["/spring-launch-notes"]
        })
        .await;
        // Published, it keeps its address whatever the title becomes.
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| {
            t == ["Live ✓"]
        })
        .await;
        fill(client, "input[name='title']", "Spring launch").await;
        click(client, "input[name='tags']").await;
        texts_when(client, ".doc-title", |t| t == ["Spring launch"]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        texts_when(client, ".doc-item.active .slug", |t| {
            t == ["/spring-launch-notes"]
        })
        .await;
    });
}

#[test]
fn first_start_shows_the_sandbox_samples() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("first-start", tmp.path(), async |client, _| {
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
    with_app("preview-and-search", tmp.path(), async |client, _| {
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
        // A typo still finds it.
        let search = client.find(Locator::Css("input.search")).await.unwrap();
        search.clear().await.unwrap();
        search.send_keys("zebar").await.unwrap();
        texts_when(client, ".search-hit .title", |t| t == ["Zebra field notes"]).await;
    });
}

#[test]
fn edit_then_publish_to_the_sandbox_and_see_it_live_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("publish-live", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        // Before any site served a page, the theme preview says what it needs.
        click(client, ".preview-mode .theme-toggle").await;
        texts_when(client, ".theme-preview .note", |t| {
            t.len() == 1 && t[0].contains("No site has served a page yet")
        })
        .await;
        click(client, ".preview-mode button:first-child").await;
        type_at_end(client, "Typed in the GUI test, then published.").await;
        // The preview follows the typing.
        texts_when(client, ".preview", |t| {
            t.iter().any(|p| p.contains("Typed in the GUI test"))
        })
        .await;
        texts_when(client, ".save-state", |t| t == ["Saved"]).await;

        click(client, "button.publish").await;
        demo_is_live_with_the_published_revision(client).await;
        texts_when(client, ".doc-item[data-slug='welcome'] .health", |t| {
            t == ["Live ✓"]
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
        // As its visitors see it: the site's own stylesheet inlined, and the paragraph
        // this publish added highlighted on both sides.
        let frame = |css: &'static str| async move {
            for _ in 0..100 {
                let doc = eval(
                    client,
                    &format!(
                        "const f = document.querySelector({}); return f ? f.srcdoc : '';",
                        json!(css)
                    ),
                )
                .await;
                let doc = doc.as_str().unwrap_or_default().to_owned();
                if doc.contains("max-width:46rem") {
                    return doc;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("{css} never got the site's stylesheet");
        };
        let live = frame(".side-by-side[data-site='demo'] iframe.live-frame").await;
        assert!(
            live.contains("data-pressroom-changed") && live.contains("Typed in the GUI test"),
            "{live}"
        );
        texts_when(
            client,
            ".side-by-side[data-site='demo'] .local [data-pressroom-changed]",
            |t| t.iter().any(|p| p.contains("Typed in the GUI test")),
        )
        .await;
        display.screenshot(&artifacts_dir().join("side-by-side.png"));
        // The local render in the site's theme: inside the page's <main>, its styles on.
        click(client, ".side-by-side[data-site='demo'] button.themed").await;
        let themed = frame(".side-by-side[data-site='demo'] iframe.local-frame").await;
        assert!(
            themed.contains("<main><h1") && themed.contains("Pressroom demo site"),
            "{themed}"
        );
        click(client, ".side-by-side[data-site='demo'] button.expand").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        display.screenshot(&artifacts_dir().join("side-by-side-themed-expanded.png"));
        click(client, ".side-by-side[data-site='demo'] button.expand").await;

        // Before publishing another document: its draft in the demo site's design, in a
        // page the site served (the one just confirmed), as the preview follows typing.
        click(client, ".doc-item[data-slug='release-notes']").await;
        texts_when(client, ".doc-title", |t| {
            t.len() == 1 && t[0] != "Welcome to Pressroom"
        })
        .await;
        click(client, ".preview-mode .theme-toggle").await;
        let themed = frame(".theme-preview iframe.theme-frame").await;
        assert!(
            themed.contains("<main><h1") && themed.contains("Pressroom demo site"),
            "{themed}"
        );
        type_at_end(client, "A line only the draft has.").await;
        for _ in 0..100 {
            let doc = eval(
                client,
                "const f = document.querySelector('.theme-preview iframe.theme-frame'); return f ? f.srcdoc : '';",
            )
            .await;
            if doc
                .as_str()
                .unwrap_or_default()
                .contains("A line only the draft has.")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let doc = eval(
            client,
            "return document.querySelector('.theme-preview iframe.theme-frame').srcdoc",
        )
        .await;
        assert!(
            doc.as_str().unwrap().contains("A line only the draft has."),
            "the themed preview follows the typing"
        );
        display.screenshot(&artifacts_dir().join("preview-in-theme.png"));
    });
    // The publish and its confirmation are in the sandbox workspace.
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let doc = store.get("welcome").unwrap();
    assert!(doc.source.contains("Typed in the GUI test"));
    assert_eq!(doc.published_revision, doc.revision);
}

/// Types `text` into the input or textarea matching `css`, replacing what it held.
async fn fill(client: &Client, css: &str, text: &str) {
    click(client, css).await;
    let field = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Inserts `text` at the end of the CodeMirror editor, as typing would. (WebKitWebDriver's
/// element send-keys does not reach a contenteditable, so the text goes in as the
/// browser's own insertText editing command at a caret placed at the end.)
async fn type_at_end(client: &Client, text: &str) {
    click(client, ".cm-content").await;
    client
        .execute(
            "const c = document.querySelector('.cm-content'); c.focus();
             const r = document.createRange(); r.selectNodeContents(c.lastElementChild);
             r.collapse(false); const s = getSelection(); s.removeAllRanges(); s.addRange(r);
             return new Promise(done => setTimeout(() => done(
               document.execCommand('insertText', false, arguments[0])), 100));",
            vec![json!(text)],
        )
        .await
        .unwrap();
}

/// A key pressed in the window (what its shortcuts listen to).
async fn press_key(client: &Client, key: &str) {
    client
        .execute(
            "window.dispatchEvent(new KeyboardEvent('keydown', { key: arguments[0] }))",
            vec![json!(key)],
        )
        .await
        .unwrap();
}

async fn eval(client: &Client, script: &str) -> serde_json::Value {
    client.execute(script, vec![]).await.unwrap()
}

/// In Settings, replaces the demo site's secret with `secret`; back to the editor.
async fn replace_demo_secret(client: &Client, secret: &str) {
    click(client, ".nav-settings").await;
    click(client, ".site[data-site='demo'] .replace-secret").await;
    fill(client, "input[name='replacement']", secret).await;
    click(client, "form.replace button[type='submit']").await;
    texts_when(client, ".settings .notice", |t| {
        t == ["demo: secret replaced."]
    })
    .await;
    click(client, ".appbar button:first-child").await;
}

#[test]
fn a_wrong_secret_shows_the_error_and_fixing_it_then_resending_goes_live() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox_dir = tmp.path().join("sandbox");
    with_app("wrong-secret-fixed", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        // The secret the demo site verifies with, as its owner would have it.
        let right = {
            let store = Store::open(workspace::database_path(&sandbox_dir)).unwrap();
            let reference = store.site("demo").unwrap().secret_ref.unwrap();
            SecretStore::for_workspace(&store)
                .get(&reference)
                .unwrap()
                .unwrap()
                .current
        };

        // Settings: replace the demo site's secret with one the site does not know.
        replace_demo_secret(client, Secret::generate().expose()).await;

        // Publish: the site refuses the webhook, the panel says why and what to do.
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| t == ["Error"]).await;
        let message = texts_when(client, ".site[data-site='demo'] .message", |t| {
            t.len() == 1 && !t[0].is_empty()
        })
        .await;
        assert!(
            message[0].contains("secret does not match"),
            "the error says what is wrong: {message:?}"
        );
        // The list says so too, not just "published".
        texts_when(client, ".doc-item[data-slug='welcome'] .health", |t| {
            t == ["Failed"]
        })
        .await;
        display.screenshot(&artifacts_dir().join("wrong-secret-error.png"));

        // The error's action opens that site's settings, its form in view.
        click(client, ".site[data-site='demo'] .fix-site").await;
        texts_when(client, ".site-form-card h2", |t| t == ["Edit demo"]).await;
        display.screenshot(&artifacts_dir().join("wrong-secret-settings.png"));
        click(client, ".site-form-card .actions button[type='button']").await; // Cancel
        texts_when(client, ".site-form-card h2", |t| t.is_empty()).await;
        click(client, ".appbar button:first-child").await; // back to the editor

        // Fix the secret in Settings, then re-send from the publish panel: live.
        replace_demo_secret(client, &right).await;
        click(client, ".site[data-site='demo'] .resend").await;
        demo_is_live_with_the_published_revision(client).await;
        display.screenshot(&artifacts_dir().join("wrong-secret-resent-live.png"));

        // The delivery log has both attempts: refused, then accepted.
        click(client, ".nav-deliveries").await;
        click(client, "tr.delivery .open-attempts").await;
        let attempts = texts_when(client, ".attempt strong", |t| t.len() == 2).await;
        assert_eq!(attempts[0], "401");
        assert!(attempts[1].starts_with('2'), "{attempts:?}");
        texts_when(client, ".delivery .state", |t| {
            t.first().is_some_and(|s| s == "delivered")
        })
        .await;
    });
}

/// A page that tries everything a page can try against the window that shows it.
const HOSTILE_PAGE: &str = r#"<!doctype html><html><head>
<meta name="content-revision" content="{revision}"><title>{title}</title>
<script>
  try { window.top.__TAURI_INTERNALS__.invoke('create_document', { title: 'pwned by page' }); } catch (e) {}
  try { parent.document.title = 'pwned'; } catch (e) {}
  try { parent.window.__reached = true; } catch (e) {}
</script></head>
<body><h1>{title}</h1>
<img src="x" onerror="parent.window.__reached = true">
<a href="javascript:parent.window.__reached=true">click</a>
<iframe src="javascript:parent.parent.window.__reached=true"></iframe>
<p>Body text.</p></body></html>"#;

/// A site whose webhook accepts anything and whose pages carry the last revision it
/// was told about — and scripts that try to reach the app.
async fn hostile_site() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::{get, post};
    use std::sync::{Arc, Mutex};
    let revision = Arc::new(Mutex::new(String::new()));
    let told = revision.clone();
    let router = axum::Router::new()
        .route(
            "/hook",
            post(move |body: String| async move {
                let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(r) = event["data"]["revision"].as_str() {
                    *told.lock().unwrap() = r.to_owned();
                }
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/posts/{slug}",
            get(move || async move {
                let page = HOSTILE_PAGE
                    .replace("{revision}", &revision.lock().unwrap())
                    .replace("{title}", "Welcome to Pressroom");
                axum::response::Html(page)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, server)
}

#[test]
fn a_hostile_page_cannot_reach_the_app_and_the_csp_blocks_injected_script() {
    let tmp = tempfile::tempdir().unwrap();
    with_app("hostile-page", tmp.path(), async |client, display| {
        let (site_url, server) = hostile_site().await;
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;

        // Settings: add the hostile site (a secret is generated and shown once).
        click(client, ".nav-settings").await;
        click(client, ".add-site").await;
        fill(client, "input[name='name']", "hostile").await;
        fill(
            client,
            "input[name='webhook_url']",
            &format!("{site_url}/hook"),
        )
        .await;
        fill(
            client,
            "input[name='page_url_template']",
            &format!("{site_url}/posts/{{slug}}"),
        )
        .await;
        // Its one instance, listed: the webhook and the confirmation go to its origin.
        fill(client, "textarea[name='instances']", &site_url).await;
        click(client, ".site-form button[type='submit']").await;
        texts_when(client, ".revealed .secret", |t| {
            t.len() == 1 && t[0].starts_with("whsec_")
        })
        .await;
        texts_when(client, ".site[data-site='hostile'] strong", |t| {
            t == ["hostile"]
        })
        .await;

        // Document content with script: rendered without it, and nothing ran.
        click(client, ".appbar button:first-child").await;
        type_at_end(
            client,
            "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> Script-laden text.",
        )
        .await;
        texts_when(client, ".preview", |t| {
            t.iter().any(|p| p.contains("Script-laden text"))
        })
        .await;
        assert_eq!(
            eval(
                client,
                "return document.querySelectorAll('.preview script, .preview [onerror]').length"
            )
            .await,
            json!(0)
        );
        assert_eq!(
            eval(client, "return window.__pwned === undefined").await,
            json!(true)
        );

        // Even script that reaches the DOM does not run: the CSP refuses inline script.
        let inline_blocked = eval(
            client,
            "const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
             document.body.appendChild(s);
             return new Promise(done => setTimeout(() => done(window.__inline === undefined), 200));",
        )
        .await;
        assert_eq!(inline_blocked, json!(true), "the CSP blocks inline script");

        // Publish to both sites: the hostile page is confirmed and shown beside ours.
        texts_when(client, ".save-state", |t| t == ["Saved"]).await;
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='hostile'] .stage", |t| {
            t == ["Live ✓"]
        })
        .await;
        revisions_when(
            client,
            ".side-by-side[data-site='hostile'] .live-rev",
            |t| t.len() == 1 && t[0].starts_with("r_"),
        )
        .await;
        eval(
            client,
            "document.querySelector(\".side-by-side[data-site='hostile']\").scrollIntoView()",
        )
        .await;
        display.screenshot(&artifacts_dir().join("hostile-page-published.png"));
        let frame = eval(
            client,
            "const f = document.querySelector(\".side-by-side[data-site='hostile'] iframe.live-frame\");
             return [f.getAttribute('sandbox'), f.srcdoc];",
        )
        .await;
        assert_eq!(
            frame[0],
            json!(""),
            "the live page is in a sandboxed iframe"
        );
        let srcdoc = frame[1].as_str().unwrap().to_ascii_lowercase();
        assert!(srcdoc.contains("body text."), "{srcdoc}");
        for gone in ["<script", "onerror", "javascript:", "<iframe"] {
            assert!(
                !srcdoc.contains(gone),
                "{gone} survived sanitizing: {srcdoc}"
            );
        }

        // Defence in depth: were script to slip through sanitizing, the sandbox still
        // keeps it away from the app — put the page's own script into the real frame.
        let raw = HOSTILE_PAGE
            .replace("{revision}", "r_x")
            .replace("{title}", "x");
        client
            .execute(
                "document.querySelector(\".side-by-side[data-site='hostile'] iframe.live-frame\").srcdoc = arguments[0];",
                vec![json!(raw)],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(
            eval(
                client,
                "return window.__reached === undefined && document.title !== 'pwned'"
            )
            .await,
            json!(true)
        );
        display.screenshot(&artifacts_dir().join("hostile-page-side-by-side.png"));
        server.abort();
    });
    // No command was reached: the page's create_document never happened.
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let hostile = store.site("hostile").unwrap();
    assert_eq!(
        hostile.instances.len(),
        1,
        "saved from the form: {hostile:?}"
    );
    assert!(store
        .list()
        .unwrap()
        .iter()
        .all(|d| d.title != "pwned by page"));
}

#[test]
fn fields_history_settings_and_help() {
    let tmp = tempfile::tempdir().unwrap();
    let export_dir = tmp.path().join("export");
    with_app(
        "fields-history-settings",
        tmp.path(),
        async |client, display| {
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;

            // Title and tags fields write the front matter; the editor and preview follow.
            fill(client, "input[name='title']", "Hello from the fields").await;
            fill(client, "input[name='tags']", "alpha, beta").await;
            click(client, "input[name='slug']").await; // leave the tags field
            texts_when(client, ".doc-title", |t| t == ["Hello from the fields"]).await;
            texts_when(client, ".doc .tags li", |t| t == ["alpha", "beta"]).await;
            texts_when(client, ".cm-content", |t| {
                t.len() == 1
                    && t[0].contains("title: Hello from the fields")
                    && t[0].contains("tags: [alpha, beta]")
                    && t[0].contains("author: The Pressroom team")
            })
            .await;
            texts_when(client, ".save-state", |t| t == ["Saved"]).await;
            texts_when(client, ".doc-item.active .title", |t| {
                t == ["Hello from the fields"]
            })
            .await;

            // The slug field renames the document.
            fill(client, "input[name='slug']", "hello-fields").await;
            click(client, "input[name='title']").await;
            texts_when(client, ".doc-item.active .slug", |t| t == ["/hello-fields"]).await;

            // History: the first save differs; restoring it brings the old title back.
            click(client, ".history-button").await;
            let revisions = texts_when(client, ".revision", |t| t.len() >= 2).await;
            click(client, ".revisions li:last-child .revision").await;
            texts_when(client, ".difflines .line.delete", |t| {
                t.iter().any(|l| l.contains("title: Welcome to Pressroom"))
            })
            .await;
            display.screenshot(&artifacts_dir().join("history-diff.png"));
            click(client, ".restore").await;
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
            let after = texts_when(client, ".revision", |t| t.len() > revisions.len()).await;
            assert_eq!(after.len(), revisions.len() + 1, "a restore is a new save");
            click(client, ".history .small-button").await;

            // Export and import (the menu asks for the folder with the system picker; the
            // command takes it directly).
            let exported = eval(
                client,
                &format!(
                    "return window.__TAURI_INTERNALS__.invoke('export_folder', {{ path: {:?} }})",
                    export_dir.display().to_string()
                ),
            )
            .await;
            assert_eq!(exported.as_array().map(Vec::len), Some(3), "{exported}");
            assert!(export_dir.join("hello-fields.md").is_file());
            let imported = eval(
                client,
                &format!(
                    "return window.__TAURI_INTERNALS__.invoke('import_folder', {{ path: {:?} }})",
                    export_dir.display().to_string()
                ),
            )
            .await;
            assert_eq!(
                imported["unchanged"].as_array().map(Vec::len),
                Some(3),
                "{imported}"
            );

            // Settings: the background service cannot run the sandbox (it lives in the
            // app), and says so rather than offering a switch that cannot work.
            click(client, ".nav-settings").await;
            let background =
                texts_when(client, ".background-card .unavailable", |t| t.len() == 1).await;
            assert!(
                background[0].contains("the sandbox runs inside the app"),
                "{background:?}"
            );
            let switch = eval(
                client,
                "return document.querySelector('input[name=background-service]').disabled",
            )
            .await;
            assert_eq!(switch, json!(true));

            // The route handler to paste, and a test webhook the site accepts.
            click(client, ".site[data-site='demo'] .test-webhook").await;
            let result = texts_when(client, ".site[data-site='demo'] .test-result", |t| {
                t.len() == 1
            })
            .await;
            assert!(result[0].starts_with('✓'), "{result:?}");
            click(
                client,
                ".site[data-site='demo'] .actions button:nth-child(3)",
            )
            .await;
            texts_when(client, "pre.code", |t| {
                t.len() == 1 && t[0].contains("standardwebhooks") && t[0].contains("revalidateTag")
            })
            .await;
            // A site form that cannot work is refused before anything is sent.
            click(client, ".add-site").await;
            fill(client, "input[name='name']", "bad name").await;
            fill(client, "input[name='webhook_url']", "ftp://x").await;
            fill(
                client,
                "textarea[name='instances']",
                "http://10.0.0.2:3000/api",
            )
            .await;
            click(client, ".site-form button[type='submit']").await;
            let errors = texts_when(client, ".site-form em.error", |t| t.len() == 4).await;
            assert!(errors.iter().any(|e| e.contains("origin")), "{errors:?}");
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("{slug}") || e.contains("http")),
                "{errors:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            display.screenshot(&artifacts_dir().join("settings.png"));

            // Help lists the shortcuts (F1, or the ? button); Escape closes it.
            press_key(client, "F1").await;
            texts_when(client, ".help kbd", |t| t.iter().any(|k| k == "Ctrl+Enter")).await;
            display.screenshot(&artifacts_dir().join("help.png"));
        },
    );
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let doc = store.get("hello-fields").unwrap();
    assert_eq!(doc.title, "Welcome to Pressroom");
    assert!(store.get("welcome").is_err(), "renamed, not copied");
}

#[test]
fn follows_the_systems_dark_theme() {
    let tmp = tempfile::tempdir().unwrap();
    let display = Display::start();
    let driver = Driver::start_with(
        &display,
        &[(workspace::DATA_DIR_ENV, tmp.path().as_os_str())],
        &[("GTK_THEME", "Adwaita:dark")],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = open_app(&driver, Path::new(APP)).await;
        texts_when(&client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        let dark = eval(
            &client,
            "return [matchMedia('(prefers-color-scheme: dark)').matches,
                     getComputedStyle(document.body).backgroundColor]",
        )
        .await;
        display.screenshot(&artifacts_dir().join("dark-theme.png"));
        let _ = client.close().await;
        assert_eq!(dark, json!([true, "rgb(13, 17, 23)"]), "dark tokens apply");
    });
}

/// Disables the sandbox's demo site and adds `later`, a demo site of the test's own on
/// `port` (nothing listens there yet); returns what that site needs to run.
fn add_a_site_that_is_down(sandbox_dir: &Path, port: u16) -> pressroom_sandbox::DemoConfig {
    let mut store = Store::open(workspace::database_path(sandbox_dir)).unwrap();
    let secrets = SecretStore::for_workspace(&store);
    let secret = Secret::generate();
    store.set_site_enabled("demo", false, None).unwrap();
    pressroom_core::sites::add(
        &mut store,
        &secrets,
        &pressroom_core::store::NewSite {
            name: "later".into(),
            webhook_url: format!(
                "http://127.0.0.1:{port}{}",
                pressroom_sandbox::demo_site::WEBHOOK_PATH
            ),
            page_url_template: format!("http://127.0.0.1:{port}/posts/{{slug}}"),
            tag_templates: vec!["document:{slug}".into()],
            path_templates: vec![],
            preset: pressroom_core::store::Preset::StandardWebhooks,
            destination: None,
        },
        pressroom_core::sites::SecretInput::Given(secret.expose().to_owned()),
    )
    .unwrap();
    pressroom_sandbox::DemoConfig {
        api_url: pressroom_core::publish::api_settings(&store)
            .unwrap()
            .unwrap()
            .url,
        secret: secret.expose().to_owned(),
        mode: pressroom_sandbox::Mode::ExpireNow,
        regen_delay: Duration::ZERO,
        marker: true,
    }
}

/// Serves the demo site `config` on `port` on the current runtime; stops when the
/// sender is dropped or sent to.
async fn start_site(
    config: pressroom_sandbox::DemoConfig,
    port: u16,
) -> tokio::sync::oneshot::Sender<()> {
    let site = pressroom_sandbox::DemoSite::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        site.serve(listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    stop
}

/// A site of two instances, one of which never regenerates: the panel and the list's
/// badge say "Partly live", never Live.
#[test]
fn the_list_badge_says_partly_live_when_one_place_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox_dir = tmp.path().join("sandbox");
    with_app("partly-live", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        click(client, "button.publish").await;
        demo_is_live_with_the_published_revision(client).await;

        // A second instance of the site that ignores webhooks, its cache filled with
        // what is published now; the site lists both instances.
        let port = support::free_port();
        let config = {
            let mut store = Store::open(workspace::database_path(&sandbox_dir)).unwrap();
            let demo = store.site("demo").unwrap();
            let origin = demo
                .page_url_template
                .split("/posts/")
                .next()
                .unwrap()
                .to_owned();
            let secret = SecretStore::for_workspace(&store)
                .get(demo.secret_ref.as_deref().unwrap())
                .unwrap()
                .unwrap()
                .current;
            pressroom_core::sites::SiteExtras {
                instances: Some(vec![origin, format!("http://127.0.0.1:{port}")]),
                confirm_timeout_ms: Some(3000),
                heal: Some(false),
                ..Default::default()
            }
            .apply(&mut store, "demo")
            .unwrap();
            pressroom_sandbox::DemoConfig {
                api_url: pressroom_core::publish::api_settings(&store)
                    .unwrap()
                    .unwrap()
                    .url,
                secret,
                mode: pressroom_sandbox::Mode::IgnoreWebhook,
                regen_delay: Duration::ZERO,
                marker: true,
            }
        };
        let _stop = start_site(config, port).await;
        let cached = http_status(&format!("http://127.0.0.1:{port}/posts/welcome")).await;
        assert_eq!(cached, 200);

        type_at_end(client, " Published again, seen in one place only.").await;
        texts_when(client, ".save-state", |t| t == ["Saved"]).await;
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='demo'] .stage", |t| {
            t.len() == 1 && t[0].starts_with("Partly live")
        })
        .await;
        let badge = texts_when(client, ".doc-item[data-slug='welcome'] .health", |t| {
            t == ["Partly live"]
        })
        .await;
        let tooltip = values_when(
            client,
            ".doc-item[data-slug='welcome'] .health",
            "e.title",
            |t| t.len() == 1,
        )
        .await;
        assert!(tooltip[0].starts_with("demo: "), "{badge:?} {tooltip:?}");
        display.screenshot(&artifacts_dir().join("partly-live.png"));
    });
}

/// The status of a GET of `url` (curl, off the runtime that serves the site).
async fn http_status(url: &str) -> u16 {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &url])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).parse().unwrap_or(0))
            .unwrap_or(0)
    })
    .await
    .unwrap()
}

/// Opens the delivery log and refreshes it until the newest delivery is `state`.
async fn newest_delivery_becomes(client: &Client, state: &str) {
    click(client, ".nav-deliveries").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let states = texts_when(client, ".delivery .state", |_| true).await;
        if states.first().is_some_and(|s| s == state) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the newest delivery never became {state}: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        click(client, ".deliveries header .small-button").await;
    }
}

#[test]
fn a_webhook_that_failed_is_delivered_by_the_running_app_and_by_a_restarted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox_dir = tmp.path().join("sandbox");
    let port = support::free_port();
    let mut site_config = None;

    // The site is down when Welcome is published; it comes up a moment later, and the
    // app delivers the webhook by itself (its retry) and confirms the page: Live.
    with_app(
        "background-delivery",
        tmp.path(),
        async |client, display| {
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
            let config = add_a_site_that_is_down(&sandbox_dir, port);
            site_config = Some(config.clone());
            click(client, "button.publish").await;
            texts_when(client, ".site[data-site='later'] .stage", |t| {
                t.len() == 1 && t[0].starts_with("Retrying in ")
            })
            .await;
            let message = texts_when(client, ".site[data-site='later'] .message", |t| {
                t.len() == 1 && !t[0].is_empty()
            })
            .await;
            assert!(message[0].contains("by itself"), "{message:?}");
            display.screenshot(&artifacts_dir().join("background-delivery-retrying.png"));
            let stop = start_site(config, port).await;
            texts_when(client, ".site[data-site='later'] .stage", |t| {
                t == ["Live ✓"]
            })
            .await;
            display.screenshot(&artifacts_dir().join("background-delivery-live.png"));

            // A link clicked in the window does not take the window away from the app.
            eval(
            client,
            &format!(
                "const a = document.createElement('a'); a.href = 'http://127.0.0.1:{port}/posts/welcome';
                 a.textContent = 'away'; document.querySelector('.preview').appendChild(a); a.click();"
            ),
        )
        .await;
            tokio::time::sleep(Duration::from_millis(700)).await;
            let here = eval(client, "return location.protocol + '//' + location.host").await;
            assert_eq!(
                here,
                json!("tauri://localhost"),
                "the window stayed on the app"
            );
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
            let _ = stop.send(());
        },
    );

    // Down again; publish; the app is closed while the retry is pending.
    with_app("restart-pending", tmp.path(), async |client, _| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        click(client, "button.publish").await;
        texts_when(client, ".site[data-site='later'] .stage", |t| {
            t.len() == 1 && t[0].starts_with("Retrying in ")
        })
        .await;
    });
    support::wait_until("the first app to exit", Duration::from_secs(20), || {
        support::processes_with_env(workspace::DATA_DIR_ENV, tmp.path()).is_empty()
    });

    // The site is back; a new app resumes the pending webhook without being asked.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stop = runtime.block_on(start_site(site_config.unwrap(), port));
    with_app("restart-resumed", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        newest_delivery_becomes(client, "delivered").await;
        click(client, "tr.delivery .open-attempts").await;
        let attempts = texts_when(client, ".attempt strong", |t| t.len() >= 2).await;
        assert!(attempts.last().unwrap().starts_with('2'), "{attempts:?}");
        display.screenshot(&artifacts_dir().join("restart-resumed.png"));
    });
    let _ = stop.send(());
    runtime.shutdown_timeout(Duration::from_secs(2));
}

/// axe-core 4, from the UI's npm packages, run inside the window on what is on screen:
/// each violation as "VIEW: rule (impact): what to fix — where". The live page's frame
/// is someone else's site (and sandboxed), so frames are left out.
async fn axe(client: &Client, view: &str) -> Vec<String> {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let source = AXE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/ui/node_modules/axe-core/axe.min.js"
        );
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e} (scripts/setup.sh installs it)"))
    });
    // Animations and transitions settle first: a half-faded colour is not the colour.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let script = format!(
        "const done = arguments[arguments.length - 1];
         if (!window.axe) {{ {source} }}
         window.axe.run(document, {{
             iframes: false,
             resultTypes: ['violations'],
             runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                               'wcag22aa', 'best-practice'] }},
         }}).then(
             (r) => done(r.violations.flatMap((v) => v.nodes.map((n) =>
                 `${{v.id}} (${{v.impact}}): ${{n.failureSummary.split('\\n').slice(1).join(' ').trim()}} — ${{n.target.join(' ')}}`))),
             (e) => done(['axe failed: ' + e]),
         );"
    );
    let found: Vec<String> = serde_json::from_value(
        client
            .execute_async(&script, vec![])
            .await
            .expect("axe runs in the window"),
    )
    .unwrap();
    found.into_iter().map(|v| format!("{view}: {v}")).collect()
}

/// Tab alone, from the top of the window, reaches the views, the document list, the
/// fields, the text and Publish, each with a visible focus ring.
async fn keyboard_reaches_everything(client: &Client) {
    eval(client, "document.activeElement.blur()").await;
    let mut reached = Vec::new();
    for _ in 0..30 {
        client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let now = eval(
            client,
            "const e = document.activeElement, s = getComputedStyle(e);
             return [e.className + ' ' + (e.name || ''), s.outlineStyle !== 'none'
                     || e.classList.contains('cm-content') || e.classList.contains('field')]",
        )
        .await;
        let (what, ring): (String, bool) = serde_json::from_value(now).unwrap();
        assert!(ring, "{what}: focused without a visible ring");
        reached.push(what);
    }
    for want in [
        "nav-settings",
        "doc-item",
        " title",
        " slug",
        "cm-content",
        "publish",
    ] {
        assert!(
            reached.iter().any(|r| r.contains(want)),
            "Tab never reached {want}: {reached:?}"
        );
    }
}

/// Every view of the app, in the light and the dark theme, has no accessibility
/// violation axe-core can find (WCAG 2.2 A/AA and best practice), and each is
/// screenshotted.
#[test]
fn every_view_passes_axe_in_light_and_dark() {
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        let tmp = tempfile::tempdir().unwrap();
        let env: &[(&str, &str)] = if theme == "dark" {
            &[("GTK_THEME", "Adwaita:dark")]
        } else {
            &[]
        };
        let found = &mut found;
        with_app_in(
            &format!("a11y-{theme}"),
            tmp.path(),
            env,
            async |client, display| {
                let shot = |view: &str| artifacts_dir().join(format!("a11y-{theme}-{view}.png"));
                let axe = async |view: &str| axe(client, &format!("{theme}, {view}")).await;
                texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
                found.extend(axe("editor").await);
                if theme == "light" {
                    keyboard_reaches_everything(client).await;
                }
                display.screenshot(&shot("editor"));

                click(client, ".preview-mode .theme-toggle").await;
                found.extend(axe("theme preview").await);
                click(client, ".preview-mode button:first-child").await;

                click(client, "button.delete-doc").await;
                texts_when(client, ".dialog h2", |t| t.len() == 1).await;
                found.extend(axe("confirm dialog").await);
                display.screenshot(&shot("dialog"));
                click(client, ".dialog .cancel").await;

                click(client, ".history-button").await;
                texts_when(client, ".revision", |t| !t.is_empty()).await;
                found.extend(axe("history").await);
                display.screenshot(&shot("history"));
                click(client, ".history .small-button").await;

                click(client, "button.publish").await;
                demo_is_live_with_the_published_revision(client).await;
                found.extend(axe("published").await);
                // Publish progress is announced (an ARIA live region), in words.
                values_when(
                    client,
                    ".panel [aria-live='polite']",
                    "e.textContent",
                    |t| t.len() == 1 && t[0].contains("demo: Live ✓"),
                )
                .await;
                display.screenshot(&shot("published"));

                click(client, ".nav-deliveries").await;
                texts_when(client, ".deliveries tbody tr, .delivery", |t| !t.is_empty()).await;
                found.extend(axe("deliveries").await);
                display.screenshot(&shot("deliveries"));

                click(client, ".nav-settings").await;
                texts_when(client, ".site[data-site='demo'] strong", |t| t == ["demo"]).await;
                found.extend(axe("settings").await);
                click(client, ".add-site").await;
                found.extend(axe("settings, site form").await);
                display.screenshot(&shot("settings"));

                press_key(client, "F1").await;
                texts_when(client, ".help kbd", |t| !t.is_empty()).await;
                found.extend(axe("help").await);
                display.screenshot(&shot("help"));
            },
        );
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "axe-core found {} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Sets the `<select>` matching `css` to `value`, as choosing it would.
async fn choose(client: &Client, css: &str, value: &str) {
    click(client, css).await;
    client
        .execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1];
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

#[test]
fn a_wordpress_destination_from_settings_is_published_to_confirmed_live_and_pulled() {
    // A real WordPress, and the Next.js example reading it, verifying with a secret
    // the site form below is given.
    let wp = pressroom_testkit::WordPress::start();
    let secret = Secret::generate();
    let example = pressroom_testkit::build_nextjs_example_with(&[
        ("PRESSROOM_SOURCE", "wordpress"),
        ("WORDPRESS_API_URL", &wp.rest_root),
    ]);
    let port = pressroom_testkit::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let _site = pressroom_testkit::NextServer::start(
        &example,
        port,
        &[
            ("PRESSROOM_SOURCE", "wordpress"),
            ("WORDPRESS_API_URL", &wp.rest_root),
            ("PRESSROOM_WEBHOOK_SECRET", secret.expose()),
        ],
        &tmp.path().join("next.log"),
    );
    with_app(
        "wordpress-destination",
        tmp.path(),
        async |client, display| {
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;

            // Settings ▸ Destinations: add the WordPress; the connection test runs and says
            // who logged in and that they may publish.
            click(client, ".nav-settings").await;
            click(client, ".add-destination").await;
            fill(client, "input[name='destination-name']", "wp").await;
            fill(client, "input[name='destination-url']", &wp.rest_root).await;
            fill(client, "input[name='destination-user']", &wp.user).await;
            fill(client, "input[name='destination-secret']", &wp.app_password).await;
            click(client, ".destination-form button[type='submit']").await;
            let test = texts_when(
                client,
                ".destination[data-destination='wp'] .test-result",
                |t| t.len() == 1,
            )
            .await;
            assert_eq!(test, ["✓ Logged in as admin, who may publish."]);

            // A site that reads from it.
            click(client, ".add-site").await;
            fill(client, "input[name='name']", "nextjs").await;
            choose(client, "select[name='destination']", "wp").await;
            fill(
                client,
                "input[name='webhook_url']",
                &format!("{base}/api/revalidate"),
            )
            .await;
            fill(
                client,
                "input[name='page_url_template']",
                &format!("{base}/posts/{{slug}}"),
            )
            .await;
            fill(client, "input[name='secret']", secret.expose()).await;
            click(client, ".site-form button[type='submit']").await;
            texts_when(client, ".site[data-site='nextjs'] .small", |t| {
                t.len() == 1 && t[0].contains("reads from wp")
            })
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            display.screenshot(&artifacts_dir().join("settings-destinations.png"));

            // One Publish: the content API for the demo site, WordPress for the Next.js
            // site, and both pages confirmed (WordPress's by the marker in the post).
            click(client, ".appbar button:first-child").await;
            click(client, "button.publish").await;
            for site in ["demo", "nextjs"] {
                texts_when(client, &format!(".site[data-site='{site}'] .stage"), |t| {
                    t == ["Live ✓"]
                })
                .await;
            }
            let revision = revisions_when(client, ".panel > .head > h2", |t| {
                t.len() == 1 && !t[0].is_empty()
            })
            .await;
            revisions_when(client, ".side-by-side .live-rev", |t| {
                t.len() == 2 && t.iter().all(|r| *r == revision[0])
            })
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            display.screenshot(&artifacts_dir().join("wordpress-live.png"));

            // Pull: WordPress's own first post becomes a draft in the list.
            click(client, ".nav-settings").await;
            click(client, ".destination[data-destination='wp'] .pull").await;
            texts_when(client, ".settings .notice", |t| {
                t.len() == 1 && t[0].starts_with("Pulled wp: 1 new")
            })
            .await;
            click(client, ".appbar button:first-child").await;
            texts_when(client, ".doc-item .title", |t| {
                t.iter().any(|title| title == "Hello world!")
            })
            .await;
        },
    );
    let page = pressroom_testkit::wait_for_page(&format!("{base}/posts/welcome"));
    assert!(
        page.contains("Welcome to Pressroom"),
        "the page from WordPress"
    );
    let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
    let source = store.get("hello-world").unwrap().source;
    assert!(source.contains("title: Hello world!"), "{source}");
}

#[test]
fn a_pasted_image_shows_in_the_preview_and_goes_live_with_the_page() {
    use base64::Engine;
    // A picture a person can see in the screenshot: a blue band over orange.
    let picture = image::RgbImage::from_fn(160, 90, |_, y| {
        if y < 45 {
            image::Rgb([30, 90, 200])
        } else {
            image::Rgb([240, 140, 30])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(png.into_inner());
    let dusk = {
        let picture = image::RgbImage::from_pixel(120, 80, image::Rgb([120, 40, 90]));
        let mut png = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut png, image::ImageFormat::Png).unwrap();
        base64::engine::general_purpose::STANDARD.encode(png.into_inner())
    };
    let tmp = tempfile::tempdir().unwrap();
    with_app("paste-image", tmp.path(), async |client, display| {
        texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
        click(client, ".cm-content").await;
        // A paste of an image file, as the clipboard gives one.
        client
            .execute(
                "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
                 const file = new File([bytes], 'harbour-view.png', { type: 'image/png' });
                 const data = new DataTransfer(); data.items.add(file);
                 const c = document.querySelector('.cm-content'); c.focus();
                 c.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data,
                   bubbles: true, cancelable: true }));",
                vec![json!(encoded)],
            )
            .await
            .unwrap();
        let line = texts_when(client, ".cm-line", |t| {
            t.iter().any(|l| l.contains("](asset:"))
        })
        .await
        .into_iter()
        .find(|l| l.contains("](asset:"))
        .unwrap();
        assert!(line.starts_with("![harbour view](asset:"), "{line}");
        // The preview shows it at once, loaded from the workspace.
        values_when(
            client,
            ".preview img",
            "String(e.naturalWidth) + ' ' + e.getAttribute('src').split('/')[2]",
            |t| t == ["160 localhost"],
        )
        .await;
        // A second one dropped onto the text, where it lands.
        client
            .execute(
                "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
                 const file = new File([bytes], 'pier_at_dusk.png', { type: '' });
                 const data = new DataTransfer(); data.items.add(file);
                 const line = document.querySelectorAll('.cm-line')[6].getBoundingClientRect();
                 const c = document.querySelector('.cm-content');
                 c.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true,
                   cancelable: true, clientX: line.left + 2, clientY: line.top + 2 }));",
                vec![json!(dusk)],
            )
            .await
            .unwrap();
        // A paragraph of its own, after the line it was dropped on.
        let lines = texts_when(client, ".cm-line", |t| {
            t.iter().any(|l| l.starts_with("![pier at dusk](asset:"))
        })
        .await;
        let at = lines
            .iter()
            .position(|l| l.starts_with("![pier at dusk](asset:"))
            .unwrap();
        assert_eq!(
            (lines[at - 1].as_str(), lines[at + 1].as_str()),
            ("", ""),
            "{lines:?}"
        );
        values_when(client, ".preview img", "String(e.naturalWidth)", |t| {
            t.len() == 2 && t.contains(&"120".to_owned())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        display.screenshot(&artifacts_dir().join("pasted-image.png"));

        // Published: the image goes to the content API first, and the page's html
        // points there (checked while the app, and so the sandbox, runs).
        click(client, "button.publish").await;
        demo_is_live_with_the_published_revision(client).await;
        let sha = line
            .split("](asset:")
            .nth(1)
            .and_then(|rest| rest.get(..64))
            .unwrap()
            .to_owned();
        let api = {
            let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
            pressroom_core::publish::api_settings(&store)
                .unwrap()
                .unwrap()
                .url
        };
        let doc = curl_json(&format!("{api}/v1/documents/welcome")).await;
        let src = format!("{}/v1/assets/{sha}", api.trim_end_matches('/'));
        assert!(doc["html"].as_str().unwrap().contains(&src), "{doc}");
        assert_eq!(http_status(&src).await, 200);
        assert_eq!(
            doc["html"].as_str().unwrap().matches("/v1/assets/").count(),
            2,
            "the dropped one too: {doc}"
        );

        // Settings ▸ Images: metadata off unless turned on, and the API's widest image.
        click(client, ".nav-settings").await;
        values_when(
            client,
            "input[name=keep-metadata]",
            "String(e.checked)",
            |t| t == ["false"],
        )
        .await;
        values_when(client, "input[name=api-image-width]", "e.value", |t| {
            t == ["2560"]
        })
        .await;
        click(client, "input[name=keep-metadata]").await;
        texts_when(client, ".settings .notice", |t| {
            t == ["Image settings saved."]
        })
        .await;
        let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
        assert!(
            pressroom_core::assets::settings(&store)
                .unwrap()
                .keep_metadata
        );
        display.screenshot(&artifacts_dir().join("image-settings.png"));

        // Publish later: scheduled from the ▾ menu, shown in the toolbar, cancelled.
        click(client, ".nav-editor").await;
        click(client, ".targets-button").await;
        client
            .execute(
                "const i = document.querySelector('input[name=schedule-at]');
                 i.value = '2099-12-24T08:00'; i.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![],
            )
            .await
            .unwrap();
        click(client, "button.schedule").await;
        let chip = texts_when(client, ".scheduled", |t| t.len() == 1).await;
        assert!(chip[0].contains("2099"), "{chip:?}");
        {
            let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
            let pending = store
                .pending_schedule("welcome")
                .unwrap()
                .expect("scheduled");
            assert!(pending.due_at.starts_with("2099-12-2"), "{pending:?}");
        }
        display.screenshot(&artifacts_dir().join("scheduled.png"));
        click(client, ".cancel-schedule").await;
        texts_when(client, ".scheduled", |t| t.is_empty()).await;
        let store = Store::open(workspace::database_path(&tmp.path().join("sandbox"))).unwrap();
        assert_eq!(store.pending_schedule("welcome").unwrap(), None);
    });
}

/// The JSON at `url` (through curl: the app's tests have no HTTP client of their own).
async fn curl_json(url: &str) -> serde_json::Value {
    let out = tokio::process::Command::new("curl")
        .args(["-sf", "--max-time", "5", url])
        .output()
        .await
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a package-manager command as root (`sudo -n` when not root), failing the test
/// with what it said.
fn as_root(args: &[&str]) -> String {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut cmd = if root {
        std::process::Command::new(args[0])
    } else {
        let mut c = std::process::Command::new("sudo");
        c.arg("-n").arg(args[0]);
        c
    };
    let out = cmd
        .args(&args[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?} failed:\n{said}");
    said
}

/// The Debian package scripts/package.sh built (the test command builds it first).
fn built_package() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/package");
    let version = env!("CARGO_PKG_VERSION");
    std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("pressroom_{version}_")) && n.ends_with(".deb")
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no pressroom_{version}_*.deb in {}: build it with scripts/package.sh \
                 (the README's test command does)",
                dir.display()
            )
        })
}

/// Issue #16: the .deb installs with apt, its app opens the sandbox and publishes to
/// Live, its CLI is on PATH, and it removes cleanly.
#[test]
fn the_installed_package_opens_the_sandbox_publishes_and_removes_cleanly() {
    let deb = built_package();
    let deb_arg = deb.display().to_string();
    // What it says about itself: the runtime libraries, never the -dev packages.
    let fields = std::process::Command::new("dpkg-deb")
        .args(["-f", &deb_arg, "Package", "Depends", "Recommends"])
        .output()
        .unwrap();
    let fields = String::from_utf8_lossy(&fields.stdout).into_owned();
    assert!(fields.contains("Package: pressroom\n"), "{fields}");
    for runtime in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libdbus-1-3"] {
        assert!(fields.contains(runtime), "{runtime} missing: {fields}");
    }
    assert!(!fields.contains("-dev"), "a -dev package in {fields}");

    as_root(&["apt-get", "install", "-y", "--reinstall", &deb_arg]);
    // Removed again whatever happens below.
    struct Removal;
    impl Drop for Removal {
        fn drop(&mut self) {
            let _ = std::panic::catch_unwind(|| as_root(&["apt-get", "purge", "-y", "pressroom"]));
        }
    }
    let removal = Removal;
    let files = as_root(&["dpkg", "-L", "pressroom"]);
    for file in [
        "/usr/bin/pressroom-app",
        "/usr/bin/pressroom",
        "/usr/lib/systemd/user/pressroom-daemon.service",
    ] {
        assert!(
            files.lines().any(|l| l == file),
            "{file} not installed:\n{files}"
        );
    }
    let desktop = files
        .lines()
        .find(|l| l.starts_with("/usr/share/applications/") && l.ends_with(".desktop"))
        .unwrap_or_else(|| panic!("no desktop entry:\n{files}"));
    let entry = std::fs::read_to_string(desktop).unwrap();
    for line in [
        "Exec=pressroom-app %F",
        "MimeType=text/markdown;",
        "Icon=pressroom-app",
    ] {
        assert!(entry.lines().any(|l| l == line), "{line} missing:\n{entry}");
    }
    assert!(
        files
            .lines()
            .any(|l| l.starts_with("/usr/share/icons/") && l.ends_with(".png")),
        "no icons:\n{files}"
    );

    // The CLI on PATH, as installed.
    let version = std::process::Command::new("pressroom")
        .arg("--version")
        .output()
        .expect("pressroom on PATH");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("pressroom {}", env!("CARGO_PKG_VERSION"))
    );

    // The installed app: the sandbox, published to Live.
    let tmp = tempfile::tempdir().unwrap();
    with_app_at(
        Path::new("/usr/bin/pressroom-app"),
        "installed-package",
        tmp.path(),
        &[],
        async |client, _| {
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
            type_at_end(client, "Published from the installed package.").await;
            texts_when(client, ".save-state", |t| t == ["Saved"]).await;
            click(client, "button.publish").await;
            demo_is_live_with_the_published_revision(client).await;
        },
    );

    as_root(&["apt-get", "purge", "-y", "pressroom"]);
    std::mem::forget(removal);
    for file in files
        .lines()
        .filter(|l| l.starts_with("/usr/bin/") || l.ends_with(".desktop"))
    {
        assert!(!Path::new(file).exists(), "{file} is left after removal");
    }
    let status = std::process::Command::new("dpkg")
        .args(["-s", "pressroom"])
        .output()
        .unwrap();
    assert!(!status.status.success(), "still known to dpkg after purge");
}

/// `tests/support/xwin.py` on `display`: what a person does to windows (close one,
/// press a key in one, see which are open). Its output, or `None` when the window it
/// names is not there.
fn xwin(display: &Display, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/xwin.py"
        ))
        .args(args)
        .env("DISPLAY", &display.name)
        .output()
        .expect("python3 with python3-xlib (run scripts/setup.sh)");
    match out.status.code() {
        Some(0) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Some(2) => None,
        _ => panic!("xwin.py {args:?}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// The names of the windows on the screen, once `ready` accepts them.
async fn windows_when(display: &Display, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let names: Vec<String> = xwin(display, &["names"])
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        if ready(&names) {
            return names;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "windows never became ready: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Issue #16: closing the window while a publish is scheduled asks; Cancel keeps the
/// window, "Keep running" hides it and the app publishes at the time all the same.
#[test]
fn closing_with_a_publish_scheduled_asks_and_keeps_publishing_hidden() {
    const ASKS: &str = "Keep publishing in the background?";
    let tmp = tempfile::tempdir().unwrap();
    let sandbox_db = workspace::database_path(&tmp.path().join("sandbox"));
    with_app_ending(
        Path::new(APP),
        "close-keeps-running",
        tmp.path(),
        &[],
        &[],
        false,
        async |client, display| {
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;
            // Scheduled from another process (the CLI, say): the app's service is told
            // by the write itself.
            let due = {
                let mut store = Store::open(&sandbox_db).unwrap();
                let due = jiff::Timestamp::now() + std::time::Duration::from_secs(20);
                pressroom_core::schedule::set(&mut store, "welcome", &due.to_string(), &[])
                    .unwrap();
                due
            };

            // Closing asks; Escape (Cancel) keeps the window.
            windows_when(display, |w| w.iter().any(|n| n == "Pressroom")).await;
            xwin(display, &["close", "Pressroom"]).expect("the main window");
            windows_when(display, |w| w.iter().any(|n| n == ASKS)).await;
            display.screenshot(&artifacts_dir().join("close-asks.png"));
            xwin(display, &["key", ASKS, "Escape"]).expect("the question");
            let after = windows_when(display, |w| !w.iter().any(|n| n == ASKS)).await;
            assert!(after.iter().any(|n| n == "Pressroom"), "{after:?}");
            texts_when(client, ".doc-title", |t| t == ["Welcome to Pressroom"]).await;

            // Asked again, "Keep running" (the first button) hides it; the app runs on.
            xwin(display, &["close", "Pressroom"]).expect("the main window");
            windows_when(display, |w| w.iter().any(|n| n == ASKS)).await;
            xwin(display, &["key", ASKS, "Return"]).expect("the question");
            windows_when(display, |w| w.is_empty()).await;
            assert!(
                jiff::Timestamp::now() < due,
                "hidden before the schedule fell due (the rest proves it ran hidden)"
            );

            // And carries the schedule out at its time, hidden.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let done = loop {
                let store = Store::open(&sandbox_db).unwrap();
                let last = store
                    .schedules(5)
                    .unwrap()
                    .into_iter()
                    .find(|s| s.slug == "welcome");
                if let Some(s) = last.filter(|s| s.state != "pending") {
                    break s;
                }
                assert!(std::time::Instant::now() < deadline, "not carried out");
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            assert_eq!(done.state, "done", "{done:?}");
            assert!(jiff::Timestamp::now() >= due);
            // The page of the running (hidden) window still answers.
            let visible = eval(client, "return document.visibilityState").await;
            assert_eq!(visible, json!("hidden"));
        },
    );
}

/// Issue #16: a markdown file opened with Pressroom (the desktop entry passes it on the
/// command line) is imported into the workspace and opened.
#[test]
fn a_markdown_file_opened_with_pressroom_is_imported_and_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("from the file manager.md");
    std::fs::write(
        &file,
        "---\ntitle: Opened from the file manager\n---\nDouble-clicked, then here.\n",
    )
    .unwrap();
    with_app_ending(
        Path::new(APP),
        "opened-file",
        tmp.path(),
        &[],
        &[file.display().to_string()],
        true,
        async |client, _| {
            texts_when(client, ".doc-title", |t| {
                t == ["Opened from the file manager"]
            })
            .await;
            texts_when(client, ".preview", |t| {
                t.iter().any(|p| p.contains("Double-clicked, then here."))
            })
            .await;
            let notice = texts_when(client, ".banner.notice", |t| t.len() == 1).await;
            assert!(notice[0].starts_with("Opened: 1 new"), "{notice:?}");
        },
    );
}
