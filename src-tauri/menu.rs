//! The native menu. Every item the app handles is forwarded to the window as a `menu`
//! event carrying the item's id; the front end acts on it exactly as on its own
//! buttons and shortcuts (the accelerators shown here are the same shortcuts).

use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Emitter, Runtime};

/// (id, label, accelerator) of the items the front end handles, per submenu.
const FILE: [(&str, &str, Option<&str>); 3] = [
    ("new", "New document", Some("CmdOrCtrl+N")),
    ("import", "Import folder…", None),
    ("export", "Export all to a folder…", None),
];
const DOCUMENT: [(&str, &str, Option<&str>); 4] = [
    ("save", "Save", Some("CmdOrCtrl+S")),
    ("insert-image", "Insert image…", Some("CmdOrCtrl+Shift+I")),
    ("publish", "Publish…", Some("CmdOrCtrl+Enter")),
    ("history", "History", Some("CmdOrCtrl+H")),
];
/// Undo and Redo act on the field or editor that has the focus. They carry no
/// accelerator: GTK would take Ctrl+Z from the page, whose fields undo on their own.
const EDIT: [(&str, &str, Option<&str>); 2] = [("undo", "Undo", None), ("redo", "Redo", None)];
const VIEW: [(&str, &str, Option<&str>); 4] = [
    ("focus", "Focus mode", Some("CmdOrCtrl+Shift+F")),
    ("deliveries", "Deliveries", Some("CmdOrCtrl+Shift+D")),
    ("settings", "Settings", Some("CmdOrCtrl+,")),
    ("help", "Keyboard shortcuts", Some("F1")),
];

/// A submenu of the items the front end handles, then `extra` (separators, quit).
fn submenu<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    list: &[(&str, &str, Option<&str>)],
    extra: &[&dyn IsMenuItem<R>],
) -> tauri::Result<Submenu<R>> {
    let items = list
        .iter()
        .map(|(id, label, accel)| MenuItem::with_id(app, *id, *label, true, *accel))
        .collect::<tauri::Result<Vec<_>>>()?;
    let mut all: Vec<&dyn IsMenuItem<R>> = items.iter().map(|i| i as &dyn IsMenuItem<R>).collect();
    all.extend_from_slice(extra);
    Submenu::with_items(app, title, true, &all)
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = PredefinedMenuItem::quit(app, Some("Quit"))?;
    let file = submenu(app, "File", &FILE, &[&separator, &quit])?;
    let (cut, copy, paste, all) = (
        PredefinedMenuItem::cut(app, None)?,
        PredefinedMenuItem::copy(app, None)?,
        PredefinedMenuItem::paste(app, None)?,
        PredefinedMenuItem::select_all(app, None)?,
    );
    let edit_separator = PredefinedMenuItem::separator(app)?;
    let edit = submenu(
        app,
        "Edit",
        &EDIT,
        &[&edit_separator, &cut, &copy, &paste, &all],
    )?;
    let document = submenu(app, "Document", &DOCUMENT, &[])?;
    let view = submenu(app, "View", &VIEW, &[])?;
    Menu::with_items(app, &[&file, &edit, &document, &view])
}

/// Hands a menu choice to the window.
pub fn forward<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let _ = app.emit("menu", id);
}
