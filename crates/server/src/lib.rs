//! The reference content API (interfaces.md §1): what sites read published content
//! from and what the app publishes to. A library so tests and the sandbox run it
//! in-process: `Server::open(config)` then `serve(listener, shutdown)`.
//!
//! Storage is core's `PublishedStore`; this crate only speaks HTTP: authentication,
//! body limits, conditional GETs and the JSON error shape.

mod auth;
mod error;
mod routes;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use pressroom_core::store::PublishedStore;

pub use auth::{generate_token, WriteToken, TOKEN_SETTING};
pub use error::ServerError;

/// Default largest request body: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub struct Config {
    pub db_path: PathBuf,
    /// The write token; `None` generates one on first start (stored hashed).
    pub token: Option<String>,
    pub body_limit: usize,
}

pub struct Server {
    state: routes::AppState,
    generated_token: Option<String>,
}

impl Server {
    /// Opens the database and settles the write token.
    pub fn open(config: Config) -> Result<Server, ServerError> {
        let mut store = PublishedStore::open(&config.db_path)?;
        let (token, generated_token) = WriteToken::resolve(&mut store, config.token.as_deref())?;
        Ok(Server {
            state: routes::AppState {
                store: Arc::new(Mutex::new(store)),
                cache: Arc::new(RwLock::new(HashMap::new())),
                token: Arc::new(token),
                body_limit: config.body_limit,
            },
            generated_token,
        })
    }

    /// The token generated on this first start, to show once; `None` afterwards.
    pub fn generated_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = listener.local_addr().map_err(ServerError::Io)?;
        tracing::info!(%addr, "content API listening");
        axum::serve(listener, routes::router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Io)
    }
}
