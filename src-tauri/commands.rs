//! Tauri commands: argument unpacking and one call into core, nothing else. They are
//! `async` so that SQLite work runs off the main (UI) thread.

use std::sync::Arc;
use std::time::Duration;

use pressroom_core::pipeline::{LiveWait, PipelineReport, Progress, ProgressFn, SiteResult};
use pressroom_core::store::{ConfirmationRecord, PublishRecord, SearchHit, Site};
use pressroom_core::{frontmatter, markdown, publish, slug, Document, DocumentSummary};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::ipc_error::IpcResult;
use crate::state::{AppState, WorkspaceInfo};

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

/// What the preview pane shows for a source text being edited.
#[derive(Serialize)]
pub struct Preview {
    title: String,
    tags: Vec<String>,
    html: String,
    /// Malformed front matter: (line, message). The body still renders.
    problem: Option<(usize, String)>,
}

/// The live preview of unsaved text: front matter parsed, body rendered by the core
/// renderer (the same bytes the content API will serve).
#[tauri::command]
pub async fn preview(source: String) -> Preview {
    match frontmatter::parse(&source) {
        Ok(parsed) => Preview {
            html: markdown::render(&parsed.body),
            title: parsed.title,
            tags: parsed.tags,
            problem: None,
        },
        Err(e) => Preview {
            html: markdown::render(frontmatter::body_after_front_matter(&source)),
            title: String::new(),
            tags: vec![],
            problem: Some(match e {
                pressroom_core::Error::FrontMatter { line, message } => (line, message),
                other => (0, other.to_string()),
            }),
        },
    }
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

fn forward_progress<R: Runtime>(app: AppHandle<R>) -> ProgressFn {
    Arc::new(move |progress: Progress| {
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
    confirmations: Vec<ConfirmationRecord>,
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
    Ok(PublishedView {
        local_html: markdown::render(&parsed.body),
        title: parsed.title,
        publish,
        confirmations,
    })
}
