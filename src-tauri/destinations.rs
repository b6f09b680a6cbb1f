//! Settings ▸ Destinations: the CMSs the workspace publishes to (WordPress, Directus),
//! their secrets in the keyring, the connection test and pull. Thin adapters over
//! `pressroom_core::{destinations, pull}`, like `settings`.

use pressroom_core::cms::Account;
use pressroom_core::destinations::{self, NewDestination};
use pressroom_core::directus::FieldMapping;
use pressroom_core::pull::{self, PullReport};
use pressroom_core::store::Destination;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcResult;
use crate::state::AppState;

/// The destination form: what a user types. The secret (Application Password or
/// token) goes to the keyring; left empty when editing, the kept one stays.
#[derive(Deserialize, ts_rs::TS)]
pub struct DestinationForm {
    name: String,
    /// "wordpress" or "directus".
    kind: String,
    url: String,
    /// WordPress's user name (not used by Directus).
    user: String,
    secret: Option<String>,
    /// Directus: the collection and its fields.
    mapping: Option<FieldMapping>,
    /// The widest image it takes (0: as they are); kept as it was when absent.
    image_max_width: Option<u32>,
}

#[tauri::command]
pub async fn list_destinations(state: State<'_, AppState>) -> IpcResult<Vec<Destination>> {
    Ok(state.with_store(|s| s.destinations())?)
}

#[tauri::command]
pub async fn add_destination(
    state: State<'_, AppState>,
    form: DestinationForm,
) -> IpcResult<Destination> {
    let new = NewDestination {
        name: form.name.trim().to_owned(),
        kind: form.kind,
        url: form.url,
        user: form.user,
        secret: form.secret.unwrap_or_default(),
        mapping: form.mapping,
    };
    if let Some(width) = form.image_max_width {
        destinations::check_image_max_width(width)?;
    }
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| {
        let added = destinations::add(s, secrets, &new)?;
        match form.image_max_width {
            Some(width) => destinations::set_image_max_width(s, &added.name, width),
            None => Ok(added),
        }
    })?)
}

#[tauri::command]
pub async fn update_destination(
    state: State<'_, AppState>,
    name: String,
    form: DestinationForm,
) -> IpcResult<Destination> {
    if let Some(width) = form.image_max_width {
        destinations::check_image_max_width(width)?;
    }
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| {
        let updated = destinations::update(
            s,
            secrets,
            &name,
            &form.url,
            &form.user,
            form.secret.as_deref(),
            form.mapping.clone(),
        )?;
        match form.image_max_width {
            Some(width) => destinations::set_image_max_width(s, &name, width),
            None => Ok(updated),
        }
    })?)
}

/// Removes a destination and its secret; while documents have posts there, only with
/// `forget_posts` (the window asks first).
#[tauri::command]
pub async fn remove_destination(
    state: State<'_, AppState>,
    name: String,
    forget_posts: bool,
) -> IpcResult<()> {
    let secrets = state.publisher.secrets();
    state.with_store(|s| destinations::remove(s, secrets, &name, forget_posts))?;
    Ok(())
}

/// Logs in: who the secret belongs to, and whether they may publish.
#[tauri::command]
pub async fn test_destination(state: State<'_, AppState>, name: String) -> IpcResult<Account> {
    let store = state.publisher.store();
    Ok(destinations::test(store, state.publisher.secrets(), &name).await?)
}

/// Brings the destination's posts into drafts (see `pressroom_core::pull`).
#[tauri::command]
pub async fn pull_destination(
    state: State<'_, AppState>,
    name: String,
    replace_changed: bool,
) -> IpcResult<PullReport> {
    let store = state.publisher.store();
    Ok(pull::pull(store, state.publisher.secrets(), &name, replace_changed).await?)
}
