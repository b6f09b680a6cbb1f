//! The Pressroom desktop shell. Only wiring lives here: open the workspace, register
//! the commands (thin adapters in `commands`), start the window. All behaviour is in
//! `pressroom_core`, which knows nothing of Tauri.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod background;
mod commands;
mod destinations;
mod images;
mod ipc_error;
#[cfg(test)]
mod ipc_types;
mod menu;
mod navigation;
mod schedules;
mod settings;
mod state;

use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

use tauri::{Manager, Runtime};

/// When `main` began, monotonic and wall-clock (for the interactive log line).
static STARTED: OnceLock<(Instant, SystemTime)> = OnceLock::new();

/// Milliseconds since `main` began.
fn since_start_ms() -> u64 {
    STARTED
        .get()
        .map_or(0, |(t, _)| t.elapsed().as_millis() as u64)
}

/// The files named on the command line (the desktop entry's `%F`): imported and opened
/// once the window is up (`commands::opened_files`).
static OPENED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The app, generic over the runtime so it can also boot under Tauri's mock runtime.
fn app_builder<R: Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        // Used from Rust only (folder picker, notifications, the browser); the window's
        // capability grants none of their commands.
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(navigation::guard())
        .register_asynchronous_uri_scheme_protocol(images::SCHEME, images::serve)
        .menu(menu::build)
        .on_menu_event(|app, event| menu::forward(app, event.id().as_ref()))
        .on_window_event(background::on_window_event)
        .setup(|app| {
            tracing::debug!(elapsed_ms = since_start_ms(), "setting up");
            let state = match state::AppState::open_default() {
                Ok(state) => state,
                Err(e) => {
                    // Said in a window, not only on a terminal nobody sees (a workspace
                    // written by a newer Pressroom, a database that cannot be opened);
                    // the app ends once it is read.
                    use tauri::Manager;
                    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
                    // Nothing to edit behind it: the editor's window stays hidden.
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.hide();
                    }
                    let handle = app.handle().clone();
                    app.dialog()
                        .message(e.to_string())
                        .title("Pressroom cannot open its workspace")
                        .kind(MessageDialogKind::Error)
                        .show(move |_| handle.exit(1));
                    tracing::error!(error = %e, "cannot open the workspace");
                    return Ok(());
                }
            };
            commands::notify_in_background(app.handle().clone(), &state.publisher);
            app.manage(state);
            tracing::debug!(elapsed_ms = since_start_ms(), "workspace open");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::ui_ready,
            commands::list_documents,
            commands::get_document,
            commands::search_documents,
            commands::workspace_info,
            commands::preview,
            commands::preview_edit,
            commands::save_document,
            commands::create_document,
            commands::list_sites,
            commands::publish_document,
            commands::unpublish_document,
            commands::resend_delivery,
            commands::published_view,
            commands::live_page_css,
            commands::theme_pages,
            commands::documents_sites,
            commands::watch_publish,
            commands::latest_publish,
            commands::set_fields,
            commands::rename_document,
            commands::follow_title,
            commands::delete_document,
            commands::trash_list,
            commands::restore_from_trash,
            commands::purge_from_trash,
            commands::document_history,
            commands::revision_diff,
            commands::restore_revision,
            commands::import_folder,
            commands::export_folder,
            commands::open_in_browser,
            settings::api_settings,
            settings::set_api_settings,
            settings::check_api,
            settings::settings_sites,
            settings::add_site,
            settings::update_site,
            settings::remove_site,
            settings::set_site_enabled,
            settings::set_secret,
            settings::finish_rotation,
            settings::site_handler,
            settings::test_webhook,
            settings::list_deliveries,
            settings::delivery_attempts,
            destinations::list_destinations,
            destinations::add_destination,
            destinations::update_destination,
            destinations::remove_destination,
            destinations::test_destination,
            destinations::pull_destination,
            images::add_image,
            images::insert_image,
            images::image_settings,
            images::set_image_settings,
            schedules::schedule_document,
            schedules::cancel_schedule,
            schedules::document_schedule,
            background::background_service,
            background::set_background_service,
            commands::opened_files,
        ])
}

fn main() {
    STARTED.get_or_init(|| (Instant::now(), SystemTime::now()));
    *OPENED.lock().unwrap_or_else(|e| e.into_inner()) = std::env::args_os()
        .skip(1)
        .filter(|a| !a.to_string_lossy().starts_with('-'))
        .map(std::path::PathBuf::from)
        .collect();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,pressroom=debug".into()),
        )
        .init();
    app_builder::<tauri::Wry>()
        .build(tauri::generate_context!())
        .expect("the Pressroom window could not start")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(state) = app.try_state::<state::AppState>() {
                    state.stop_publisher();
                }
            }
        });
}
