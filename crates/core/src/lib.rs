//! Pressroom's GUI-free domain. Nothing here knows about Tauri or a terminal: the
//! desktop shell and the `pressroom` CLI are thin fronts over these modules.
//!
//! - `store`: the local workspace in SQLite (the only module that talks to it).
//! - `frontmatter`, `markdown`, `revision`: from a draft's source to publishable
//!   content, its sanitized HTML and its deterministic revision id.
//! - `folder`: import/export of `.md` folders. `samples`: the sandbox's documents.
//! - `workspace`: where the workspace lives on disk.
//! - `wire`: the content API's JSON types, shared by the server and the client;
//!   `client`: the app's and CLI's way to talk to a content API; `publish`: the
//!   publish operation both fronts call.

pub mod client;
pub mod confirm;
pub mod error;
pub mod folder;
pub mod frontmatter;
pub mod markdown;
pub mod outbox;
pub mod pipeline;
pub mod publish;
pub mod revision;
pub mod samples;
pub mod secrets;
pub mod signing;
pub mod sites;
pub mod slug;
pub mod store;
pub mod webhook;
pub mod wire;
pub mod workspace;

pub use error::{Error, Result};
pub use revision::Content;
pub use store::{Document, DocumentSummary, Status, Store};

/// Lowercase hex of `bytes` (revision ids, webhook ids, idempotency keys).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
