//! Tauri build step: the app's own commands are declared here so that tauri-build
//! generates an `allow-<command>` permission for each; the capability files in
//! `src-tauri/capabilities/` then grant exactly those to the main window.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    let manifest = tauri_build::AppManifest::new().commands(&[
        "ui_ready",
        "list_documents",
        "get_document",
        "search_documents",
        "workspace_info",
        "preview",
        "preview_edit",
        "save_document",
        "create_document",
        "list_sites",
        "publish_document",
        "resend_delivery",
        "published_view",
        "watch_publish",
        "latest_publish",
        "set_fields",
        "rename_document",
        "delete_document",
        "document_history",
        "revision_diff",
        "restore_revision",
        "import_folder",
        "export_folder",
        "open_in_browser",
        "api_settings",
        "set_api_settings",
        "check_api",
        "settings_sites",
        "add_site",
        "update_site",
        "remove_site",
        "set_site_enabled",
        "set_secret",
        "finish_rotation",
        "site_handler",
        "test_webhook",
        "list_deliveries",
        "delivery_attempts",
    ]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(manifest),
    )
    .expect("tauri-build failed");
}
