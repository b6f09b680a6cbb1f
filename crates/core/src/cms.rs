//! The one trait every kind of destination implements (issue #13): WordPress
//! (`wordpress.rs`) and Directus (`directus.rs`). The publish pipeline, the outbox and
//! confirmation see only this trait: a document goes out as an `Outgoing`, comes back
//! as the `RemotePost` it became, and is pulled in as a `Pulled`.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
    /// The post's status there as the front matter's `status:` names it (a pulled
    /// WordPress post that is scheduled, private or pending keeps it); else `draft`.
    pub status: Option<&'a str>,
    /// The cover image (the front matter's `cover:`, an image of the workspace) as
    /// uploaded there: WordPress's featured image, Directus's mapped file field.
    pub cover: Option<&'a crate::assets::Upload>,
    /// Handed over as the CMS's own scheduled post, to go out at this time (UTC,
    /// `2026-12-24T07:00:00`), where the CMS has such a thing (WordPress's `future`).
    pub publish_at: Option<&'a str>,
    /// The post's date there (UTC, as `publish_at`), when it is to be set: a post still
    /// held as scheduled goes out dated when it does (WordPress would otherwise keep
    /// it scheduled for the date it was held for).
    pub date: Option<&'a str>,
}

/// A draft made ready for any destination: rendered once, lent to each as `Outgoing`.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub content: crate::revision::Content,
    pub revision: String,
    pub html: String,
    pub excerpt: String,
    pub categories: Vec<String>,
    /// Written as a scheduled post there, to go out at this time (`Outgoing`).
    pub publish_at: Option<String>,
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
            publish_at: None,
        }
    }

    /// The body for a destination its images were uploaded to (`uploads`: SHA-256 →
    /// where it is there): the HTML rendered with those addresses (and the marker),
    /// and the markdown with each `asset:<sha256>` replaced by its address.
    pub fn with_images(&self, uploads: &Uploads) -> (String, String) {
        if uploads.is_empty() {
            return (self.html.clone(), self.content.markdown.clone());
        }
        let html = format!(
            "{}{}",
            crate::markdown::render_with_assets(&self.content.markdown, &|sha| uploads
                .get(sha)
                .map(|u| u.url.clone())),
            revision_marker(&self.revision)
        );
        let mut markdown = self.content.markdown.clone();
        for (sha, upload) in uploads {
            markdown = markdown.replace(&format!("{}{sha}", crate::assets::SCHEME), &upload.url);
        }
        (html, markdown)
    }

    /// The image of the workspace the front matter's `cover:` names
    /// (`asset:<sha256>`), if it names one.
    pub fn cover(&self) -> Option<&str> {
        cover_of(&self.content.front_matter)
    }

    pub fn outgoing(&self) -> Outgoing<'_> {
        self.outgoing_with(&self.html, &self.content.markdown, None)
    }

    /// `outgoing` with the body `with_images` made for a destination, and its cover
    /// image there.
    pub fn outgoing_with<'a>(
        &'a self,
        html: &'a str,
        markdown: &'a str,
        cover: Option<&'a crate::assets::Upload>,
    ) -> Outgoing<'a> {
        Outgoing {
            cover,
            title: &self.content.title,
            slug: &self.content.slug,
            html,
            markdown,
            excerpt: &self.excerpt,
            tags: &self.content.tags,
            categories: &self.categories,
            revision: &self.revision,
            draft: self.content.front_matter.get("draft") == Some(&serde_json::Value::Bool(true))
                || self.status().is_some_and(|s| s != "publish"),
            status: self.status(),
            publish_at: self.publish_at.as_deref(),
            date: None,
        }
    }

    /// The front matter's `status:` when it is one of WordPress's.
    fn status(&self) -> Option<&str> {
        self.content
            .front_matter
            .get("status")
            .and_then(|v| v.as_str())
            .filter(|s| ["publish", "future", "draft", "pending", "private"].contains(s))
    }
}

/// Where each image of a document is in one destination: SHA-256 → its upload.
pub type Uploads = std::collections::HashMap<String, crate::assets::Upload>;

/// The image of the workspace a front matter's `cover:` names (`asset:<sha256>`).
pub fn cover_of(front_matter: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    front_matter
        .get("cover")
        .and_then(|v| v.as_str())
        .and_then(|v| v.trim().strip_prefix(crate::assets::SCHEME))
        .filter(|sha| crate::assets::is_sha256(sha))
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
    /// WordPress's status when it is not `publish` (`future`, `private`, …): kept in
    /// the front matter, so publishing the draft back keeps it.
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Html(String),
    Markdown(String),
}

/// Where a document's post stands in a CMS before a write (`Cms::existing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// No post: a write creates one.
    None,
    /// Post `id`, as Pressroom last left it.
    Unchanged(String),
    /// Post `id`, changed there since Pressroom last wrote or pulled it, or a post with
    /// the document's slug that Pressroom never wrote; `what` says which, for people.
    Changed { id: String, what: String },
}

impl Existing {
    /// The post a write goes over (`None`: a new one), or `Error::EditedElsewhere`
    /// for a changed post unless `overwrite`.
    pub fn target(self, slug: &str, overwrite: bool) -> Result<Option<String>> {
        match self {
            Existing::None => Ok(None),
            Existing::Unchanged(id) => Ok(Some(id)),
            Existing::Changed { id, .. } if overwrite => Ok(Some(id)),
            Existing::Changed { what, .. } => Err(Error::EditedElsewhere {
                slug: slug.to_owned(),
                what,
            }),
        }
    }
}

/// A kind of destination. Each call is one logical operation against the CMS; what
/// it answers is all the pipeline records. Deciding what a change there means (a
/// conflict, unless overwriting) is not the kind's business: `Existing::target`.
pub trait Cms: Send + Sync {
    /// Logs in: who, and whether they may publish.
    fn account(&self) -> BoxFuture<'_, Result<Account>>;

    /// Where `slug`'s post stands there: the one at `remote` (as recorded at the last
    /// publish or pull), or for a document without one, a post with its slug.
    fn existing<'a>(
        &'a self,
        slug: &'a str,
        remote: Option<&'a RemotePost>,
    ) -> BoxFuture<'a, Result<Existing>>;

    /// Writes the post over post `id`, or as a new one.
    fn write<'a>(
        &'a self,
        post: &'a Outgoing<'a>,
        id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<RemotePost>>;

    /// Deletes post `id` (its page must be gone); already gone counts as done.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Uploads an image to the media library; answers its public address, which
    /// names the first 16 hex digits of its SHA-256 (`upload_name`): how confirmation
    /// finds it on a page.
    fn upload<'a>(
        &'a self,
        asset: &'a crate::assets::Asset,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<crate::assets::Upload>>;

    /// Whether an image uploaded before is still in the media library (someone may
    /// have deleted it there).
    fn has_upload<'a>(&'a self, upload: &'a crate::assets::Upload) -> BoxFuture<'a, Result<bool>>;

    /// Every post there, each once (paged in a total order), `page_size` per request.
    fn pull(&self, page_size: u32) -> BoxFuture<'_, Result<Vec<Pulled>>>;

    /// It keeps a post to go out at a time by itself (`Outgoing::publish_at`).
    fn schedules_natively(&self) -> bool {
        false
    }

    /// Post `id` is held there as scheduled, not yet out (WordPress's `future`).
    fn is_scheduled<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async { Ok(false) })
    }
}

/// The file name an image is uploaded under: its own name's stem, then the first 16
/// hex digits of its SHA-256 (confirmation finds it on a page by those), then its
/// type's extension.
pub fn upload_name(asset: &crate::assets::Asset) -> String {
    let stem: String = asset
        .name
        .rsplit_once('.')
        .map_or(asset.name.as_str(), |(stem, _)| stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let stem = stem.trim_matches('-');
    let stem = if stem.is_empty() { "image" } else { stem };
    format!("{stem}-{}.{}", &asset.sha256[..16], asset.extension())
}

/// Uploads every image `prepared` shows, and its cover, to `cms` (destination
/// `target`, taking images at most `max_width` wide: `assets::scaled`), each once
/// (what was uploaded there before, and is still there, is skipped: `asset_uploads`).
/// Answers SHA-256 →
/// where it is there, for `Prepared::with_images` and the cover.
pub async fn upload_images(
    store: &std::sync::Mutex<crate::Store>,
    cms: &(impl Cms + ?Sized),
    target: &str,
    prepared: &Prepared,
    max_width: u32,
) -> Result<Uploads> {
    let mut uploads = Uploads::new();
    let wanted = crate::assets::published(&prepared.content);
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let mut known = Vec::with_capacity(wanted.len());
    for sha256 in wanted {
        let copy = crate::assets::scaled(store, &sha256, max_width).await?;
        let upload = crate::store::lock(store).uploaded(target, &copy.sha256)?;
        known.push((sha256, copy.sha256, upload));
    }
    // Uploaded before: asked whether it is still there, a few at a time.
    let checked: Vec<_> = stream::iter(known)
        .map(|(sha256, copy, upload)| async move {
            let upload = match upload {
                // Recorded without its id (before ids were kept): sent again.
                Some(u) if !u.id.is_empty() && cms.has_upload(&u).await? => Some(u),
                _ => None,
            };
            Ok::<_, Error>((sha256, copy, upload))
        })
        .buffered(8)
        .try_collect()
        .await?;
    for (sha256, copy, upload) in checked {
        let upload = match upload {
            Some(upload) => upload,
            None => {
                let (asset, bytes) = crate::assets::open(&crate::store::lock(store), &copy)?;
                let upload = cms.upload(&asset, &bytes).await?;
                crate::store::lock(store).set_uploaded(target, &copy, &upload)?;
                upload
            }
        };
        uploads.insert(sha256, upload);
    }
    Ok(uploads)
}

/// Sends `prepared` to `destination` (`cms`): its images first, into its media
/// library, each once; then the post, over post `id` or as a new one, dated `date`
/// when given (`Outgoing::date`).
pub async fn write_with_images(
    store: &std::sync::Mutex<crate::Store>,
    cms: &(impl Cms + ?Sized),
    destination: &crate::store::Destination,
    prepared: &Prepared,
    id: Option<&str>,
    date: Option<&str>,
) -> Result<RemotePost> {
    let target = format!("destination {}", destination.id);
    let uploads = upload_images(store, cms, &target, prepared, destination.image_max_width).await?;
    let (html, markdown) = prepared.with_images(&uploads);
    let cover = prepared.cover().and_then(|sha| uploads.get(sha));
    let post = Outgoing {
        date,
        ..prepared.outgoing_with(&html, &markdown, cover)
    };
    cms.write(&post, id).await
}

/// Writes `post` in place of the one at `remote` (or creates it), refusing a post
/// changed there since unless `overwrite`.
pub async fn write_checked(
    cms: &(impl Cms + ?Sized),
    post: &Outgoing<'_>,
    remote: Option<&RemotePost>,
    overwrite: bool,
) -> Result<RemotePost> {
    let id = cms
        .existing(post.slug, remote)
        .await?
        .target(post.slug, overwrite)?;
    cms.write(post, id.as_deref()).await
}

/// Deletes the post at `remote`, refusing one changed there since unless
/// `overwrite`; one already gone counts as done.
pub async fn delete_checked(
    cms: &(impl Cms + ?Sized),
    slug: &str,
    remote: &RemotePost,
    overwrite: bool,
) -> Result<()> {
    match cms
        .existing(slug, Some(remote))
        .await?
        .target(slug, overwrite)?
    {
        Some(id) => cms.delete(&id).await,
        None => Ok(()),
    }
}

/// The attribute of the element a published body ends with: the revision the content
/// is, read by confirmation on the live page when the page has no
/// `<meta name="content-revision">` of its own (`docs/destinations.md`).
pub const MARKER_ATTRIBUTE: &str = "data-pressroom-revision";

/// The hidden element that carries `revision` inside the content.
pub fn revision_marker(revision: &str) -> String {
    format!("<div hidden {MARKER_ATTRIBUTE}=\"{revision}\"></div>")
}

/// The text of an HTML fragment (a WordPress title or excerpt as stored): entities
/// decoded, tags dropped, whitespace kept as it was.
pub fn html_text(html: &str) -> String {
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_decodes_what_publishing_escaped() {
        assert_eq!(html_text("Tom &amp; Jerry &lt;3"), "Tom & Jerry <3");
        assert_eq!(
            html_text("<em>Big</em> news &#8217;26"),
            "Big news \u{2019}26"
        );
        assert_eq!(html_text(""), "");
    }

    #[test]
    fn a_changed_post_is_written_over_only_when_asked() {
        let changed = || Existing::Changed {
            id: "7".into(),
            what: "edited there".into(),
        };
        assert!(matches!(
            changed().target("s", false),
            Err(Error::EditedElsewhere { .. })
        ));
        assert_eq!(changed().target("s", true).unwrap().as_deref(), Some("7"));
        assert_eq!(Existing::None.target("s", false).unwrap(), None);
        assert_eq!(
            Existing::Unchanged("3".into())
                .target("s", false)
                .unwrap()
                .as_deref(),
            Some("3")
        );
    }
}
