//! Tauri commands: argument unpacking and one call into core, nothing else. They are
//! `async` so that SQLite work runs off the main (UI) thread.

use std::path::PathBuf;

use pressroom_core::diff::DiffLine;
use pressroom_core::folder::{self, ImportReport};
use pressroom_core::publish::{LiveWait, PublishReport};
use pressroom_core::publisher::{Event, Publisher};
use pressroom_core::store::{
    ConfirmationRecord, Enqueued, RevisionInfo, SearchHit, Site, Standing, Trashed,
};
use pressroom_core::view::{self, DocumentSites, PublishedView};
use pressroom_core::{frontmatter, preview, publish, Document, DocumentSummary};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_opener::OpenerExt;

use crate::ipc_error::IpcResult;
use crate::state::{AppState, WorkspaceInfo};

/// The window shows its first document: logged with the time since the process
/// started (what the app benchmark measures as launch-to-interactive), and the
/// window's own start-up marks (wall-clock milliseconds since the epoch, named by the
/// window) as milliseconds since the process started, to tell where the time went.
#[tauri::command]
pub async fn ui_ready(marks: Vec<(String, f64)>) {
    let started = crate::STARTED.get();
    let since_start = |epoch_ms: f64| {
        started.map_or(0, |(_, at)| {
            let at = at
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64() * 1e3);
            (epoch_ms - at).max(0.0) as u64
        })
    };
    let marks: Vec<String> = marks
        .iter()
        .take(16)
        .map(|(name, at)| {
            format!(
                "{}={}",
                name.chars().take(32).collect::<String>(),
                since_start(*at)
            )
        })
        .collect();
    tracing::info!(
        elapsed_ms = crate::since_start_ms(),
        marks = %marks.join(" "),
        "interactive"
    );
}

#[tauri::command]
pub async fn list_documents(state: State<'_, AppState>) -> IpcResult<Vec<DocumentSummary>> {
    Ok(state.with_store(|s| s.list())?)
}

#[tauri::command]
pub async fn get_document(state: State<'_, AppState>, slug: String) -> IpcResult<Document> {
    Ok(state.with_store(|s| s.get(&slug))?)
}

#[tauri::command]
pub async fn search_documents(
    state: State<'_, AppState>,
    query: String,
) -> IpcResult<Vec<SearchHit>> {
    Ok(state.with_store(|s| s.search(&query, 50))?)
}

#[tauri::command]
pub async fn workspace_info(state: State<'_, AppState>) -> IpcResult<WorkspaceInfo> {
    Ok(state.info.clone())
}

/// The live preview of unsaved text, rendered whole: front matter parsed, body
/// rendered by the core renderer (the same bytes the content API will serve).
#[tauri::command]
pub async fn preview(state: State<'_, AppState>, source: String) -> IpcResult<preview::Update> {
    Ok(state.preview().render(source))
}

/// The live preview after an edit of the text rendered last: only the changed blocks.
#[tauri::command]
pub async fn preview_edit(
    state: State<'_, AppState>,
    edit: preview::TextEdit,
) -> IpcResult<preview::Update> {
    Ok(state.preview().edit(&edit)?)
}

/// The source with the title and tags fields written into its front matter.
#[tauri::command]
pub async fn set_fields(source: String, title: String, tags: Vec<String>) -> IpcResult<String> {
    Ok(frontmatter::with_fields(&source, &title, &tags)?)
}

#[tauri::command]
pub async fn rename_document(
    state: State<'_, AppState>,
    slug: String,
    new_slug: String,
) -> IpcResult<Document> {
    Ok(state.with_store(|s| s.rename(&slug, new_slug.trim()))?)
}

/// Moves a document to the Trash (restorable for 30 days).
#[tauri::command]
pub async fn delete_document(state: State<'_, AppState>, slug: String) -> IpcResult<Vec<String>> {
    // A post a CMS holds for its schedule goes too; what became of it is said.
    let notes =
        pressroom_core::schedule::withdraw(&state.store, state.publisher.secrets(), &slug).await?;
    state.with_store(|s| s.delete(&slug))?;
    Ok(notes)
}

#[tauri::command]
pub async fn trash_list(state: State<'_, AppState>) -> IpcResult<Vec<Trashed>> {
    Ok(state.with_store(|s| s.trash())?)
}

#[tauri::command]
pub async fn restore_from_trash(state: State<'_, AppState>, slug: String) -> IpcResult<Document> {
    Ok(state.with_store(|s| s.restore_from_trash(&slug))?)
}

/// Deletes one document in the Trash for good, history and all.
#[tauri::command]
pub async fn purge_from_trash(state: State<'_, AppState>, slug: String) -> IpcResult<()> {
    Ok(state.with_store(|s| s.purge_from_trash(&slug))?)
}

#[tauri::command]
pub async fn document_history(
    state: State<'_, AppState>,
    slug: String,
) -> IpcResult<Vec<RevisionInfo>> {
    Ok(state.with_store(|s| s.history(&slug))?)
}

/// Revision `from` → revision `to` (the current draft when absent).
#[tauri::command]
pub async fn revision_diff(
    state: State<'_, AppState>,
    slug: String,
    from: i64,
    to: Option<i64>,
) -> IpcResult<Vec<DiffLine>> {
    Ok(state.with_store(|s| s.diff(&slug, from, to))?)
}

/// Makes an old revision the current draft (a new save; history keeps everything).
#[tauri::command]
pub async fn restore_revision(
    state: State<'_, AppState>,
    slug: String,
    revision: i64,
) -> IpcResult<Document> {
    Ok(state.with_store(|s| s.restore(&slug, revision))?.document)
}

/// A folder from the argument, else from the system's folder picker; `None` when the
/// user cancelled the picker.
async fn folder_of<R: Runtime>(
    app: &AppHandle<R>,
    path: Option<String>,
    title: &str,
) -> Option<PathBuf> {
    if let Some(p) = path {
        return Some(PathBuf::from(p));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .pick_folder(move |picked| {
            let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}

/// Imports a folder of markdown files (idempotent); `None` when cancelled.
#[tauri::command]
pub async fn import_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: Option<String>,
) -> IpcResult<Option<ImportReport>> {
    let Some(dir) = folder_of(&app, path, "Import a folder of markdown files").await else {
        return Ok(None);
    };
    Ok(Some(state.with_store(|s| folder::import(s, &dir))?))
}

/// The markdown files the app was started with (`pressroom-app a.md`, as a file
/// manager opens one): imported into the workspace, once; `None` when there were none.
#[tauri::command]
pub async fn opened_files(state: State<'_, AppState>) -> IpcResult<Option<ImportReport>> {
    let files = std::mem::take(&mut *crate::OPENED.lock().unwrap_or_else(|e| e.into_inner()));
    if files.is_empty() {
        return Ok(None);
    }
    let mut all = ImportReport::default();
    for file in files {
        match state.with_store(|s| folder::import(s, &file)) {
            Ok(report) => all.merge(report),
            Err(e) => all.failed.push(folder::ImportFailure {
                path: file,
                kind: e.kind(),
                message: e.to_string(),
            }),
        }
    }
    Ok(Some(all))
}

/// Writes every document as `<slug>.md` into a folder; `None` when cancelled.
#[tauri::command]
pub async fn export_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: Option<String>,
) -> IpcResult<Option<Vec<PathBuf>>> {
    let Some(dir) = folder_of(&app, path, "Export every document to a folder").await else {
        return Ok(None);
    };
    Ok(Some(state.with_store(|s| folder::export(s, &dir))?))
}

/// Opens a page in the user's browser (http and https only).
#[tauri::command]
pub async fn open_in_browser<R: Runtime>(app: AppHandle<R>, url: String) -> IpcResult<()> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(pressroom_core::Error::InvalidUrl {
            url,
            reason: "only http and https pages open in the browser".into(),
        }
        .into());
    }
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| crate::ipc_error::IpcError {
            kind: "open_failed",
            message: format!("the browser could not be started: {e}"),
        })
}

#[tauri::command]
pub async fn save_document(
    state: State<'_, AppState>,
    slug: String,
    source: String,
) -> IpcResult<Document> {
    Ok(state.with_store(|s| s.save(&slug, &source))?.document)
}

/// A new draft titled `title`, under a free slug made from it.
#[tauri::command]
pub async fn create_document(state: State<'_, AppState>, title: String) -> IpcResult<Document> {
    let title = title.trim();
    let source = format!(
        "---\ntitle: {}\n---\n\n",
        serde_json::to_string(title).expect("strings serialize")
    );
    Ok(state.with_store(|s| {
        let slug = s.slug_for_title(title, None)?;
        s.create(&slug, &source)
    })?)
}

/// The slug follows the title until the first publish (`Store::follow_title`): the
/// renamed document, or none when the slug stays.
#[tauri::command]
pub async fn follow_title(
    state: State<'_, AppState>,
    slug: String,
    old_title: String,
    new_title: String,
) -> IpcResult<Option<Document>> {
    Ok(state.with_store(|s| s.follow_title(&slug, &old_title, &new_title))?)
}

#[tauri::command]
pub async fn list_sites(state: State<'_, AppState>) -> IpcResult<Vec<Site>> {
    Ok(state.with_store(|s| s.sites())?)
}

/// What a window follows: a whole publish from where its sites stood (as enqueued,
/// or as read), or one delivery of a publish.
enum Followed {
    Run(Enqueued),
    Delivery { publish_id: i64, delivery_id: i64 },
}

/// Forwards the events of one publish (or one delivery of it) over `channel` until
/// every site has settled — in the background: the command that started it has
/// answered already. A window that went away just stops receiving.
fn follow_over(
    state: &AppState,
    events: pressroom_core::events::Events,
    followed: Followed,
    channel: Channel<Event>,
) {
    let publisher = state.publisher.clone();
    tauri::async_runtime::spawn(async move {
        let forward = |event: &Event| {
            let _ = channel.send(event.clone());
        };
        let (publish_id, followed) = match followed {
            Followed::Run(enqueued) => (
                enqueued.publish_id,
                publisher
                    .follow_enqueued(events, enqueued, None, forward)
                    .await,
            ),
            Followed::Delivery {
                publish_id,
                delivery_id,
            } => (
                publish_id,
                publisher
                    .follow(events, publish_id, Some(delivery_id), None, forward)
                    .await,
            ),
        };
        if let Err(e) = followed {
            tracing::warn!(error = %e, publish_id, "following a publish failed");
        }
    });
}

/// Tells the desktop when a site went live or failed while the window was in the
/// background — for every publish, also ones the worker finishes long after.
pub fn notify_in_background<R: Runtime>(app: AppHandle<R>, publisher: &Publisher) {
    let mut events = publisher.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut notices = pressroom_core::notices::Notices::new();
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            };
            for notice in notices.observe(&event) {
                // A scheduled post's outcome always; a site's only when the window
                // is not being looked at (it shows there otherwise).
                let looked_at = app.get_webview_window("main").is_some_and(|w| {
                    w.is_focused().unwrap_or(true) && w.is_visible().unwrap_or(true)
                });
                if looked_at && !notice.scheduled {
                    continue;
                }
                tracing::info!(title = %notice.title, "notification");
                // No notification daemon (a headless session) is not an error.
                let _ = app
                    .notification()
                    .builder()
                    .title(notice.title)
                    .body(notice.body)
                    .show();
            }
        }
    });
}

/// Publish → webhooks → live confirmation. Answers once every destination has it
/// (the content API, the CMSs the sites read from; `overwrite`: over a post edited in
/// a CMS meanwhile); the run's events then arrive over `on_event` until every site
/// has settled (retries included: the publisher goes on with them by itself).
#[tauri::command]
pub async fn publish_document(
    state: State<'_, AppState>,
    slug: String,
    sites: Vec<String>,
    overwrite: bool,
    on_event: Channel<Event>,
) -> IpcResult<PublishReport> {
    start_run(&state, &slug, &sites, on_event, Run::Publish { overwrite }).await
}

/// Takes a document down from the content API and tells its sites
/// (`content.unpublished`), each confirmed gone; the run's events arrive over
/// `on_event` as a publish's do.
#[tauri::command]
pub async fn unpublish_document(
    state: State<'_, AppState>,
    slug: String,
    sites: Vec<String>,
    on_event: Channel<Event>,
) -> IpcResult<PublishReport> {
    start_run(&state, &slug, &sites, on_event, Run::Unpublish).await
}

enum Run {
    Publish { overwrite: bool },
    Unpublish,
}

/// A publish (or take-down) of `slug`, its events forwarded over `on_event`.
async fn start_run(
    state: &AppState,
    slug: &str,
    sites: &[String],
    on_event: Channel<Event>,
    run: Run,
) -> IpcResult<PublishReport> {
    let targets =
        state.with_store(|s| publish::Targets::resolve(s, state.publisher.secrets(), sites))?;
    let events = state.publisher.subscribe();
    let live = LiveWait::SiteTimeout;
    let (targets, unpublish) = match run {
        Run::Unpublish => (targets, true),
        Run::Publish { overwrite } => (targets.overwriting(overwrite), false),
    };
    let (report, enqueued) = state
        .publisher
        .publish_run(&targets, slug, live, unpublish)
        .await?;
    follow_over(state, events, Followed::Run(enqueued), on_event);
    Ok(report)
}

/// Sends one delivery again (same webhook-id) and confirms its site; its events
/// arrive over `on_event`.
#[tauri::command]
pub async fn resend_delivery(
    state: State<'_, AppState>,
    delivery_id: i64,
    on_event: Channel<Event>,
) -> IpcResult<Standing> {
    let events = state.publisher.subscribe();
    let standing = state.publisher.resend(delivery_id, LiveWait::SiteTimeout)?;
    let followed = Followed::Delivery {
        publish_id: standing.publish_id,
        delivery_id,
    };
    follow_over(&state, events, followed, on_event);
    Ok(standing)
}

/// Where every site of an earlier publish stands; its events then arrive over
/// `on_event` until they have settled.
#[tauri::command]
pub async fn watch_publish(
    state: State<'_, AppState>,
    publish_id: i64,
    on_event: Channel<Event>,
) -> IpcResult<Vec<Standing>> {
    let events = state.publisher.subscribe();
    let standings = state.with_store(|s| s.standings(publish_id))?;
    let from = Enqueued {
        publish_id,
        standings: standings.clone(),
    };
    follow_over(&state, events, Followed::Run(from), on_event);
    Ok(standings)
}

/// The side-by-side view of a publish (built by core).
#[tauri::command]
pub async fn published_view(
    state: State<'_, AppState>,
    publish_id: i64,
) -> IpcResult<PublishedView> {
    Ok(state.with_store(|s| view::published_view(s, publish_id))?)
}

/// A confirmed page's own stylesheets as one inlinable stylesheet, fetched now (the
/// side-by-side shows the live page as its visitors see it). Empty when the page had
/// none or the confirmation is not part of that publish.
#[tauri::command]
pub async fn live_page_css(
    state: State<'_, AppState>,
    publish_id: i64,
    confirmation_id: i64,
) -> IpcResult<String> {
    let styles = state
        .with_store(|s| s.confirmations_of(publish_id))?
        .into_iter()
        .find(|c| c.id == confirmation_id)
        .and_then(|c| c.page_styles);
    Ok(match styles {
        Some(styles) => state.publisher.confirmer().page_css(&styles).await,
        None => String::new(),
    })
}

/// Per published document, where its sites stand and the worst of them (the list's
/// badge and its tooltip).
#[tauri::command]
pub async fn documents_sites(state: State<'_, AppState>) -> IpcResult<Vec<DocumentSites>> {
    Ok(state.with_store(|s| view::documents_sites(s))?)
}

/// A page of a site to show a draft in the site's theme (the preview's "In the site's
/// theme"), with the site's article region.
#[derive(serde::Serialize, ts_rs::TS)]
pub struct ThemePage {
    site: String,
    article_selector: Option<String>,
    page: ConfirmationRecord,
}

/// For each enabled site that has served a page: the page to preview `slug` in — its
/// own last confirmed page, else the site's latest.
#[tauri::command]
pub async fn theme_pages(state: State<'_, AppState>, slug: String) -> IpcResult<Vec<ThemePage>> {
    Ok(state.with_store(|s| -> pressroom_core::Result<_> {
        let mut pages = Vec::new();
        for site in s.sites()?.into_iter().filter(|site| site.enabled) {
            if let Some(page) = s.theme_page(&site.name, &slug)? {
                pages.push(ThemePage {
                    site: site.name,
                    article_selector: site.article_selector,
                    page,
                });
            }
        }
        Ok(pages)
    })?)
}

/// Where the sites of the latest publish of `slug` stand, if it was ever published.
#[tauri::command]
pub async fn latest_publish(
    state: State<'_, AppState>,
    slug: String,
) -> IpcResult<Option<view::LatestPublish>> {
    Ok(state.with_store(|s| view::latest_publish(s, &slug))?)
}
