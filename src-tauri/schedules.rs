//! Publish later: a document scheduled for a time (`pressroom_core::schedule`), carried
//! out by the app's publishing service — or `pressroom daemon` — when it is due.

use pressroom_core::schedule;
use pressroom_core::store::Schedule;
use tauri::State;

use crate::ipc_error::IpcResult;
use crate::state::AppState;

/// Sets `slug` to be published at `at` (a `datetime-local` value: this machine's
/// clock) to `sites` (every enabled one when empty); moves a pending one.
#[tauri::command]
pub async fn schedule_document(
    state: State<'_, AppState>,
    slug: String,
    at: String,
    sites: Vec<String>,
) -> IpcResult<Scheduled> {
    let schedule = state.with_store(|s| schedule::set(s, &slug, &at, &sites))?;
    // The service sleeps until its next due time: it has a new one.
    state.publisher.wake();
    // WordPress destinations hold it as their own scheduled post too.
    let notes = schedule::stage(&state.store, state.publisher.secrets(), &slug).await;
    let schedule = state
        .with_store(|s| s.pending_schedule(&slug))?
        .unwrap_or(schedule);
    Ok(Scheduled { schedule, notes })
}

#[tauri::command]
pub async fn cancel_schedule(state: State<'_, AppState>, slug: String) -> IpcResult<Scheduled> {
    let schedule = state.with_store(|s| schedule::cancel(s, &slug))?;
    let notes = schedule::unstage(&state.store, state.publisher.secrets(), &schedule).await;
    Ok(Scheduled { schedule, notes })
}

/// A schedule set or cancelled, and what each CMS that keeps scheduled posts itself
/// made of it (one sentence each).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Scheduled {
    pub schedule: Schedule,
    pub notes: Vec<String>,
}

/// `slug`'s pending schedule, if any.
#[tauri::command]
pub async fn document_schedule(
    state: State<'_, AppState>,
    slug: String,
) -> IpcResult<Option<Schedule>> {
    Ok(state.with_store(|s| s.pending_schedule(&slug))?)
}
