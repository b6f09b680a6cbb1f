//! The native menu. Every item the app handles is forwarded to the window as a `menu`
//! event carrying the item's id; the front end acts on it exactly as on its own
//! buttons and shortcuts (the accelerators shown here are the same shortcuts).

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Emitter, Runtime};

/// (id, label, accelerator) of the items the front end handles, per submenu.
const FILE: [(&str, &str, Option<&str>); 3] = [
    ("new", "New document", Some("CmdOrCtrl+N")),
    ("import", "Import folder…", None),
    ("export", "Export all to a folder…", None),
];
const DOCUMENT: [(&str, &str, Option<&str>); 3] = [
    ("save", "Save", Some("CmdOrCtrl+S")),
    ("publish", "Publish…", Some("CmdOrCtrl+Enter")),
    ("history", "History", Some("CmdOrCtrl+H")),
];
const VIEW: [(&str, &str, Option<&str>); 3] = [
    ("deliveries", "Deliveries", Some("CmdOrCtrl+Shift+D")),
    ("settings", "Settings", Some("CmdOrCtrl+,")),
    ("help", "Keyboard shortcuts", Some("F1")),
];

fn items<R: Runtime>(
    app: &AppHandle<R>,
    list: &[(&str, &str, Option<&str>)],
) -> tauri::Result<Vec<MenuItem<R>>> {
    list.iter()
        .map(|(id, label, accel)| MenuItem::with_id(app, *id, *label, true, *accel))
        .collect()
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let file_items = items(app, &FILE)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = PredefinedMenuItem::quit(app, Some("Quit"))?;
    let mut file: Vec<&dyn tauri::menu::IsMenuItem<R>> = Vec::new();
    file.extend(
        file_items
            .iter()
            .map(|i| i as &dyn tauri::menu::IsMenuItem<R>),
    );
    file.push(&separator);
    file.push(&quit);
    let file = Submenu::with_items(app, "File", true, &file)?;

    let (cut, copy, paste, all) = (
        PredefinedMenuItem::cut(app, None)?,
        PredefinedMenuItem::copy(app, None)?,
        PredefinedMenuItem::paste(app, None)?,
        PredefinedMenuItem::select_all(app, None)?,
    );
    let edit = Submenu::with_items(app, "Edit", true, &[&cut, &copy, &paste, &all])?;

    let document_items = items(app, &DOCUMENT)?;
    let document: Vec<&dyn tauri::menu::IsMenuItem<R>> = document_items
        .iter()
        .map(|i| i as &dyn tauri::menu::IsMenuItem<R>)
        .collect();
    let document = Submenu::with_items(app, "Document", true, &document)?;

    let view_items = items(app, &VIEW)?;
    let view: Vec<&dyn tauri::menu::IsMenuItem<R>> = view_items
        .iter()
        .map(|i| i as &dyn tauri::menu::IsMenuItem<R>)
        .collect();
    let view = Submenu::with_items(app, "View", true, &view)?;

    Menu::with_items(app, &[&file, &edit, &document, &view])
}

/// Hands a menu choice to the window.
pub fn forward<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let _ = app.emit("menu", id);
}
