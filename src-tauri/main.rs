//! The Pressroom desktop shell. Only wiring lives here: open the workspace, register
//! the commands (thin adapters in `commands`), start the window. All behaviour is in
//! `pressroom_core`, which knows nothing of Tauri.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod ipc_error;
mod state;

use tauri::{Manager, Runtime};

/// The app, generic over the runtime so it can also boot under Tauri's mock runtime.
fn app_builder<R: Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .setup(|app| {
            let state = state::AppState::open_default()?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_documents,
            commands::get_document,
            commands::search_documents,
            commands::workspace_info,
            commands::preview,
            commands::save_document,
            commands::create_document,
            commands::list_sites,
            commands::publish_document,
            commands::resend_delivery,
            commands::published_view,
        ])
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,pressroom=debug".into()),
        )
        .init();
    app_builder::<tauri::Wry>()
        .run(tauri::generate_context!())
        .expect("the Pressroom window could not start");
}
