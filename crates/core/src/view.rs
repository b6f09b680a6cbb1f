//! The side-by-side view of a publish, built here rather than in a front: the local
//! render of exactly what was published, what each site's page showed when it was
//! confirmed, the text that differs, and where each site stands now.

use serde::Serialize;

use crate::confirm;
use crate::diff::DiffLine;
use crate::error::Result;
use crate::frontmatter;
use crate::markdown;
use crate::stage::Health;
use crate::store::{ConfirmationRecord, PublishRecord, Standing, Store};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PublishedView {
    pub publish: PublishRecord,
    pub local_html: String,
    pub title: String,
    pub confirmations: Vec<Confirmed>,
    /// Lines of text this publish changed since the one before (all of them for a
    /// first publish): highlighted in the local render and on each live page.
    pub changed: Vec<String>,
    /// Where each site of this publish stands now.
    pub sites: Vec<Standing>,
}

/// A site's confirmation, with the local render's text against its page's.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Confirmed {
    #[serde(flatten)]
    pub record: ConfirmationRecord,
    /// The local render's text → the live page's text.
    pub diff: Vec<DiffLine>,
}

/// Where the sites of a document's latest publish stand: what the window asks on
/// opening a document (cheap: no pages, no render).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LatestPublish {
    pub publish_id: i64,
    pub revision: String,
    /// It took the document down.
    pub unpublished: bool,
    pub sites: Vec<Standing>,
}

/// Where a document's sites stand after its latest publish, and the worst of them:
/// what the document list shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DocumentSites {
    pub slug: String,
    pub health: Health,
    pub sites: Vec<Standing>,
}

/// Every document's `DocumentSites` (those published to at least one site).
pub fn documents_sites(store: &Store) -> Result<Vec<DocumentSites>> {
    let mut out: Vec<DocumentSites> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for (slug, standing) in store.latest_standings()? {
        let at = *index.entry(slug.clone()).or_insert_with(|| {
            out.push(DocumentSites {
                slug,
                health: Health::Live,
                sites: Vec::new(),
            });
            out.len() - 1
        });
        let doc = &mut out[at];
        doc.health = doc.health.max(standing.stage.health());
        doc.sites.push(standing);
    }
    Ok(out)
}

pub fn latest_publish(store: &Store, slug: &str) -> Result<Option<LatestPublish>> {
    let Some((publish_id, revision)) = store.latest_publish_of(slug)? else {
        return Ok(None);
    };
    Ok(Some(LatestPublish {
        unpublished: store.publish_record(publish_id)?.unpublished,
        publish_id,
        revision,
        sites: store.standings(publish_id)?,
    }))
}

pub fn published_view(store: &Store, publish_id: i64) -> Result<PublishedView> {
    let publish = store.publish_record(publish_id)?;
    let confirmations = store.confirmations_of(publish_id)?;
    let sites = store.standings(publish_id)?;
    let parsed = frontmatter::parse(&publish.source)?;
    let local_html = markdown::render(&parsed.body);
    // A previous text that no longer parses counts as none: everything is new.
    let before = store
        .previous_published_source(&publish.slug, publish_id)?
        .and_then(|source| frontmatter::parse(&source).ok());
    let changed = match before {
        Some(before) => confirm::changed_text(
            (&before.title, &markdown::render(&before.body)),
            (&parsed.title, &local_html),
        ),
        None => confirm::changed_text(("", ""), (&parsed.title, &local_html)),
    };
    let confirmations = confirmations
        .into_iter()
        .map(|record| Confirmed {
            diff: record
                .page_text
                .as_deref()
                .map(|page| confirm::compare_with_page(&parsed.title, &local_html, page))
                .unwrap_or_default(),
            record,
        })
        .collect();
    Ok(PublishedView {
        local_html,
        title: parsed.title,
        publish,
        confirmations,
        changed,
        sites,
    })
}
