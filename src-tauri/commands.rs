//! Tauri commands: argument unpacking and one call into core, nothing else. They are
//! `async` so that SQLite work runs off the main (UI) thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pressroom_core::diff::DiffLine;
use pressroom_core::folder::{self, ImportReport};
use pressroom_core::pipeline::{LiveWait, PipelineReport, Progress, ProgressFn, SiteResult};
use pressroom_core::store::{ConfirmationRecord, PublishRecord, RevisionInfo, SearchHit, Site};
use pressroom_core::{
    confirm, frontmatter, markdown, preview, publish, slug, Document, DocumentSummary,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_opener::OpenerExt;

use crate::ipc_error::IpcResult;
use crate::state::{AppState, WorkspaceInfo};

/// The window shows its first document: logged with the time since the process
/// started (what the app benchmark measures as launch-to-interactive).
#[tauri::command]
pub async fn ui_ready() {
    tracing::info!(
        elapsed_ms = crate::STARTED
            .get()
            .map_or(0, |t| t.elapsed().as_millis() as u64),
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

#[tauri::command]
pub async fn delete_document(state: State<'_, AppState>, slug: String) -> IpcResult<()> {
    Ok(state.with_store(|s| s.delete(&slug))?)
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
    let base = match slug::slugify(title) {
        s if s.is_empty() => "untitled".to_owned(),
        s => s,
    };
    let source = format!(
        "---\ntitle: {}\n---\n\n",
        serde_json::to_string(title).expect("strings serialize")
    );
    Ok(state.with_store(|s| {
        let mut candidate = base.clone();
        let mut n = 2;
        while s.exists(&candidate)? {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        s.create(&candidate, &source)
    })?)
}

#[tauri::command]
pub async fn list_sites(state: State<'_, AppState>) -> IpcResult<Vec<Site>> {
    Ok(state.with_store(|s| s.sites())?)
}

/// Forwards the pipeline's progress to the window as `publish-progress` events, and
/// tells the desktop when a site went live or failed while the window was in the
/// background.
fn forward_progress<R: Runtime>(app: AppHandle<R>) -> ProgressFn {
    Arc::new(move |progress: Progress| {
        if let Progress::SiteFinished { result } = &progress {
            let focused = app
                .get_webview_window("main")
                .and_then(|w| w.is_focused().ok())
                .unwrap_or(true);
            if !focused {
                let title = match result.state {
                    pressroom_core::pipeline::SiteState::Live => format!("{} is live", result.site),
                    _ => format!("{}: not live", result.site),
                };
                // No notification daemon (a headless session) is not an error.
                let _ = app
                    .notification()
                    .builder()
                    .title(title)
                    .body(&result.message)
                    .show();
            }
        }
        let _ = app.emit("publish-progress", &progress);
    })
}

/// Publish → webhooks → live confirmation; progress arrives as `publish-progress`
/// events while this runs.
#[tauri::command]
pub async fn publish_document<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    slug: String,
    sites: Vec<String>,
) -> IpcResult<PipelineReport> {
    let api = state.with_store(|s| publish::content_api(s, &state.pipeline.secrets))?;
    Ok(state
        .pipeline
        .publish(
            &api,
            &slug,
            &sites,
            Duration::from_secs(20),
            LiveWait::SiteTimeout,
            forward_progress(app),
        )
        .await?)
}

/// Sends one delivery again (same webhook-id) and confirms its site.
#[tauri::command]
pub async fn resend_delivery<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    delivery_id: i64,
) -> IpcResult<SiteResult> {
    Ok(state
        .pipeline
        .resend(
            delivery_id,
            Duration::from_secs(20),
            LiveWait::SiteTimeout,
            forward_progress(app),
        )
        .await?)
}

/// The side-by-side view of a publish: the local render of exactly what was published,
/// and what each site's page showed when it was confirmed.
#[derive(Serialize)]
pub struct PublishedView {
    publish: PublishRecord,
    local_html: String,
    title: String,
    confirmations: Vec<Confirmed>,
}

/// A site's confirmation, with the local render's text against its page's.
#[derive(Serialize)]
pub struct Confirmed {
    #[serde(flatten)]
    record: ConfirmationRecord,
    diff: Vec<DiffLine>,
}

#[tauri::command]
pub async fn published_view(
    state: State<'_, AppState>,
    publish_id: i64,
) -> IpcResult<PublishedView> {
    let (publish, confirmations) = state.with_store(|s| -> pressroom_core::Result<_> {
        Ok((
            s.publish_record(publish_id)?,
            s.confirmations_of(publish_id)?,
        ))
    })?;
    let parsed = frontmatter::parse(&publish.source)?;
    let local_html = markdown::render(&parsed.body);
    let confirmations = confirmations
        .into_iter()
        .map(|record| Confirmed {
            diff: record
                .page_text
                .as_deref()
                .map(|page| confirm::compare_with_page(&parsed.title, &local_html, page))
                .unwrap_or_default(),
            record,
        })
        .collect();
    Ok(PublishedView {
        local_html,
        title: parsed.title,
        publish,
        confirmations,
    })
}
