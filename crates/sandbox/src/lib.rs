//! The sandbox: the reference content API and the demo site, both on loopback, and a
//! workspace configured to publish there — the whole loop (publish → webhook → live)
//! with zero setup. `pressroom sandbox` and the desktop app's first start use it.
//!
//! The sandbox's workspace keeps its secrets (the API token and the demo site's
//! signing secret, both throwaway and only valid on loopback) in a 0600 file inside the
//! sandbox folder, named in the workspace's settings — an explicit choice of this
//! workspace, never a fallback for a real one.

pub mod demo_site;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pressroom_core::secrets::{SecretStore, WORKSPACE_FILE_KEY};
use pressroom_core::sites::{self, SecretInput};
use pressroom_core::store::{NewSite, Preset};
use pressroom_core::{publish, samples, workspace, Store};
use pressroom_server::{Config, Database, Server};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use demo_site::{DemoConfig, DemoSite, DemoStats, Mode};

/// The demo site's name in the sandbox workspace.
pub const SITE_NAME: &str = "demo";

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Core(#[from] pressroom_core::Error),
    #[error("the content API could not start: {0}")]
    Server(#[from] pressroom_server::ServerError),
    #[error("the demo site could not start: {0}")]
    Demo(#[from] demo_site::DemoError),
    #[error("could not listen on loopback: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub mode: Mode,
    pub regen_delay: Duration,
    pub marker: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            mode: Mode::ExpireNow,
            regen_delay: Duration::ZERO,
            marker: true,
        }
    }
}

/// A running sandbox. Dropping it stops both servers (`stop` waits for them).
pub struct Sandbox {
    /// The sandbox folder: the workspace, the content API's database, the secrets file.
    pub dir: PathBuf,
    pub api_url: String,
    pub site_url: String,
    pub demo: DemoSite,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts the content API and the demo site on `127.0.0.1:0` and points the
    /// workspace in `dir` at them (creating it, with the sample documents, the first
    /// time). Must run inside a tokio runtime.
    pub async fn start(dir: &Path, options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        std::fs::create_dir_all(dir)?;
        let secrets_path = dir.join("secrets.json");
        let secrets = SecretStore::File(secrets_path.clone());
        let token = pressroom_server::generate_token();

        let server = Server::open(Config {
            database: Database::Sqlite(dir.join("content-api.db")),
            token: Some(token.clone()),
            body_limit: pressroom_server::DEFAULT_BODY_LIMIT,
            limits: Default::default(),
            public_url: None,
        })
        .await?;
        let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api_url = format!("http://{}", api_listener.local_addr()?);
        let site_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let site_url = format!("http://{}", site_listener.local_addr()?);

        let mut store = Store::open(workspace::database_path(dir))?;
        store.set_setting(WORKSPACE_FILE_KEY, &secrets_path.to_string_lossy())?;
        samples::seed_if_empty(&mut store)?;
        publish::set_api_with_token(&mut store, &secrets, &api_url, &token)?;
        let wanted = NewSite {
            name: SITE_NAME.to_owned(),
            webhook_url: format!("{site_url}{}", demo_site::WEBHOOK_PATH),
            page_url_template: format!("{site_url}{}", demo_site::PAGE_PATH),
            tag_templates: vec!["documents".into(), "document:{slug}".into()],
            path_templates: vec![demo_site::PAGE_PATH.to_owned()],
            preset: Preset::StandardWebhooks,
            destination: None,
        };
        let site = match store.site(SITE_NAME) {
            Ok(site) => {
                // Same site, new ports; whatever else the user changed is theirs.
                let site = store.update_site(
                    SITE_NAME,
                    &NewSite {
                        tag_templates: site.tag_templates,
                        path_templates: site.path_templates,
                        ..wanted
                    },
                )?;
                if !site.enabled {
                    store.set_site_enabled(SITE_NAME, true, None)?;
                }
                site
            }
            Err(pressroom_core::Error::SiteNotFound { .. }) => {
                sites::add(&mut store, &secrets, &wanted, SecretInput::Generate)?.site
            }
            Err(e) => return Err(e.into()),
        };
        let stored = match site.secret_ref.as_deref() {
            Some(r) => secrets.get(r)?.map(|s| s.current),
            None => None,
        };
        let secret = match stored {
            Some(s) => s,
            None => {
                // The secrets file was lost: give the site a fresh secret.
                let fresh =
                    sites::rotate(&store, &secrets, SITE_NAME, SecretInput::Generate)?.new_secret;
                sites::finish_rotation(&store, &secrets, SITE_NAME)?;
                fresh.ok_or(pressroom_core::Error::SecretMissing {
                    site: SITE_NAME.to_owned(),
                })?
            }
        };
        drop(store);

        let demo = DemoSite::new(DemoConfig {
            api_url: api_url.clone(),
            secret,
            mode: options.mode,
            regen_delay: options.regen_delay,
            marker: options.marker,
        })?;
        let (shutdown, stopped) = watch::channel(false);
        let stop_signal = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let api_task = tokio::spawn({
            let signal = stop_signal(stopped.clone());
            async move {
                if let Err(e) = server.serve(api_listener, signal).await {
                    tracing::error!("sandbox content API stopped: {e}");
                }
            }
        });
        let site_task = tokio::spawn({
            let (demo, signal) = (demo.clone(), stop_signal(stopped));
            async move {
                if let Err(e) = demo.serve(site_listener, signal).await {
                    tracing::error!("sandbox demo site stopped: {e}");
                }
            }
        });
        Ok(Sandbox {
            dir: dir.to_owned(),
            api_url,
            site_url,
            demo,
            shutdown,
            tasks: vec![api_task, site_task],
        })
    }

    /// The sandbox workspace's database.
    pub fn workspace_db(&self) -> PathBuf {
        workspace::database_path(&self.dir)
    }

    /// Stops both servers and waits until they have.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
