//! What the shell keeps between commands: the open workspace store.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pressroom_core::{samples, workspace, Store};

pub struct AppState {
    pub store: Mutex<Store>,
}

impl AppState {
    /// Opens the workspace from `$PRESSROOM_DATA_DIR` or the platform data dir; a new,
    /// empty workspace gets the sandbox's sample documents so a first start is not blank.
    pub fn open_default() -> pressroom_core::Result<AppState> {
        Self::open(workspace::default_data_dir())
    }

    pub fn open(data_dir: PathBuf) -> pressroom_core::Result<AppState> {
        let mut store = Store::open(workspace::database_path(&data_dir))?;
        // Autosave runs on every pause in typing: keep WAL checkpoints out of it.
        store.checkpoint_in_background(Duration::from_millis(500))?;
        let seeded = samples::seed_if_empty(&mut store)?;
        tracing::info!(data_dir = %data_dir.display(), seeded, "workspace opened");
        Ok(AppState {
            store: Mutex::new(store),
        })
    }

    /// Runs `f` with the store (a poisoned lock is taken over, see `store::lock`).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut pressroom_core::store::lock(&self.store))
    }
}
