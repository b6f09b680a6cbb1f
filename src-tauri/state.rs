//! What the shell keeps between commands: the open workspace, the publishing service
//! over it (started with the app, stopped when it exits), and — when nothing is
//! configured — the sandbox it publishes to.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pressroom_core::publisher::{Publisher, Running};
use pressroom_core::secrets::SecretStore;
use pressroom_core::{preview, publish, workspace, Store};
use pressroom_sandbox::{Sandbox, SandboxOptions};
use serde::Serialize;

pub struct AppState {
    pub store: Arc<Mutex<Store>>,
    pub publisher: Publisher,
    /// The publisher's worker, serving since launch.
    running: Mutex<Option<Running>>,
    pub info: WorkspaceInfo,
    /// The editor's live preview: the text it rendered last and its blocks.
    pub preview: Mutex<preview::Session>,
    /// Keeps the sandbox's content API and demo site running while the app runs.
    _sandbox: Option<Sandbox>,
}

/// What the window shows about where it publishes.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WorkspaceInfo {
    pub data_dir: PathBuf,
    /// The built-in sandbox (content API + demo site on loopback).
    pub sandbox: bool,
    pub api_url: Option<String>,
    pub demo_site_url: Option<String>,
}

impl AppState {
    /// Opens the workspace from `$PRESSROOM_DATA_DIR` or the platform data dir.
    pub fn open_default() -> Result<AppState, Box<dyn std::error::Error>> {
        Self::open(workspace::default_data_dir())
    }

    /// An existing workspace opens as it is. Until there is one (a first start), the
    /// sandbox starts in-process and its workspace — sample documents, the demo site as
    /// target — opens, so the first Publish goes all the way to Live.
    pub fn open(data_dir: PathBuf) -> Result<AppState, Box<dyn std::error::Error>> {
        let main_db = workspace::database_path(&data_dir);
        let (db, sandbox) = if main_db.exists() {
            (main_db, None)
        } else {
            let sandbox = tauri::async_runtime::block_on(Sandbox::start(
                &data_dir.join("sandbox"),
                SandboxOptions::default(),
            ))?;
            (sandbox.workspace_db(), Some(sandbox))
        };
        let mut store = Store::open(&db)?;
        // Autosave runs on every pause in typing: keep WAL checkpoints out of it.
        store.checkpoint_in_background(Duration::from_millis(500))?;
        let seeded = pressroom_core::samples::seed_if_empty(&mut store)?;
        let secrets = SecretStore::for_workspace(&store);
        // Hook URLs are secrets: a workspace from before they were kept as such moves
        // them now (a keyring that is not there leaves them working as they were).
        if let Err(e) = pressroom_core::sites::move_hook_urls_to_secret_store(&mut store, &secrets)
        {
            tracing::warn!(error = %e, "could not move hook URLs to the secret store");
        }
        let info = WorkspaceInfo {
            data_dir: data_dir.clone(),
            sandbox: sandbox.is_some(),
            api_url: publish::api_settings(&store)?.map(|s| s.url),
            demo_site_url: sandbox.as_ref().map(|s| s.site_url.clone()),
        };
        tracing::info!(data_dir = %data_dir.display(), seeded, sandbox = info.sandbox, "workspace opened");
        let store = Arc::new(Mutex::new(store));
        let publisher = Publisher::new(store.clone(), secrets);
        // Inside the runtime, so the worker is spawned on it; it resumes whatever an
        // earlier run left pending (retries, confirmations).
        let running = tauri::async_runtime::block_on(async { publisher.spawn() });
        Ok(AppState {
            publisher,
            running: Mutex::new(Some(running)),
            store,
            info,
            preview: Mutex::new(preview::Session::new()),
            _sandbox: sandbox,
        })
    }

    /// Stops the publisher (the app is exiting): what is in flight gets a moment, the
    /// rest stays queued for the next start.
    pub fn stop_publisher(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = running {
            let stopped = tauri::async_runtime::block_on(async {
                tokio::time::timeout(Duration::from_secs(5), running.stop()).await
            });
            if !matches!(stopped, Ok(Ok(()))) {
                tracing::warn!(
                    "the publisher did not stop cleanly; its leases run out by themselves"
                );
            }
        }
    }

    /// The preview session (a poisoned lock is taken over: a session changes only
    /// once its render is done, so it is never left half edited).
    pub fn preview(&self) -> std::sync::MutexGuard<'_, preview::Session> {
        self.preview.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` with the store (a poisoned lock is taken over, see `store::lock`).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut pressroom_core::store::lock(&self.store))
    }
}
