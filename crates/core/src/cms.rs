//! The one trait every kind of destination implements (issue #13): WordPress
//! (`wordpress.rs`) and Directus (`directus.rs`). The publish pipeline, the outbox and
//! confirmation see only this trait: a document goes out as an `Outgoing`, comes back
//! as the `RemotePost` it became, and is pulled in as a `Pulled`.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Where a published post is, and when the CMS last changed it (WordPress's
/// `modified_gmt`, Directus's `date_updated`): what the next publish updates, and what
/// tells it whether someone edited the post there meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RemotePost {
    /// The post's id there (a number or a UUID, as text).
    pub id: String,
    pub modified: String,
    /// The post's public address, when the CMS knows it.
    pub link: String,
}

/// What Pressroom sends: the core renderer's HTML (with the revision marker) and the
/// markdown it came from, for a CMS that stores markdown.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    /// The renderer's HTML followed by `revision_marker`.
    pub html: &'a str,
    pub markdown: &'a str,
    pub excerpt: &'a str,
    pub tags: &'a [String],
    /// From the front matter's `categories` (WordPress).
    pub categories: &'a [String],
    /// The revision id the content carries.
    pub revision: &'a str,
    /// Kept as a draft there rather than published.
    pub draft: bool,
}

/// A draft made ready for any destination: rendered once, lent to each as `Outgoing`.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub content: crate::revision::Content,
    pub revision: String,
    pub html: String,
    pub excerpt: String,
    pub categories: Vec<String>,
}

impl Prepared {
    /// Renders `content` (the revision marker after the body) and reads its
    /// `summary` (or the first paragraph) and `categories` (a list or one name).
    pub fn new(content: crate::revision::Content) -> Prepared {
        let revision = content.revision();
        let html = format!(
            "{}{}",
            crate::markdown::render(&content.markdown),
            revision_marker(&revision)
        );
        let excerpt = match content.front_matter.get("summary") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => crate::markdown::summary(&content.markdown),
        };
        let categories = match content.front_matter.get("categories") {
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::to_owned)
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Prepared {
            content,
            revision,
            html,
            excerpt,
            categories,
        }
    }

    pub fn outgoing(&self) -> Outgoing<'_> {
        Outgoing {
            title: &self.content.title,
            slug: &self.content.slug,
            html: &self.html,
            markdown: &self.content.markdown,
            excerpt: &self.excerpt,
            tags: &self.content.tags,
            categories: &self.categories,
            revision: &self.revision,
            draft: self.content.front_matter.get("draft") == Some(&serde_json::Value::Bool(true)),
        }
    }
}

/// Who the secret logs in as, and whether they may publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Account {
    pub name: String,
    pub can_publish: bool,
}

/// A post as a CMS holds it, for a local draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    pub remote: RemotePost,
    pub title: String,
    pub slug: String,
    /// The body: HTML (converted to markdown on the way in) or markdown already.
    pub body: Body,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    /// Published there (not a draft, scheduled or private post).
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Html(String),
    Markdown(String),
}

/// A kind of destination. Each call is one logical operation against the CMS; what
/// it answers is all the pipeline records.
pub trait Cms: Send + Sync {
    /// Logs in: who, and whether they may publish.
    fn account(&self) -> BoxFuture<'_, Result<Account>>;

    /// Creates the post, or updates the one at `remote` in place. A post changed there
    /// since `remote` was recorded is `Error::EditedElsewhere`, unless `overwrite`; one deleted
    /// there is created again.
    fn publish<'a>(
        &'a self,
        post: &'a Outgoing<'a>,
        remote: Option<&'a RemotePost>,
        overwrite: bool,
    ) -> BoxFuture<'a, Result<RemotePost>>;

    /// Deletes the post (its page must be gone); already gone counts as done.
    fn unpublish<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<()>>;

    /// Every post there, each once (paged in a total order), `page_size` per request.
    fn pull(&self, page_size: u32) -> BoxFuture<'_, Result<Vec<Pulled>>>;
}

/// The attribute of the element a published body ends with: the revision the content
/// is, read by confirmation on the live page when the page has no
/// `<meta name="content-revision">` of its own (`docs/destinations.md`).
pub const MARKER_ATTRIBUTE: &str = "data-pressroom-revision";

/// The hidden element that carries `revision` inside the content.
pub fn revision_marker(revision: &str) -> String {
    format!("<div hidden {MARKER_ATTRIBUTE}=\"{revision}\"></div>")
}
