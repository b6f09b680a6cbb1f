//! Tauri build step: the app's own commands (listed once, in `commands.txt`) are
//! declared so that tauri-build generates an `allow-<command>` permission for each; the capability files in
//! `src-tauri/capabilities/` then grant exactly those to the main window.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    println!("cargo:rerun-if-changed=src-tauri/commands.txt");
    let list = std::fs::read_to_string("src-tauri/commands.txt").expect("src-tauri/commands.txt");
    let commands: Vec<&'static str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| &*Box::leak(l.to_owned().into_boxed_str()))
        .collect();
    let manifest = tauri_build::AppManifest::new().commands(Box::leak(commands.into_boxed_slice()));
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(manifest),
    )
    .expect("tauri-build failed");
}
