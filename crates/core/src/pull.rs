//! Pull (issue #13): a destination's posts become local drafts linked to them, so an
//! editor can open a post that exists on the site, change it and publish it back in
//! place. HTML is converted to markdown (htmd); title, tags, categories, the summary
//! and a draft's status go to the front matter.
//!
//! Pulling again is idempotent: a post unchanged there since the last publish or pull
//! is left alone. A post changed there replaces its draft only when the draft has no
//! changes of its own since (its revision is the one the post last agreed with);
//! otherwise the draft is kept and reported, unless the editor asks to replace it (the
//! draft's history keeps the text it had).

use std::sync::Mutex;

use serde::Serialize;

use crate::cms::{Body, Pulled, MARKER_ATTRIBUTE};
use crate::error::Result;
use crate::frontmatter::{compose, Field};
use crate::secrets::SecretStore;
use crate::store::{lock, Destination, Store};

/// Posts asked for per request.
const PAGE_SIZE: u32 = 100;

/// What a pull did, post by post.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct PullReport {
    pub destination: String,
    /// New drafts (slugs).
    pub created: Vec<String>,
    /// Drafts replaced by the post's newer text.
    pub updated: Vec<String>,
    /// Posts unchanged since the last publish or pull.
    pub unchanged: usize,
    /// Posts not taken in, each with why.
    pub kept: Vec<Kept>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Kept {
    pub slug: String,
    pub why: Why,
    /// `why` in a sentence, with what to do.
    pub reason: String,
}

/// Why a post was not taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Its draft changed here and the post there since they last agreed: replaced
    /// only when asked (`replace_changed`).
    ChangedOnBothSides,
    /// A local document not linked to it has its slug.
    SlugTaken,
    /// Its draft is in the Trash.
    InTrash,
    /// It could not be saved (too large, …).
    Failed,
}

/// Pulls every post of destination `name` (see the module). `replace_changed`: a post
/// changed there replaces its draft even when the draft changed here too.
pub async fn pull(
    store: &Mutex<Store>,
    secrets: &SecretStore,
    name: &str,
    replace_changed: bool,
) -> Result<PullReport> {
    let (destination, cms) = crate::destinations::client(&lock(store), secrets, name)?;
    let posts = cms.pull(PAGE_SIZE).await?;
    let mut report = PullReport {
        destination: destination.name.clone(),
        ..PullReport::default()
    };
    for post in posts {
        // One post that cannot be taken in (too large, its draft in the Trash) is
        // reported and the others still come.
        if let Err(e) = take_in(
            &mut lock(store),
            &destination,
            &post,
            replace_changed,
            &mut report,
        ) {
            report.kept.push(Kept {
                slug: slug_of(&post),
                why: Why::Failed,
                reason: e.to_string(),
            });
        }
    }
    Ok(report)
}

/// Takes one post in (see the module), recording what happened in `report`.
fn take_in(
    store: &mut Store,
    destination: &Destination,
    post: &Pulled,
    replace_changed: bool,
    report: &mut PullReport,
) -> Result<()> {
    let source = source_of(post);
    let Some(link) = store.remote_link(destination.id, &post.remote.id)? else {
        let slug = slug_of(post);
        if store.exists(&slug)? {
            report.kept.push(Kept {
                why: Why::SlugTaken,
                reason: format!(
                    "a document {slug:?} exists here and is not that post ({} {}): rename one \
                     of them and pull again",
                    destination.kind, post.remote.id
                ),
                slug,
            });
            return Ok(());
        }
        let doc = store.create(&slug, &source)?;
        let synced = doc.revision.unwrap_or_default();
        store.set_remote_post(&slug, destination.id, Some((&post.remote, &synced)))?;
        report.created.push(slug);
        return Ok(());
    };
    if link.modified == post.remote.modified {
        report.unchanged += 1;
        return Ok(());
    }
    let Ok(doc) = store.get(&link.slug) else {
        report.kept.push(Kept {
            why: Why::InTrash,
            reason: format!(
                "its draft is in the Trash: restore it to take in what changed in {}",
                destination.name
            ),
            slug: link.slug,
        });
        return Ok(());
    };
    let changed_here = link.synced_revision.is_none() || doc.revision != link.synced_revision;
    if changed_here && !replace_changed {
        report.kept.push(Kept {
            why: Why::ChangedOnBothSides,
            reason: format!(
                "changed here and in {} since they last agreed: publish it to keep your text, \
                 or pull with the choice to replace it (its history keeps yours)",
                destination.name
            ),
            slug: link.slug,
        });
        return Ok(());
    }
    if doc.source != source {
        store.save(&link.slug, &source)?;
    }
    let synced = store.get(&link.slug)?.revision.unwrap_or_default();
    store.set_remote_post(&link.slug, destination.id, Some((&post.remote, &synced)))?;
    report.updated.push(link.slug);
    Ok(())
}

/// The local slug of a post: its own when usable, else made from its title, else from
/// its id.
fn slug_of(post: &Pulled) -> String {
    if crate::slug::is_valid(&post.slug) {
        return post.slug.clone();
    }
    let from_title = crate::slug::slugify(&post.title);
    if crate::slug::is_valid(&from_title) {
        from_title
    } else {
        format!("post-{}", crate::slug::slugify(&post.remote.id))
    }
}

/// The draft's source: front matter, then the body as markdown (without the revision
/// marker Pressroom put there).
fn source_of(post: &Pulled) -> String {
    let body = match &post.body {
        Body::Html(html) => to_markdown(&without_marker(html)),
        Body::Markdown(markdown) => without_marker(markdown).trim().to_owned(),
    };
    let mut fields = vec![
        ("title", Field::Text(&post.title)),
        ("tags", Field::List(&post.tags)),
        ("categories", Field::List(&post.categories)),
        ("summary", Field::Text(&post.excerpt)),
    ];
    match &post.status {
        // WordPress's own (scheduled, private, pending, draft): kept as it is.
        Some(status) => fields.push(("status", Field::Text(status))),
        None if !post.published => fields.push(("draft", Field::Flag(true))),
        None => {}
    }
    compose(&fields, &body)
}

/// HTML as markdown; what has no markdown form (an embed's `<iframe>`, a `<figure>`)
/// stays HTML, which the renderer keeps, sanitized.
pub fn to_markdown(html: &str) -> String {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec!["script", "style", "noscript", "template"])
        .options(htmd::options::Options {
            translation_mode: htmd::options::TranslationMode::Faithful,
            ..Default::default()
        })
        .build();
    converter
        .convert(html)
        .unwrap_or_else(|_| html.to_owned())
        .trim()
        .to_owned()
}

/// `text` without the revision marker elements (`cms::revision_marker`), also when a
/// CMS's HTML filter changed the tag (WordPress drops `hidden` for users without
/// unfiltered HTML): every `<div …data-pressroom-revision="…"…></div>`.
fn without_marker(text: &str) -> String {
    let attribute = format!("{MARKER_ATTRIBUTE}=\"");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&attribute) {
        // The tag the attribute is in: from its `<div` to its element's `</div>`.
        let opening = rest[..at]
            .rfind('<')
            .filter(|&lt| rest[lt..].starts_with("<div") && !rest[lt..at].contains('>'));
        // Only an empty element: its tag closes, and `</div>` follows at once.
        let closing = rest[at..]
            .find('>')
            .map(|gt| at + gt + 1)
            .filter(|&after| rest[after..].starts_with("</div>"))
            .map(|after| after + "</div>".len());
        match (opening, closing) {
            (Some(lt), Some(end)) => {
                out.push_str(&rest[..lt]);
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&rest[..at + attribute.len()]);
                rest = &rest[at + attribute.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cms::{revision_marker, RemotePost};

    fn post(body: Body, published: bool) -> Pulled {
        Pulled {
            remote: RemotePost {
                id: "7".into(),
                modified: "2026-12-01T10:00:00".into(),
                link: String::new(),
            },
            title: "Spring: a launch".into(),
            slug: "spring-launch".into(),
            body,
            excerpt: String::new(),
            tags: vec!["news".into(), "a, b".into()],
            categories: vec![],
            published,
            status: None,
        }
    }

    #[test]
    fn a_post_becomes_a_draft_that_parses_back() {
        let html = format!(
            "<h2>Plans</h2><p>We <strong>ship</strong> in <a href=\"https://example.com/\">May</a>.</p><ul><li>one</li><li>two</li></ul>{}",
            revision_marker("r_0123456789abcdef")
        );
        let source = source_of(&post(Body::Html(html), false));
        let parsed = crate::frontmatter::parse(&source).unwrap();
        assert_eq!(parsed.title, "Spring: a launch");
        assert_eq!(parsed.tags, ["news", "a, b"]);
        assert_eq!(
            parsed.front_matter.get("draft"),
            Some(&serde_json::json!(true))
        );
        assert!(source.contains("## Plans"), "{source}");
        assert!(source.contains("**ship**"), "{source}");
        assert!(source.contains("[May](https://example.com/)"), "{source}");
        assert!(!source.contains(MARKER_ATTRIBUTE), "{source}");
    }

    #[test]
    fn a_scheduled_wordpress_post_keeps_its_status_and_iframes_stay() {
        let mut scheduled = post(
            Body::Html(
                "<p>Soon.</p><iframe src=\"https://www.youtube.com/embed/x\"></iframe>".into(),
            ),
            false,
        );
        scheduled.status = Some("future".into());
        let source = source_of(&scheduled);
        assert!(source.contains("status: future\n"), "{source}");
        assert!(!source.contains("draft:"), "{source}");
        assert!(source.contains("<iframe"), "embeds stay: {source}");
    }

    #[test]
    fn markdown_bodies_lose_only_the_marker() {
        let md = format!(
            "# Hi\n\nText.\n\n{}\n",
            revision_marker("r_0123456789abcdef")
        );
        let source = source_of(&post(Body::Markdown(md), true));
        assert!(source.ends_with("# Hi\n\nText.\n"), "{source:?}");
        assert!(!source.contains("draft"));
    }

    #[test]
    fn markers_go_also_as_a_filter_left_them_and_nothing_else_does() {
        assert_eq!(
            without_marker("<p>a</p><div data-pressroom-revision=\"r_1\"></div>\n"),
            "<p>a</p>\n"
        );
        assert_eq!(
            without_marker("a<div hidden data-pressroom-revision=\"r_1\">"),
            "a<div hidden data-pressroom-revision=\"r_1\">",
            "unclosed: left as it is"
        );
        let text = "<p>data-pressroom-revision=\"r\" in prose</p>";
        assert_eq!(without_marker(text), text);
        assert_eq!(without_marker("plain <div>x</div>"), "plain <div>x</div>");
    }
}
