//! Tauri build step: the app's own commands are declared here so that tauri-build
//! generates an `allow-<command>` permission for each; the capability files in
//! `src-tauri/capabilities/` then grant exactly those to the main window.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_documents",
        "get_document",
        "search_documents",
        "workspace_info",
        "preview",
        "save_document",
        "create_document",
        "list_sites",
        "publish_document",
        "resend_delivery",
        "published_view",
    ]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(manifest),
    )
    .expect("tauri-build failed");
}
