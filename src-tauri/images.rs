//! Images in the window: a pasted, dropped or chosen image goes into the workspace
//! (`pressroom_core::assets`: type from its bytes, metadata stripped, stored once),
//! and the preview shows the workspace's images through the `pressroom-asset:` scheme
//! (`pressroom-asset://localhost/<sha256>`), which serves nothing else.

use base64::Engine;
use pressroom_core::assets::{self, Asset};
use serde::Serialize;
use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, State, UriSchemeContext};

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

/// Takes an image (its bytes base64-encoded: IPC is JSON) into the workspace.
#[tauri::command]
pub async fn add_image(
    state: State<'_, AppState>,
    name: String,
    data: String,
    keep_metadata: bool,
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
    let asset = state.with_store(|s| assets::add(s, &bytes, &name, keep_metadata))?;
    Ok(added(asset))
}

/// File ▸ Insert image: an image file (chosen in a dialog when `path` is `None`) into
/// the workspace; `None` when the dialog was cancelled.
#[tauri::command]
pub async fn insert_image<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    path: Option<String>,
) -> IpcResult<Option<AddedImage>> {
    use tauri_plugin_dialog::DialogExt;
    let path = match path {
        Some(p) => Some(std::path::PathBuf::from(p)),
        None => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Insert an image")
                .add_filter("Images", &["png", "jpg", "jpeg", "gif", "webp"])
                .pick_file(move |picked| {
                    let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
                });
            rx.await.ok().flatten()
        }
    };
    let Some(path) = path else { return Ok(None) };
    let bytes = assets::read_file(&path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("image")
        .to_owned();
    let asset = state.with_store(|s| assets::add(s, &bytes, &name, false))?;
    Ok(Some(added(asset)))
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

/// `pressroom-asset://localhost/<sha256>`: the workspace's image, or 404.
pub fn serve<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let sha256 = request.uri().path().trim_start_matches('/').to_owned();
    let found = ctx
        .app_handle()
        .try_state::<AppState>()
        .and_then(|state| state.with_store(|s| assets::open(s, &sha256)).ok());
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
