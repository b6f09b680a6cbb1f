//! Pressroom's GUI-free domain. Nothing here knows about Tauri or a terminal: the
//! desktop shell and the `pressroom` CLI are thin fronts over these modules.
//!
//! - `store`: the local workspace in SQLite (the only module that talks to it).
//! - `frontmatter`, `markdown`, `revision`: from a draft's source to publishable
//!   content, its sanitized HTML and its deterministic revision id; `preview`: the
//!   editor's live preview, answered as the blocks an edit changed.
//! - `folder`: import/export of `.md` folders. `samples`: the sandbox's documents.
//! - `workspace`: where the workspace lives on disk.
//! - `wire`: the content API's JSON types, shared by the server and the client;
//!   `client`: the app's and CLI's way to talk to a content API; `publish`: the
//!   publish operation both fronts call.

pub mod assets;
pub mod client;
pub mod cms;
pub mod confirm;
pub mod destinations;
pub mod diff;
pub mod directus;
pub mod error;
pub mod events;
pub mod folder;
pub mod frontmatter;
pub mod markdown;
pub mod notices;
pub mod outbox;
pub mod preview;
pub mod publish;
pub mod publisher;
pub mod pull;
pub mod revision;
pub mod samples;
pub mod schedule;
pub mod secrets;
pub mod service;
pub mod signing;
pub mod sites;
pub mod slug;
pub mod stage;
pub mod store;
pub mod view;
pub mod wall_timer;
pub mod watch;
pub mod webhook;
pub mod wire;
pub mod wordpress;
pub mod workspace;

pub use error::{Error, Result};
pub use revision::Content;
pub use store::{Document, DocumentSummary, Status, Store};

/// At most `limit` bytes of a response's body (lossy UTF-8), without downloading the
/// rest: webhook answers are kept to 2 KB, confirmed pages to a few MB.
pub(crate) async fn read_prefix(mut response: reqwest::Response, limit: usize) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    buf.truncate(limit);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `text` cut to at most `limit` bytes, at a character boundary.
pub(crate) fn cap(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// `bytes` random bytes from the OS, as lowercase hex (ids, names of temporary files).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the OS random source is available");
    hex(&b)
}

/// Replaces the file at `path` with `bytes`, never half-written and never through a
/// link: a new file with a random name beside it (created only if nothing is there,
/// with `mode` from the start), synced, renamed over `path` (a rename replaces a link
/// itself), and the folder synced so the rename survives a crash.
pub(crate) fn replace_file(path: &std::path::Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", random_hex(8)));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

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
