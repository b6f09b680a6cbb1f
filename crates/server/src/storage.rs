//! Where the content API keeps its documents: one SQLite file (core's `PublishedStore`,
//! the embedded default) or a PostgreSQL database shared by several instances
//! (`postgres.rs`). Routes see one `Storage`; each backend keeps its own read cache of
//! documents' serialized JSON and knows when an entry may be served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use pressroom_core::store::{Idempotency, PreparedPut, PublishedStore, StoredAsset};
use pressroom_core::wire::ApiDocument;

use crate::auth::{WriteToken, TOKEN_SETTING};
use crate::error::ApiError;
use crate::postgres::Postgres;

/// A document's JSON as sent, with its revision for ETag checks and the time it was
/// last written (a revision names content, which can come back: with the write time,
/// the pair changes on every write that changes the document).
#[derive(Clone)]
pub(crate) struct Cached {
    pub revision: String,
    pub updated_at: String,
    pub json: Bytes,
}

impl Cached {
    pub fn of(doc: &ApiDocument) -> Cached {
        Cached {
            revision: doc.revision.clone(),
            updated_at: doc.updated_at.clone(),
            json: Bytes::from(serde_json::to_vec(doc).expect("documents serialize")),
        }
    }
}

/// The cache never holds more entries than this; past it, it starts over.
const CACHE_LIMIT: usize = 10_000;

/// Documents' JSON by slug.
#[derive(Default)]
pub(crate) struct Cache(RwLock<HashMap<String, Cached>>);

impl Cache {
    pub fn get(&self, slug: &str) -> Option<Cached> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(slug)
            .cloned()
    }

    pub fn put(&self, slug: &str, entry: Cached) {
        let mut cache = self.0.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(slug.to_owned(), entry);
    }

    pub fn remove(&self, slug: &str) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(slug);
    }

    pub fn clear(&self) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// What a publish answered.
pub(crate) struct Put {
    pub status: u16,
    pub entry: Cached,
    pub replayed: bool,
}

#[derive(Clone)]
pub(crate) enum Storage {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Storage {
    /// The write token: the configured one, else the stored hash, else a new token
    /// (returned once — by the one instance whose hash was stored first).
    pub async fn write_token(
        &self,
        configured: Option<&str>,
    ) -> Result<(WriteToken, Option<String>), crate::ServerError> {
        if let Some(token) = configured {
            return Ok((WriteToken::of(token), None));
        }
        let stored = match self {
            Storage::Sqlite(s) => s.store().setting(TOKEN_SETTING)?,
            Storage::Postgres(p) => p.setting(TOKEN_SETTING).await?,
        };
        if let Some(token) = stored.as_deref().and_then(WriteToken::from_stored) {
            return Ok((token, None));
        }
        let (token, hash) = WriteToken::generate();
        let kept = match self {
            Storage::Sqlite(s) => {
                s.store().set_setting(TOKEN_SETTING, &hash)?;
                true
            }
            Storage::Postgres(p) => p.add_setting(TOKEN_SETTING, &hash).await?,
        };
        if kept {
            return Ok((WriteToken::of(&token), Some(token)));
        }
        // Another instance starting at the same time stored its token first.
        let stored = match self {
            Storage::Sqlite(_) => None,
            Storage::Postgres(p) => p.setting(TOKEN_SETTING).await?,
        };
        let token = stored
            .as_deref()
            .and_then(WriteToken::from_stored)
            .ok_or_else(|| {
                crate::ServerError::Config("the stored write token is unreadable".into())
            })?;
        Ok((token, None))
    }

    /// Whether the database answers: `Err` (503) when it does not.
    pub async fn check(&self) -> Result<(), ApiError> {
        match self {
            Storage::Sqlite(_) => Ok(()),
            Storage::Postgres(p) => p.check().await,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Storage::Sqlite(_) => "sqlite",
            Storage::Postgres(_) => "postgres",
        }
    }

    pub async fn list(&self, tag: Option<String>) -> Result<Vec<ApiDocument>, ApiError> {
        match self {
            Storage::Sqlite(s) => s.run(move |store, _| Ok(store.list(tag.as_deref())?)).await,
            Storage::Postgres(p) => p.list(tag.as_deref()).await,
        }
    }

    /// A document's JSON, never older than the last write any instance committed
    /// before this call.
    pub async fn document(&self, slug: &str) -> Result<Option<Cached>, ApiError> {
        match self {
            Storage::Sqlite(s) => {
                // Filled and changed only under the store's lock, in the same critical
                // section as the database write: never older than the database.
                if let Some(hit) = s.cache.get(slug) {
                    return Ok(Some(hit));
                }
                let slug = slug.to_owned();
                s.run(move |store, cache| {
                    Ok(store.get(&slug)?.map(|doc| {
                        let entry = Cached::of(&doc);
                        cache.put(&slug, entry.clone());
                        entry
                    }))
                })
                .await
            }
            Storage::Postgres(p) => p.document(slug).await,
        }
    }

    pub async fn put(
        &self,
        prepared: PreparedPut,
        create_only: bool,
        idempotency: Option<(String, String)>,
    ) -> Result<Put, ApiError> {
        match self {
            Storage::Sqlite(s) => {
                s.run(move |store, cache| {
                    let slug = prepared.slug().to_owned();
                    let idempotency = idempotency.as_ref().map(|(key, hash)| Idempotency {
                        key,
                        request_hash: hash,
                    });
                    let outcome = store.put(prepared, create_only, idempotency)?;
                    let entry = Cached::of(&outcome.document);
                    // A replay may describe an older revision than the current one:
                    // only a fresh answer is the current state.
                    if !outcome.replayed {
                        cache.put(&slug, entry.clone());
                    }
                    Ok(Put {
                        status: outcome.status,
                        entry,
                        replayed: outcome.replayed,
                    })
                })
                .await
            }
            Storage::Postgres(p) => p.put(prepared, create_only, idempotency).await,
        }
    }

    pub async fn delete(&self, slug: String) -> Result<(), ApiError> {
        match self {
            Storage::Sqlite(s) => {
                s.run(move |store, cache| {
                    store.delete(&slug)?;
                    cache.remove(&slug);
                    Ok(())
                })
                .await
            }
            Storage::Postgres(p) => p.delete(&slug).await,
        }
    }

    pub async fn put_asset(
        &self,
        sha256: String,
        mime: &'static str,
        bytes: Bytes,
    ) -> Result<bool, ApiError> {
        match self {
            Storage::Sqlite(s) => {
                s.run(move |store, _| Ok(store.put_asset(&sha256, mime, &bytes)?))
                    .await
            }
            Storage::Postgres(p) => p.put_asset(&sha256, mime, &bytes).await,
        }
    }

    /// The image, or with `present_only` just whether it is there (`Some(None)`),
    /// its bytes not read.
    pub async fn asset(
        &self,
        sha256: String,
        present_only: bool,
    ) -> Result<Option<Option<StoredAsset>>, ApiError> {
        match self {
            Storage::Sqlite(s) => {
                s.run(move |store, _| {
                    Ok(if present_only {
                        store.has_asset(&sha256)?.then_some(None)
                    } else {
                        store.asset(&sha256)?.map(Some)
                    })
                })
                .await
            }
            Storage::Postgres(p) => p.asset(&sha256, present_only).await,
        }
    }
}

/// The embedded default: one SQLite file behind a mutex (SQLite has one writer).
#[derive(Clone)]
pub(crate) struct Sqlite {
    store: Arc<Mutex<PublishedStore>>,
    cache: Arc<Cache>,
}

impl Sqlite {
    pub fn open(path: &std::path::Path) -> Result<Sqlite, pressroom_core::Error> {
        Ok(Sqlite {
            store: Arc::new(Mutex::new(PublishedStore::open(path)?)),
            cache: Arc::default(),
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, PublishedStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the store on the blocking pool (SQLite calls block).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PublishedStore, &Cache) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(&mut this.store(), &this.cache))
            .await
            .map_err(|_| ApiError::internal())?
    }
}
