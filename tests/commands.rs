//! The app's command names are listed once, in `src-tauri/commands.txt`: `build.rs`
//! declares them from there, and this test fails when `main.rs` registers another set,
//! when the window's capability grants another set, or when the UI calls a command
//! that is not in the list.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn listed() -> BTreeSet<String> {
    read("src-tauri/commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn main_registers_exactly_the_listed_commands() {
    let main = read("src-tauri/main.rs");
    let start = main.find("generate_handler![").expect("a handler list") + 18;
    let end = start + main[start..].find(']').unwrap();
    let registered: BTreeSet<String> = main[start..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|path| path.rsplit("::").next().unwrap().to_owned())
        .collect();
    assert_eq!(registered, listed());
}

#[test]
fn the_window_is_granted_exactly_the_listed_commands() {
    let capability: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(granted, listed());
}

#[test]
fn the_ui_calls_only_listed_commands() {
    let api = read("ui/src/lib/api.ts");
    let listed = listed();
    let mut called = BTreeSet::new();
    for piece in api.split("call<").skip(1) {
        let Some(start) = piece.find("(\"") else {
            continue;
        };
        let name = &piece[start + 2..];
        let name = &name[..name.find('"').unwrap()];
        called.insert(name.to_owned());
    }
    assert!(!called.is_empty());
    let unknown: Vec<_> = called.difference(&listed).collect();
    assert!(
        unknown.is_empty(),
        "the UI calls unlisted commands: {unknown:?}"
    );
    let unused: Vec<_> = listed.difference(&called).collect();
    assert!(
        unused.is_empty(),
        "listed but never called by the UI: {unused:?}"
    );
}
