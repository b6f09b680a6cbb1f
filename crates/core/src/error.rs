//! The one error type of the core crate.
//!
//! Each variant names something the user (or the UI) can act on; `kind()` gives the
//! stable snake_case tag used across IPC and in `--json` output.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid slug {slug:?}: use 1–128 lowercase letters, digits and dashes, starting with a letter or digit")]
    InvalidSlug { slug: String },

    #[error("a document with the slug {slug:?} already exists; choose another slug")]
    DuplicateSlug { slug: String },

    #[error("a document with the slug {slug:?} is in the Trash; restore it, or delete it for good from the Trash, to use the slug again")]
    SlugInTrash { slug: String },

    #[error("no document with the slug {slug:?}")]
    DocumentNotFound { slug: String },

    #[error("document {slug:?} has no revision {revision}; see its history for the valid ones")]
    RevisionNotFound { slug: String, revision: i64 },

    #[error("front matter, line {line}: {message}")]
    FrontMatter { line: usize, message: String },

    #[error("document is {size} bytes, over the limit of {limit} bytes; split it into smaller documents")]
    TooLarge { size: usize, limit: usize },

    #[error("{path}: not valid UTF-8 text (save it as UTF-8 and import again)")]
    NotUtf8 { path: PathBuf },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{slug:?} was published by someone else meanwhile (now {}); reload it, merge your changes and publish again", current_revision.as_deref().unwrap_or("unpublished"))]
    Conflict {
        slug: String,
        current_revision: Option<String>,
    },

    #[error("{slug:?} was changed where Pressroom publishes it ({what}); publish with --overwrite (in the app: Publish over their edit) to replace that, or pull first to keep it — nothing was written")]
    EditedElsewhere { slug: String, what: String },

    #[error("the Idempotency-Key {key:?} was already used for a different request; use a new key")]
    IdempotencyKeyReused { key: String },

    #[error("the content API at {url} refused the token; set the right one with `pressroom api set` or in Settings")]
    Unauthorized { url: String },

    #[error("the content API at {url} cannot be reached ({reason}); check the URL and that it is running — nothing was lost")]
    Unreachable { url: String, reason: String },

    #[error("the content API rejected the request as too large: {message}")]
    PayloadTooLarge { message: String },

    #[error("the content API answered {status} ({code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },

    #[error("{name}: {reason}; nothing was added")]
    InvalidImage { name: String, reason: String },

    #[error("{name} is {size} bytes, over the limit of {limit} bytes for an image; make it smaller and try again")]
    ImageTooLarge {
        name: String,
        size: usize,
        limit: usize,
    },

    #[error("{reason}")]
    InvalidImageSettings { reason: String },

    #[error("{} was written by a newer Pressroom (workspace schema {found}; this one knows up to {known}): update Pressroom to open it — nothing was changed", path.display())]
    WorkspaceTooNew {
        path: std::path::PathBuf,
        found: usize,
        known: usize,
    },

    #[error("cannot schedule: {reason}")]
    InvalidSchedule { reason: String },

    #[error("{slug:?} is not scheduled")]
    ScheduleNotFound { slug: String },

    #[error("{slug:?} is being published by its schedule right now; it cannot be cancelled")]
    ScheduleRunning { slug: String },

    #[error("the background service cannot be turned on: {message}")]
    ServiceUnavailable { message: String },

    #[error("the image asset:{sha256} is not in this workspace (its assets folder): insert the image again, or take it out of the document; nothing was published")]
    AssetNotFound { sha256: String },

    #[error("{url} refused: {reason}")]
    DestinationRefused { url: String, reason: String },

    #[error("{url} cannot be reached ({reason}); check the destination's address and that it is running — nothing was lost")]
    DestinationUnreachable { url: String, reason: String },

    #[error("{url} answered {status} ({code}): {message}")]
    DestinationRejected {
        url: String,
        status: u16,
        code: String,
        message: String,
    },

    #[error("{url} failed with {status}: {message}; try again later — nothing was lost")]
    DestinationFailed {
        url: String,
        status: u16,
        message: String,
    },

    #[error("no destination named {name:?}; `pressroom destination list` shows them")]
    DestinationNotFound { name: String },

    #[error("invalid destination: {reason}")]
    InvalidDestination { reason: String },

    #[error("the content API failed with {status}: {message}; try again later")]
    ServerError { status: u16, message: String },

    #[error("invalid content API URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("no content API is configured; run `pressroom api set --url URL --token-env VAR` or open Settings")]
    NotConfigured,

    #[error(
        "the environment variable {variable} that should hold the content API token is not set"
    )]
    TokenMissing { variable: String },

    #[error("{slug:?} is not published from this workspace: there is nothing to take down")]
    NotPublished { slug: String },

    #[error("{slug:?} has no title; add `title:` to its front matter before publishing")]
    MissingTitle { slug: String },

    #[error("invalid webhook secret: {reason}; generate one, or paste the `whsec_…` value your site uses")]
    InvalidSecret { reason: String },

    #[error("the OS keyring is not available ({message}); on a machine without one, set PRESSROOM_SECRETS_FILE to a file path to keep secrets in a 0600 file instead")]
    Keyring { message: String },

    #[error("invalid site: {reason}")]
    InvalidSite { reason: String },

    #[error("no site named {name:?}; `pressroom site list` shows them")]
    SiteNotFound { name: String },

    #[error("site {site:?} has no secret in the secret store; set one with `pressroom site rotate-secret {site}`")]
    SecretMissing { site: String },

    #[error("no delivery {id}; `pressroom deliveries` lists them")]
    DeliveryNotFound { id: i64 },

    #[error("no publish {id}")]
    PublishNotFound { id: i64 },

    #[error("the preview is out of step with the editor ({reason}); the whole text is sent again")]
    PreviewOutOfStep { reason: String },

    #[error("stored data could not be read back: {0}")]
    Corrupt(String),

    #[error("the local database could not be migrated: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error("local database error: {0}")]
    Database(#[from] rusqlite::Error),
}

impl Error {
    /// Stable, machine-readable tag for this error (IPC `kind`, CLI `--json`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidSlug { .. } => "invalid_slug",
            Error::DuplicateSlug { .. } => "duplicate_slug",
            Error::SlugInTrash { .. } => "duplicate_slug",
            Error::DocumentNotFound { .. } => "not_found",
            Error::RevisionNotFound { .. } => "not_found",
            Error::FrontMatter { .. } => "front_matter",
            Error::TooLarge { .. } => "too_large",
            Error::NotUtf8 { .. } => "not_utf8",
            Error::Io { .. } => "io",
            Error::Conflict { .. } => "conflict",
            Error::EditedElsewhere { .. } => "edited_elsewhere",
            Error::InvalidImage { .. } => "invalid_image",
            Error::ImageTooLarge { .. } => "image_too_large",
            Error::AssetNotFound { .. } => "asset_missing",
            Error::InvalidImageSettings { .. } => "invalid_settings",
            Error::InvalidSchedule { .. } => "invalid_schedule",
            Error::WorkspaceTooNew { .. } => "workspace_too_new",
            Error::ScheduleNotFound { .. } => "not_scheduled",
            Error::ScheduleRunning { .. } => "schedule_running",
            Error::ServiceUnavailable { .. } => "service_unavailable",
            Error::IdempotencyKeyReused { .. } => "idempotency_key_reused",
            Error::PreviewOutOfStep { .. } => "preview_out_of_step",
            Error::Corrupt(_) => "database",
            Error::InvalidSecret { .. } => "invalid_secret",
            Error::Keyring { .. } => "keyring",
            Error::InvalidSite { .. } => "invalid_site",
            Error::SecretMissing { .. } => "secret_missing",
            Error::DeliveryNotFound { .. } => "not_found",
            Error::PublishNotFound { .. } => "not_found",
            Error::SiteNotFound { .. } => "not_found",
            Error::NotConfigured => "not_configured",
            Error::TokenMissing { .. } => "token_missing",
            Error::MissingTitle { .. } => "missing_title",
            Error::NotPublished { .. } => "not_published",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Unreachable { .. } => "unreachable",
            Error::PayloadTooLarge { .. } => "too_large",
            Error::Rejected { .. } => "rejected",
            Error::DestinationRefused { .. } => "destination_refused",
            Error::DestinationUnreachable { .. } => "destination_unreachable",
            Error::DestinationFailed { .. } => "destination_failed",
            Error::DestinationRejected { .. } => "destination_rejected",
            Error::DestinationNotFound { .. } => "not_found",
            Error::InvalidDestination { .. } => "invalid_destination",
            Error::ServerError { .. } => "server_error",
            Error::InvalidUrl { .. } => "invalid_url",
            Error::Migration(_) => "database",
            Error::Database(_) => "database",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
