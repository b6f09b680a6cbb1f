//! The content API on PostgreSQL, for several stateless instances behind a balancer.
//! The one place this crate talks to PostgreSQL.
//!
//! - Migrations are embedded and applied under an advisory lock: however many
//!   instances start at once, each migration runs once.
//! - A publish decides under a transaction-scoped advisory lock on its slug (and first
//!   on its Idempotency-Key), so of concurrent publishes from one base revision on any
//!   instances exactly one wins, and a key's first answer is everyone's.
//! - Every write `NOTIFY`s its slug; each instance `LISTEN`s and drops that slug from
//!   its read cache, and empties the whole cache whenever its listener (re)connects.
//!   A notification arrives a moment after the commit, so a cached entry is served
//!   only after a primary-key look-up of the slug's current revision confirms it:
//!   an ETag from one instance is never stale on another once the write committed.
//! - A database that cannot be reached is `503 unavailable`; pooled connections that
//!   broke are replaced on their next use, so an instance recovers by itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use pressroom_core::store::{
    now, timestamp_before, Decision, Idempotency, PreparedPut, StoredAsset, IDEMPOTENCY_TTL,
};
use pressroom_core::wire::ApiDocument;
use sha2::{Digest, Sha256};
use tokio_postgres::{AsyncMessage, NoTls, Row};

use crate::error::{ApiError, ServerError};
use crate::storage::{Cache, Cached, Put};

/// The embedded migrations, in order; version N is the N-th.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/postgres/0001_published.sql")];

/// The advisory lock held while migrating (an arbitrary constant of this program's).
const MIGRATION_LOCK: i64 = 0x7072_6573_7372_6f6d; // "pressrom"

/// The channel every write notifies, with the slug as payload.
const CHANNEL: &str = "pressroom_documents";

const COLUMNS: &str = "slug, title, revision, html, markdown, summary, tags, front_matter, \
                       published_at, updated_at, cover";

/// A transaction at READ COMMITTED whatever the database's default: each statement
/// sees what committed before it, so after waiting on a publish lock a publish reads
/// the write it waited for (at REPEATABLE READ it would still see its old snapshot).
async fn read_committed(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, ApiError> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
        .start()
        .await?)
}

/// Connections each instance keeps at most.
const POOL_SIZE: usize = 16;

/// How long a request waits for a connection, or for one to be made.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest a request's statement may run, and wait for a lock (a transaction stuck
/// elsewhere): past it the request answers 503 instead of hanging, and its connection
/// goes back to the pool. `options` in the database URL can set other values.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive: a database that vanished without closing its connections (a
/// network cut, a machine gone) is noticed within about a minute, by the listener
/// too, rather than after the system's two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;
/// Longest that sent data may stay unacknowledged before the connection is dropped
/// (keepalive does not probe a connection with data in flight).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub(crate) struct Postgres {
    pool: Pool,
    cache: Arc<Cache>,
    listener: Arc<Listener>,
}

/// The task that keeps this instance's cache in step with every other's writes;
/// stopped when the last handle to the storage goes.
struct Listener {
    task: tokio::task::JoinHandle<()>,
    listening: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn from_row(row: &Row) -> ApiDocument {
    let tags: String = row.get(6);
    let front_matter: String = row.get(7);
    ApiDocument {
        slug: row.get(0),
        title: row.get(1),
        revision: row.get(2),
        html: row.get(3),
        markdown: row.get(4),
        summary: row.get(5),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        front_matter: serde_json::from_str(&front_matter).unwrap_or_default(),
        published_at: row.get(8),
        updated_at: row.get(9),
        cover: row.get(10),
    }
}

/// The advisory lock that serializes writes of one `kind` ("doc", "key") of one name.
fn lock_id(kind: &str, name: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(kind)
        .chain_update([0])
        .chain_update(name)
        .finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// A statement cancelled by the statement or lock timeout, or no free connection in
/// time: the database is there but busy.
fn busy(error: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(error = %error, "the database is busy");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the database is busy (a statement or a lock waited too long); try again shortly",
    )
}

fn unavailable(error: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(error = %error, "the database cannot be reached");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the database cannot be reached; try again shortly",
    )
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> ApiError {
        match e.as_db_error().map(|db| db.code().code()) {
            // Connection exceptions, the server shutting down, out of resources.
            Some(code)
                if code.starts_with("08") || code.starts_with("57P") || code.starts_with("53") =>
            {
                unavailable(&e)
            }
            // query_canceled (the statement timeout), lock_not_available (the lock
            // timeout).
            Some("57014" | "55P03") => busy(&e),
            Some(_) => {
                tracing::error!(error = %e, "database request failed");
                ApiError::internal()
            }
            // No answer from the server at all: the connection is gone.
            None => unavailable(&e),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> ApiError {
        match e {
            PoolError::Backend(e) => e.into(),
            PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => busy(&e),
            e => unavailable(&e),
        }
    }
}

impl Postgres {
    /// Connects, applies the migrations (once, under the advisory lock), and starts
    /// the listener that keeps the cache in step.
    pub async fn connect(url: &str) -> Result<Postgres, ServerError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            ServerError::Config(format!("the database URL is not one PostgreSQL takes: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("pressroom serve");
        config
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        let given = config.get_options().unwrap_or_default().to_owned();
        // A migration may wait for another instance's, and take its time: no timeouts,
        // whatever the URL's options say (they come first, these win).
        let mut migrating = config.clone();
        let no_timeouts = format!("{given} -c statement_timeout=0 -c lock_timeout=0");
        migrating.options(no_timeouts.trim_start());
        migrate(&migrating).await?;
        // Requests' connections: Pressroom's timeouts, then the URL's options (which win).
        let mut requests = config.clone();
        let ms = |d: Duration| d.as_millis();
        let options = format!(
            "-c statement_timeout={} -c lock_timeout={} {given}",
            ms(STATEMENT_TIMEOUT),
            ms(LOCK_TIMEOUT),
        );
        requests.options(options.trim_end());
        let manager = Manager::from_config(
            requests,
            NoTls,
            ManagerConfig {
                // A broken connection is closed, and replaced on its next checkout.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| ServerError::Config(e.to_string()))?;
        let cache = Arc::new(Cache::default());
        let listening = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(listen(config, cache.clone(), listening.clone()));
        Ok(Postgres {
            pool,
            cache,
            listener: Arc::new(Listener { task, listening }),
        })
    }

    /// Whether the database answers, and this instance hears the others' writes.
    pub async fn check(&self) -> Result<(), ApiError> {
        let client = self.pool.get().await?;
        client.simple_query("SELECT 1").await?;
        if !self.listener.listening.load(Ordering::Relaxed) {
            return Err(unavailable(&"the listener is reconnecting"));
        }
        Ok(())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, ServerError> {
        let client = self.pool.get().await.map_err(database)?;
        let row = client
            .query_opt("SELECT value FROM server_settings WHERE key = $1", &[&key])
            .await
            .map_err(database)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Stores `key` unless it is there; whether this call stored it.
    pub async fn add_setting(&self, key: &str, value: &str) -> Result<bool, ServerError> {
        let client = self.pool.get().await.map_err(database)?;
        let n = client
            .execute(
                "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &value],
            )
            .await
            .map_err(database)?;
        Ok(n == 1)
    }

    pub async fn list(&self, tag: Option<&str>) -> Result<Vec<ApiDocument>, ApiError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM documents
                 WHERE $1::text IS NULL OR tags::jsonb ? $1::text
                 ORDER BY published_at DESC, slug"
            ))
            .await?;
        Ok(client
            .query(&stmt, &[&tag])
            .await?
            .iter()
            .map(from_row)
            .collect())
    }

    pub async fn document(&self, slug: &str) -> Result<Option<Cached>, ApiError> {
        let client = self.pool.get().await?;
        if let Some(hit) = self.cache.get(slug) {
            let stmt = client
                .prepare_cached("SELECT revision, updated_at FROM documents WHERE slug = $1")
                .await?;
            match client.query_opt(&stmt, &[&slug]).await? {
                Some(row)
                    if row.get::<_, &str>(0) == hit.revision
                        && row.get::<_, &str>(1) == hit.updated_at =>
                {
                    return Ok(Some(hit))
                }
                Some(_) => {}
                None => {
                    self.cache.remove(slug);
                    return Ok(None);
                }
            }
        }
        let stmt = client
            .prepare_cached(&format!("SELECT {COLUMNS} FROM documents WHERE slug = $1"))
            .await?;
        Ok(client.query_opt(&stmt, &[&slug]).await?.map(|row| {
            let entry = Cached::of(&from_row(&row));
            self.cache.put(slug, entry.clone());
            entry
        }))
    }

    pub async fn put(
        &self,
        prepared: PreparedPut,
        create_only: bool,
        idempotency: Option<(String, String)>,
    ) -> Result<Put, ApiError> {
        let slug = prepared.slug().to_owned();
        let mut client = self.pool.get().await?;
        let tx = read_committed(&mut client).await?;
        if let Some((key, hash)) = &idempotency {
            // One request per key at a time, on every instance: the first answer is
            // stored before a retry can look.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_id("key", key)])
                .await?;
            // Only this key's expired answer here: other keys' rows are other
            // publishes' business (deleting them would wait on their transactions).
            tx.execute(
                "DELETE FROM idempotency_keys WHERE key = $1 AND created_at < $2",
                &[key, &timestamp_before(IDEMPOTENCY_TTL)],
            )
            .await?;
            let earlier = tx
                .query_opt(
                    "SELECT request_hash, status, response FROM idempotency_keys WHERE key = $1",
                    &[key],
                )
                .await?;
            if let Some(row) = earlier {
                let status: i32 = row.get(1);
                let outcome = Idempotency {
                    key,
                    request_hash: hash,
                }
                .replay(row.get(0), status as u16, row.get(2))?;
                return Ok(Put {
                    status: outcome.status,
                    entry: Cached::of(&outcome.document),
                    replayed: true,
                });
            }
        }
        // Read committed: after the lock, this statement sees every earlier winner.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&lock_id("doc", &slug)],
        )
        .await?;
        let select = tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM documents WHERE slug = $1"))
            .await?;
        let current = tx.query_opt(&select, &[&slug]).await?.map(|r| from_row(&r));
        let (status, document) = match prepared.decide(current, create_only)? {
            Decision::Unchanged(document) => (200, document),
            Decision::Write { status, document } => {
                let upsert = tx
                    .prepare_cached(&format!(
                        "INSERT INTO documents ({COLUMNS})
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                         ON CONFLICT (slug) DO UPDATE SET
                           title = EXCLUDED.title, revision = EXCLUDED.revision,
                           html = EXCLUDED.html, markdown = EXCLUDED.markdown,
                           summary = EXCLUDED.summary, tags = EXCLUDED.tags,
                           front_matter = EXCLUDED.front_matter,
                           published_at = EXCLUDED.published_at,
                           updated_at = EXCLUDED.updated_at, cover = EXCLUDED.cover"
                    ))
                    .await?;
                let tags = serde_json::to_string(&document.tags).expect("strings serialize");
                let front_matter =
                    serde_json::to_string(&document.front_matter).expect("JSON serializes");
                tx.execute(
                    &upsert,
                    &[
                        &document.slug,
                        &document.title,
                        &document.revision,
                        &document.html,
                        &document.markdown,
                        &document.summary,
                        &tags,
                        &front_matter,
                        &document.published_at,
                        &document.updated_at,
                        &document.cover,
                    ],
                )
                .await?;
                self.log_change(&tx, &slug, Some(&document.revision), &document.updated_at)
                    .await?;
                (status, document)
            }
        };
        if let Some((key, hash)) = &idempotency {
            tx.execute(
                "INSERT INTO idempotency_keys (key, request_hash, status, response, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    key,
                    hash,
                    &i32::from(status),
                    &serde_json::to_string(&document).expect("documents serialize"),
                    &now(),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        if idempotency.is_some() {
            // Other keys' expired answers, a few at a time, skipping any a publish
            // holds right now; outside the publish, which is already answered.
            if let Err(e) = client
                .execute(
                    "DELETE FROM idempotency_keys WHERE key IN (
                       SELECT key FROM idempotency_keys WHERE created_at < $1
                       LIMIT 100 FOR UPDATE SKIP LOCKED)",
                    &[&timestamp_before(IDEMPOTENCY_TTL)],
                )
                .await
            {
                tracing::warn!(error = %e, "could not remove expired idempotency keys");
            }
        }
        let entry = Cached::of(&document);
        self.cache.put(&slug, entry.clone());
        Ok(Put {
            status,
            entry,
            replayed: false,
        })
    }

    /// The history row of a change and the notification every instance hears (sent
    /// when the transaction commits, not before).
    async fn log_change(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        slug: &str,
        revision: Option<&str>,
        at: &str,
    ) -> Result<(), ApiError> {
        let log = tx
            .prepare_cached(
                "INSERT INTO publish_log (slug, revision, created_at) VALUES ($1, $2, $3)",
            )
            .await?;
        tx.execute(&log, &[&slug, &revision, &at]).await?;
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &slug])
            .await?;
        Ok(())
    }

    pub async fn delete(&self, slug: &str) -> Result<(), ApiError> {
        let mut client = self.pool.get().await?;
        let tx = read_committed(&mut client).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_id("doc", slug)])
            .await?;
        if tx
            .execute("DELETE FROM documents WHERE slug = $1", &[&slug])
            .await?
            == 0
        {
            return Err(pressroom_core::Error::DocumentNotFound {
                slug: slug.to_owned(),
            }
            .into());
        }
        self.log_change(&tx, slug, None, &now()).await?;
        tx.commit().await?;
        self.cache.remove(slug);
        Ok(())
    }

    pub async fn put_asset(
        &self,
        sha256: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<bool, ApiError> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "INSERT INTO assets (sha256, mime, bytes, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &mime, &bytes, &now()],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn asset(
        &self,
        sha256: &str,
        present_only: bool,
    ) -> Result<Option<Option<StoredAsset>>, ApiError> {
        let client = self.pool.get().await?;
        if present_only {
            let row = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM assets WHERE sha256 = $1)",
                    &[&sha256],
                )
                .await?;
            return Ok(row.get::<_, bool>(0).then_some(None));
        }
        let row = client
            .query_opt(
                "SELECT mime, bytes FROM assets WHERE sha256 = $1",
                &[&sha256],
            )
            .await?;
        Ok(row.map(|r| {
            Some(StoredAsset {
                mime: r.get(0),
                bytes: r.get(1),
            })
        }))
    }
}

/// The whole chain: tokio-postgres says only "db error" and puts what PostgreSQL
/// said (for example that the database does not exist) in its source.
fn database(e: impl std::error::Error) -> ServerError {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    ServerError::Database(message)
}

/// Applies the migrations this database lacks, one transaction each, holding the
/// migration lock so that instances starting together apply each exactly once.
async fn migrate(config: &tokio_postgres::Config) -> Result<(), ServerError> {
    let (mut client, connection) = config.connect(NoTls).await.map_err(database)?;
    let driver = tokio::spawn(connection);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(database)?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS pressroom_migrations (
                     version    INTEGER PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await?;
        let applied: i32 = client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM pressroom_migrations",
                &[],
            )
            .await?
            .get(0);
        if applied as usize > MIGRATIONS.len() {
            return Ok(Some(applied));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            let version = i as i32 + 1;
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO pressroom_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await?;
            tx.commit().await?;
            tracing::info!(version, "database migrated");
        }
        Ok::<_, tokio_postgres::Error>(None)
    }
    .await;
    // Closing the session releases the lock too; unlocking says so sooner.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = driver.await;
    match result.map_err(database)? {
        Some(newer) => Err(ServerError::Config(format!(
            "the database was migrated by a newer Pressroom (schema version {newer}, this one \
             knows {}); upgrade this instance",
            MIGRATIONS.len()
        ))),
        None => Ok(()),
    }
}

/// Keeps `cache` in step with every instance's writes: `LISTEN`s on its own
/// connection and drops each notified slug; empties the cache whenever it
/// (re)connects, since notifications sent meanwhile were missed. Runs until aborted.
async fn listen(config: tokio_postgres::Config, cache: Arc<Cache>, listening: Arc<AtomicBool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen_once(&config, &cache, &listening).await {
            Ok(()) => {
                tracing::warn!("the database listener's connection ended; reconnecting");
                backoff = Duration::from_millis(100);
            }
            Err(e) => tracing::warn!(error = %e, "the database listener cannot connect; retrying"),
        }
        listening.store(false, Ordering::Relaxed);
        cache.clear();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

async fn listen_once(
    config: &tokio_postgres::Config,
    cache: &Cache,
    listening: &AtomicBool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the database listener's connection failed");
                    break;
                }
            }
        }
    });
    let subscribed = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
    if let Err(e) = subscribed {
        driver.abort();
        return Err(e);
    }
    // Whatever was written while nobody listened is unknown: start over.
    cache.clear();
    listening.store(true, Ordering::Relaxed);
    tracing::info!("listening for other instances' writes");
    while let Some(slug) = rx.recv().await {
        cache.remove(&slug);
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}
