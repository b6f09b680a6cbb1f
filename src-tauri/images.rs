//! Images in the window: a pasted, dropped or chosen image goes into the workspace
//! (`pressroom_core::assets`: type from its bytes, metadata stripped, stored once),
//! and the preview shows the workspace's images through the `pressroom-asset:` scheme
//! (`pressroom-asset://localhost/<sha256>`), which serves nothing else.

use base64::Engine;
use pressroom_core::assets::{self, Asset};
use serde::Serialize;
use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, State, UriSchemeContext, UriSchemeResponder};

use crate::ipc_error::IpcResult;
use crate::state::AppState;

/// The scheme the preview loads the workspace's images from.
pub const SCHEME: &str = "pressroom-asset";

/// An image just taken in, and the markdown that shows it.
#[derive(Serialize, ts_rs::TS)]
pub struct AddedImage {
    asset: Asset,
    /// `![alt](asset:<sha256>)`, the alt text from its file name.
    markdown: String,
}

/// Takes an image (its bytes base64-encoded: IPC is JSON) into the workspace, its
/// metadata kept or not as Settings ▸ Images says.
#[tauri::command]
pub async fn add_image(
    state: State<'_, AppState>,
    name: String,
    data: String,
) -> IpcResult<AddedImage> {
    // Base64 is 4/3 of the bytes: anything longer is over the limit anyway.
    if data.len() > assets::MAX_BYTES / 3 * 4 + 8 {
        return Err(pressroom_core::Error::ImageTooLarge {
            name: assets::file_name(&name),
            size: data.len() / 4 * 3,
            limit: assets::MAX_BYTES,
        }
        .into());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| pressroom_core::Error::InvalidImage {
            name: assets::file_name(&name),
            reason: format!("its bytes did not arrive whole ({e})"),
        })?;
    take_in(&state, bytes, name).await
}

/// Checks and strips `bytes` off the store's lock (decoding a photo takes a while),
/// then keeps them.
async fn take_in(state: &AppState, bytes: Vec<u8>, name: String) -> IpcResult<AddedImage> {
    let keep_metadata = state.with_store(|s| assets::settings(s))?.keep_metadata;
    let prepared =
        tokio::task::spawn_blocking(move || assets::prepare(&bytes, &name, keep_metadata))
            .await
            .map_err(|e| pressroom_core::Error::InvalidImage {
                name: "image".into(),
                reason: e.to_string(),
            })??;
    let asset = state.with_store(|s| assets::keep(s, &prepared))?;
    Ok(added(asset))
}

#[tauri::command]
pub async fn image_settings(state: State<'_, AppState>) -> IpcResult<assets::ImageSettings> {
    Ok(state.with_store(|s| assets::settings(s))?)
}

#[tauri::command]
pub async fn set_image_settings(
    state: State<'_, AppState>,
    settings: assets::ImageSettings,
) -> IpcResult<assets::ImageSettings> {
    Ok(state.with_store(|s| assets::set_settings(s, &settings))?)
}

/// Document ▸ Insert image: an image file the user chooses in a dialog (never a path
/// the page names) into the workspace; `None` when the dialog was cancelled.
#[tauri::command]
pub async fn insert_image<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<Option<AddedImage>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Insert an image")
        .add_filter("Images", &["png", "jpg", "jpeg", "gif", "webp"])
        .pick_file(move |picked| {
            let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
        });
    let Some(path) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let bytes = assets::read_file(&path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("image")
        .to_owned();
    take_in(&state, bytes, name).await.map(Some)
}

/// An asset and its markdown, the alt text from its file name.
fn added(asset: Asset) -> AddedImage {
    let alt = asset
        .name
        .rsplit_once('.')
        .map_or(asset.name.as_str(), |(stem, _)| stem)
        .replace(['-', '_'], " ");
    AddedImage {
        markdown: asset.markdown(&alt),
        asset,
    }
}

/// `pressroom-asset://localhost/<sha256>`: the workspace's image, or 404 — answered
/// off the window's thread, the store locked only to find where the file is.
pub fn serve<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    let sha256 = request.uri().path().trim_start_matches('/').to_owned();
    tauri::async_runtime::spawn_blocking(move || {
        responder.respond(answer(&app, &sha256));
    });
}

fn answer<R: Runtime>(app: &tauri::AppHandle<R>, sha256: &str) -> Response<Vec<u8>> {
    let found = app.try_state::<AppState>().and_then(|state| {
        let (asset, folder) = state
            .with_store(|s| s.asset(sha256).map(|a| (a, assets::folder(s.path()))))
            .ok()?;
        let bytes = assets::read(&folder, sha256).ok()?;
        Some((asset, bytes))
    });
    let builder = Response::builder().header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    match found {
        Some((asset, bytes)) => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, asset.mime)
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .body(bytes),
        None => builder.status(StatusCode::NOT_FOUND).body(Vec::new()),
    }
    .expect("a response of valid parts")
}
