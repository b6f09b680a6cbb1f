//! Tauri commands: argument unpacking and one call into core, nothing else. They are
//! `async` so that SQLite work runs off the main (UI) thread.

use pressroom_core::store::SearchHit;
use pressroom_core::{markdown, Document, DocumentSummary};
use tauri::State;

use crate::ipc_error::IpcResult;
use crate::state::AppState;

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

/// The local preview: the same renderer the content API uses for `html`.
#[tauri::command]
pub async fn render_markdown(markdown: String) -> String {
    markdown::render(&markdown)
}
