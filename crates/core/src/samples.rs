//! Sample documents for the sandbox workspace, so a first start shows real content.

use crate::error::Result;
use crate::store::Store;

/// (slug, source) of each sample, in the order they are created.
pub const SAMPLES: [(&str, &str); 3] = [
    ("welcome", include_str!("../samples/welcome.md")),
    ("markdown-tour", include_str!("../samples/markdown-tour.md")),
    ("release-notes", include_str!("../samples/release-notes.md")),
];

/// Creates the samples in an empty workspace; returns how many were created. The
/// list shows the newest first, so they are created last-to-first: Welcome on top.
pub fn seed_if_empty(store: &mut Store) -> Result<usize> {
    // A workspace whose documents are all in the Trash is not empty: they may come back.
    if !store.list()?.is_empty() || !store.trash()?.is_empty() {
        return Ok(0);
    }
    let mut created = 0;
    for (slug, source) in SAMPLES.into_iter().rev() {
        if !store.exists(slug)? {
            store.create(slug, source)?;
            created += 1;
        }
    }
    Ok(created)
}
