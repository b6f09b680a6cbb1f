//! A YAML alias bomb — a few hundred bytes whose nested aliases would expand to
//! billions of nodes — is refused with its line, quickly, wherever front matter is read:
//! parsing, saving a draft, the live preview and folder import. The text is kept.

use std::time::{Duration, Instant};

use pressroom_core::{folder, frontmatter, preview, Store};

/// Nine levels of nine aliases each: 9^9 ≈ 387 million strings once expanded.
fn bomb() -> String {
    let mut yaml = String::from("---\ntitle: Laughs\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for level in 1..9 {
        let prev = format!("*a{}", level - 1);
        let items = [prev.as_str(); 9].join(",");
        yaml.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    yaml.push_str("---\nThe body survives.\n");
    yaml
}

fn quickly<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn parsing_refuses_aliases_and_names_the_line() {
    let source = bomb();
    assert!(source.len() < 600, "a small file: {} bytes", source.len());
    let err = quickly("parse", || frontmatter::parse(&source)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("line 4") && text.contains("alias"), "{text}");
    // An anchor alone is harmless and still fine.
    let anchored = "---\ntitle: &t Hello\n---\nx\n";
    assert_eq!(frontmatter::parse(anchored).unwrap().title, "Hello");
}

#[test]
fn saving_and_previewing_the_bomb_keeps_the_text_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("w.db")).unwrap();
    store.create("post", "---\ntitle: Fine\n---\nx\n").unwrap();
    let source = bomb();
    let saved = quickly("save", || store.save("post", &source)).unwrap();
    assert_eq!(saved.document.source, source);
    assert_eq!(saved.document.parse_error.as_ref().map(|p| p.line), Some(4));

    let mut session = preview::Session::new();
    let update = quickly("preview", || session.render(source.clone()));
    assert_eq!(update.problem.as_ref().map(|p| p.0), Some(4));
    assert!(update.blocks.concat().contains("The body survives."));
}

#[test]
fn importing_the_bomb_reports_the_file_and_line_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let folder_path = dir.path().join("site");
    std::fs::create_dir(&folder_path).unwrap();
    std::fs::write(folder_path.join("bomb.md"), bomb()).unwrap();
    std::fs::write(folder_path.join("fine.md"), "---\ntitle: Fine\n---\nx\n").unwrap();
    let mut store = Store::open(dir.path().join("w.db")).unwrap();
    let report = quickly("import", || folder::import(&mut store, &folder_path)).unwrap();
    let text = format!("{report:?}");
    assert!(store.exists("fine").unwrap(), "{text}");
    // The bomb is either kept as a draft with its error, or reported as failed with it.
    match store.get("bomb") {
        Ok(doc) => assert_eq!(doc.parse_error.map(|p| p.line), Some(4)),
        Err(_) => assert!(text.contains("alias"), "{text}"),
    }
}
