//! Work that goes on with the window closed (issue #16): closing while the workspace
//! still has work of its own (schedules, retries, confirmations) asks whether to keep
//! Pressroom running in the tray; the tray's menu opens the window again or quits.
//! Settings ▸ Background turns the systemd user service (`pressroom_core::service`)
//! on and off; with it on, closing never asks — the service carries the work out.

use std::sync::atomic::{AtomicBool, Ordering};

use pressroom_core::service::{self, ServiceStatus};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, State, Window, WindowEvent};
use tauri_plugin_dialog::{
    DialogExt, MessageDialogButtons, MessageDialogKind, MessageDialogResult,
};

use crate::ipc_error::IpcResult;
use crate::state::AppState;

const TRAY: &str = "pressroom";
const OPEN: &str = "tray-open";
const QUIT: &str = "tray-quit";

/// Set once the user chose to quit: the close that follows goes ahead.
static QUITTING: AtomicBool = AtomicBool::new(false);

/// The main window's close button.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    if window.label() != "main" || QUITTING.load(Ordering::SeqCst) {
        return;
    }
    let app = window.app_handle();
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let pending = match state.publisher.pending() {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the pending work; closing");
            return;
        }
    };
    if pending.is_empty() || service_carries_on(&state) {
        return;
    }
    api.prevent_close();
    let (app, window) = (app.clone(), window.clone());
    app.dialog()
        .message(format!(
            "Pressroom still has work to do: {}. Keep it running in the tray to finish \
             it? If you quit, it is done the next time Pressroom starts (scheduled \
             publishes then go out late).",
            pending.describe()
        ))
        .title("Keep publishing in the background?")
        .kind(MessageDialogKind::Info)
        .parent(&window)
        .buttons(MessageDialogButtons::YesNoCancelCustom(
            "Keep running".into(),
            "Quit".into(),
            "Cancel".into(),
        ))
        .show_with_result(move |choice| match choice {
            MessageDialogResult::Yes => keep_in_tray(&app, &window),
            MessageDialogResult::Custom(c) if c == "Keep running" => keep_in_tray(&app, &window),
            MessageDialogResult::No => quit(&app),
            MessageDialogResult::Custom(c) if c == "Quit" => quit(&app),
            _ => {}
        });
}

/// The background service is on for this workspace: it goes on with the work.
fn service_carries_on(state: &AppState) -> bool {
    !state.info.sandbox && service::serves(&state.info.data_dir)
}

fn quit<R: Runtime>(app: &AppHandle<R>) {
    QUITTING.store(true, Ordering::SeqCst);
    app.exit(0);
}

/// Hides the window and shows the tray icon (once).
fn keep_in_tray<R: Runtime>(app: &AppHandle<R>, window: &Window<R>) {
    if app.tray_by_id(TRAY).is_none() {
        let tray = (|| {
            let menu = Menu::with_items(
                app,
                &[
                    &MenuItem::with_id(app, OPEN, "Open Pressroom", true, None::<&str>)?,
                    &MenuItem::with_id(app, QUIT, "Quit Pressroom", true, None::<&str>)?,
                ],
            )?;
            let mut builder = TrayIconBuilder::with_id(TRAY)
                .tooltip("Pressroom: publishing in the background")
                .menu(&menu)
                .on_menu_event(|app, event| match event.id().as_ref() {
                    OPEN => show(app),
                    QUIT => quit(app),
                    _ => {}
                });
            if let Some(icon) = app.default_window_icon() {
                builder = builder.icon(icon.clone());
            }
            builder.build(app)
        })();
        if let Err(e) = tray {
            // No tray here (no status area): the window stays, nothing is lost.
            tracing::warn!(error = %e, "no tray icon; the window stays open");
            return;
        }
    }
    let _ = window.hide();
    tracing::info!("the window is closed; Pressroom runs on in the tray");
}

/// Shows the main window again (from the tray).
fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    let _ = app.remove_tray_by_id(TRAY);
}

/// Where the background service stands, for Settings.
#[tauri::command]
pub async fn background_service(state: State<'_, AppState>) -> IpcResult<ServiceStatus> {
    Ok(status(&state))
}

/// Turns the background service on (for this workspace) or off.
#[tauri::command]
pub async fn set_background_service(
    state: State<'_, AppState>,
    on: bool,
) -> IpcResult<ServiceStatus> {
    let cli = cli();
    if !on {
        return Ok(service::disable(cli.as_deref())?);
    }
    if let Some(why) = status(&state).unavailable {
        return Err(pressroom_core::Error::ServiceUnavailable { message: why }.into());
    }
    let cli = cli.expect("available means found");
    Ok(service::enable(&cli, &state.info.data_dir)?)
}

fn cli() -> Option<std::path::PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| service::find_cli(&exe))
}

fn status(state: &AppState) -> ServiceStatus {
    let mut status = service::status(cli().as_deref());
    if state.info.sandbox {
        status.unavailable =
            Some("the sandbox runs inside the app; set up a content API or a site first".into());
    }
    status
}
