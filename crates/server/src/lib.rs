//! The reference content API (docs/content-api.md): what sites read published content
//! from and what the app publishes to. A library so tests and the sandbox run it
//! in-process: `Server::open(config).await` then `serve(listener, shutdown)`.
//!
//! Storage is core's `PublishedStore` (one SQLite file, the embedded default) or
//! PostgreSQL shared by several instances (`postgres.rs`); the rest of this crate
//! speaks HTTP: authentication, body limits, timeouts and a connection limit,
//! conditional GETs, the JSON error shape, request ids and `/metrics`.

mod auth;
mod error;
mod metrics;
mod postgres;
mod routes;
mod storage;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

pub use auth::{generate_token, WriteToken, TOKEN_SETTING};
pub use error::ServerError;

/// Default largest request body: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Where the documents are kept.
#[derive(Debug, Clone)]
pub enum Database {
    /// One SQLite file: one instance (the embedded default).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://user@host:port/name`), shared by any number
    /// of instances.
    Postgres(String),
}

pub struct Config {
    pub database: Database,
    /// The write token; `None` generates one on first start (stored hashed).
    pub token: Option<String>,
    pub body_limit: usize,
    pub limits: Limits,
    /// Where readers reach this server (`https://api.example.com`), for the images'
    /// addresses in documents' HTML; `None`: as each writer reached it (`Host`, or a
    /// proxy's `X-Forwarded-Host` and `X-Forwarded-Proto`).
    pub public_url: Option<String>,
}

/// How long clients may take, and how many are served at once.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request's headers must arrive within this long — also the longest a
    /// kept-alive connection may sit idle before its next request.
    pub header_timeout: Duration,
    /// A request (its body read, the answer made) must be done within this long.
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub struct Server {
    state: routes::AppState,
    limits: Limits,
    generated_token: Option<String>,
}

impl Server {
    /// Opens (or connects to) the database, migrates it, and settles the write token.
    pub async fn open(config: Config) -> Result<Server, ServerError> {
        let public_url = config
            .public_url
            .as_deref()
            .map(|url| {
                reqwest_free_url(url).ok_or_else(|| {
                    ServerError::Config(format!(
                        "the public URL {url:?} is not an http(s) address without a query"
                    ))
                })
            })
            .transpose()?;
        let storage = match &config.database {
            Database::Sqlite(path) => storage::Storage::Sqlite(storage::Sqlite::open(path)?),
            Database::Postgres(url) => {
                storage::Storage::Postgres(postgres::Postgres::connect(url).await?)
            }
        };
        let (token, generated_token) = storage.write_token(config.token.as_deref()).await?;
        Ok(Server {
            state: routes::AppState {
                metrics: Arc::new(metrics::Metrics::new(storage.backend())),
                storage,
                token: Arc::new(token),
                body_limit: config.body_limit,
                request_timeout: config.limits.request_timeout,
                public_url: public_url.map(Arc::from),
            },
            limits: config.limits,
            generated_token,
        })
    }

    /// The token generated on this first start, to show once; `None` afterwards.
    pub fn generated_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    /// Serves until `shutdown` resolves; then stops accepting, and requests in flight
    /// get `limits.shutdown_grace` to finish before their connections are dropped.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = listener.local_addr().map_err(ServerError::Io)?;
        tracing::info!(%addr, "content API listening");
        let limits = self.limits;
        let service = TowerToHyperService::new(routes::router(self.state));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(limits.header_timeout)
            .keep_alive_timeout(limits.header_timeout);
        let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        let mut connections = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            // Finished connections are reaped as new ones come.
            while connections.try_join_next().is_some() {}
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.expect("never closed"),
                _ = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: pass, do not spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service.clone())
                .into_owned();
            let connection = graceful.watch(connection);
            connections.spawn(async move {
                // A client that went away or broke the protocol is its own problem.
                let _ = connection.await;
                drop(slot);
            });
        }
        drop(listener);
        if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "requests still running after {:?}; their connections are dropped",
                limits.shutdown_grace
            );
        }
        connections.abort_all();
        while connections.join_next().await.is_some() {}
        Ok(())
    }
}

/// `url` (`http(s)://host[:port][/path]`) without its trailing slash, or `None` when it
/// is not such an address (a query, a fragment, characters an attribute cannot hold).
fn reqwest_free_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let plain = !rest.is_empty()
        && !rest.starts_with('/')
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_~:[]/%".contains(&b));
    plain.then(|| url.to_owned())
}
