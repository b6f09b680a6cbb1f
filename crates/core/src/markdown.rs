//! The one markdown renderer: the app's local preview and the content API's `html`
//! both come from it, so they are byte-identical by construction — except the URL of
//! each image of the workspace (`asset:<sha256>` in the preview, where it was
//! uploaded in what is published: `render_with_assets`).
//!
//! Pipeline: pulldown-cmark events (GFM tables, strikethrough, task lists, footnotes,
//! `{#id}` heading attributes) → one pass over the events that gives every heading a
//! unique anchor and neutralises what markdown syntax alone could smuggle in (link and
//! image URLs outside http/https/mailto/tel/relative, heading classes and attributes,
//! code-fence info strings) → HTML.
//!
//! Raw HTML is the only way anything else reaches the output, and pulldown-cmark
//! reports it as `Html`/`InlineHtml` events. A document with any of them goes through
//! ammonia with an explicit allow-list (no script, no event handlers, no `javascript:`
//! URLs, no inline styles beyond table alignment). One without skips ammonia: its
//! HTML was escaped by pulldown-cmark and its URLs checked above, and ammonia's full
//! parse and serialise would cost ~10 ms on a 100 KB document, on every keystroke.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

const SUMMARY_CHARS: usize = 200;

/// URL schemes a link or image may use (besides relative URLs and fragments).
const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Markdown body → sanitized HTML. Images of the workspace keep their
/// `asset:<sha256>` URL (the app's window shows them from the workspace).
pub fn render(markdown: &str) -> String {
    render_with_assets(markdown, &|_| None)
}

/// `render`, with each image of the workspace (`asset:<sha256>`) given the URL
/// `resolve` has for it — where it was uploaded (the content API's
/// `/v1/assets/<sha256>`, a CMS's media) — or keeping `asset:<sha256>` when it has
/// none.
pub fn render_with_assets(markdown: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let has_raw_html = events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    add_heading_anchors(&mut events);
    neutralise(&mut events);
    for event in &mut events {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                let url = asset_ref(dest_url).and_then(resolve);
                if let Some(url) = url.filter(|u| is_safe_url(u)) {
                    *dest_url = CowStr::from(url);
                }
            }
            // A raw `<img src="asset:…">` gets the same URL (the sanitizer after keeps
            // `asset:` only there).
            Event::Html(raw) | Event::InlineHtml(raw) if raw.contains(crate::assets::SCHEME) => {
                *raw = CowStr::from(resolve_raw(raw, resolve));
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    if has_raw_html {
        sanitizer().clean(&out).to_string()
    } else {
        out
    }
}

/// `render`'s output as its top-level blocks (paragraphs, headings, lists, tables…),
/// so that a preview can replace only the blocks an edit changed. Concatenated they
/// are exactly `render`'s output. A document with raw HTML comes back as one block
/// (an element opened in one block and closed in another must be sanitized whole), and
/// so does one with footnotes (their numbers run across blocks).
pub fn render_blocks(markdown: &str) -> Vec<String> {
    blocks(markdown, None).into_iter().map(|b| b.html).collect()
}

/// One top-level block of a render: its HTML, the lines of source it came from and the
/// heading ids in it (assigned across the whole document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub html: String,
    source: Range<usize>,
    ids: Vec<String>,
    /// Its HTML follows from its source and ids alone: false in a document with link
    /// reference definitions (or footnotes, or raw HTML: then it is the only block).
    standalone: bool,
}

impl Block {
    /// Where in the markdown (a byte offset, at the start of a line) the block begins.
    pub(crate) fn source_start(&self) -> usize {
        self.source.start
    }
}

/// `render_blocks` of `markdown` as `Block`s. With `previous` (an earlier text and its
/// blocks) a block is taken over instead of rendered again when it is the same
/// source at the same place relative to the unchanged start or end of the text, with
/// the same heading ids, and neither text has link reference definitions (which reach
/// across blocks). The whole text is always parsed: which blocks there are, and the
/// ids, come from this text alone.
pub fn blocks(markdown: &str, previous: Option<(&str, &[Block])>) -> Vec<Block> {
    let mut parsed = Parser::new_ext(markdown, options()).into_offset_iter();
    let has_link_definitions = parsed.reference_definitions().iter().next().is_some();
    let (mut events, ranges): (Vec<Event<'_>>, Vec<Range<usize>>) = parsed.by_ref().unzip();
    if events.iter().any(|e| {
        matches!(
            e,
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_)
        )
    }) {
        return vec![Block {
            html: render(markdown),
            source: 0..markdown.len(),
            ids: Vec::new(),
            standalone: false,
        }];
    }
    add_heading_anchors(&mut events);
    neutralise(&mut events);
    let reuse = previous
        .filter(|_| !has_link_definitions)
        .map(|(text, blocks)| Reuse::new(text, markdown, blocks));
    // Each top-level block: its events and the whole lines of source it spans.
    let mut spans: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 || i + 1 == events.len() {
            let lines = whole_lines(markdown, ranges[start].start..ranges[i].end);
            spans.push((start..i + 1, lines));
            start = i + 1;
        }
    }
    (0..spans.len())
        .map(|k| {
            let (events, source) = (&events[spans[k].0.clone()], spans[k].1.clone());
            // Two blocks on one line could not be told apart by their lines.
            let shares_a_line = (k > 0 && spans[k - 1].1.end > source.start)
                || spans
                    .get(k + 1)
                    .is_some_and(|next| next.1.start < source.end);
            let standalone = !has_link_definitions && !shares_a_line;
            let ids: Vec<String> = events
                .iter()
                .filter_map(|e| match e {
                    Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
                    _ => None,
                })
                .collect();
            let earlier = reuse
                .as_ref()
                .filter(|_| standalone)
                .and_then(|r| r.html(&source, &ids));
            let html = earlier.map(str::to_owned).unwrap_or_else(|| {
                let mut html = String::new();
                html::push_html(&mut html, events.iter().cloned());
                html
            });
            Block {
                html,
                source,
                ids,
                standalone,
            }
        })
        .collect()
}

/// Where the blocks of an earlier text can be found for a new one.
struct Reuse<'a> {
    blocks: &'a [Block],
    /// The texts' shared start, in bytes.
    prefix: usize,
    /// Where their shared end starts in the new text, and the shift back to the old one.
    tail: usize,
    shift: isize,
}

impl<'a> Reuse<'a> {
    fn new(old: &str, new: &str, blocks: &'a [Block]) -> Reuse<'a> {
        let (prefix, suffix) = crate::diff::shared_ends(old.as_bytes(), new.as_bytes());
        Reuse {
            blocks,
            prefix,
            tail: new.len() - suffix,
            shift: old.len() as isize - new.len() as isize,
        }
    }

    /// The earlier HTML of the block at `source` of the new text, if it is the same.
    fn html(&self, source: &Range<usize>, ids: &[String]) -> Option<&'a str> {
        let old = if source.end <= self.prefix {
            source.clone()
        } else if source.start >= self.tail {
            let shift = |p: usize| p.checked_add_signed(self.shift);
            shift(source.start)?..shift(source.end)?
        } else {
            return None;
        };
        let i = self
            .blocks
            .binary_search_by_key(&old.start, |b| b.source.start)
            .ok()?;
        let block = &self.blocks[i];
        (block.standalone && block.source == old && block.ids == ids).then_some(block.html.as_str())
    }
}

/// `range` widened to whole lines: what decides a block's kind starts at its line
/// (an indented code block's range leaves out the indent that makes it one). Lines
/// end with `\n`, `\r\n` or a lone `\r`, as in CommonMark.
fn whole_lines(text: &str, range: Range<usize>) -> Range<usize> {
    let bytes = text.as_bytes();
    let start = text[..range.start].rfind(['\n', '\r']).map_or(0, |p| p + 1);
    let mut end = match range.end {
        0 => 0,
        e if matches!(bytes[e - 1], b'\n' | b'\r') => e,
        e => text[e..]
            .find(['\n', '\r'])
            .map_or(text.len(), |p| e + p + 1),
    };
    if end > 0 && bytes[end - 1] == b'\r' && bytes.get(end) == Some(&b'\n') {
        end += 1;
    }
    start..end
}

/// Every image of the workspace `markdown` shows — `![](asset:<sha256>)` anywhere,
/// footnotes included, and raw `<img src="asset:<sha256>">` — in order, each once.
pub fn asset_refs(markdown: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |sha: &str| {
        if !found.iter().any(|f| f == sha) {
            found.push(sha.to_owned());
        }
    };
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(sha) = asset_ref(&dest_url) {
                    add(sha);
                }
            }
            Event::Html(raw) | Event::InlineHtml(raw) => {
                raw_asset_refs(&raw).for_each(|(_, sha)| add(sha));
            }
            _ => {}
        }
    }
    found
}

/// Each `asset:<sha256>` that is an image's source in raw HTML (`src=` before it, not
/// inside a comment), with where it starts.
fn raw_asset_refs(raw: &str) -> impl Iterator<Item = (usize, &str)> {
    let comments: Vec<std::ops::Range<usize>> = raw
        .match_indices("<!--")
        .map(|(start, _)| {
            let end = raw[start..]
                .find("-->")
                .map_or(raw.len(), |e| start + e + 3);
            start..end
        })
        .collect();
    raw.match_indices(crate::assets::SCHEME)
        .filter_map(move |(at, _)| {
            let before = raw[..at].trim_end_matches(['"', '\'']).trim_end();
            let before = before.strip_suffix('=')?.trim_end();
            let is_src = before.len() >= 3
                && before.is_char_boundary(before.len() - 3)
                && before[before.len() - 3..].eq_ignore_ascii_case("src");
            if !is_src || comments.iter().any(|c| c.contains(&at)) {
                return None;
            }
            let end = crate::assets::SCHEME.len() + 64;
            asset_ref(raw.get(at..)?.get(..end)?).map(|sha| (at, sha))
        })
}

/// Raw HTML with each `asset:<sha256>` `resolve` has a URL for replaced by it — a
/// URL that could leave its attribute is not used.
fn resolve_raw(raw: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut from = 0;
    for (at, sha) in raw_asset_refs(raw) {
        let url = resolve(sha).filter(|u| {
            is_safe_url(u) && !u.contains(|c: char| c.is_whitespace() || "\"'<>`&".contains(c))
        });
        if let Some(url) = url {
            out.push_str(&raw[from..at]);
            out.push_str(&url);
            from = at + crate::assets::SCHEME.len() + 64;
        }
    }
    out.push_str(&raw[from..]);
    out
}

/// The SHA-256 an image URL `asset:<sha256>` names (`crate::assets`).
fn asset_ref(url: &str) -> Option<&str> {
    url.strip_prefix(crate::assets::SCHEME)
        .filter(|sha| crate::assets::is_sha256(sha))
}

/// True for relative URLs, fragments and the allowed schemes. Browsers ignore ASCII
/// whitespace and control characters inside a scheme (`java\tscript:`), so do we.
fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(32)
        .collect();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned.as_bytes()[i] == b':' => {
            let scheme = cleaned[..i].to_ascii_lowercase();
            URL_SCHEMES.contains(&scheme.as_str())
        }
        _ => true,
    }
}

fn is_safe_language(lang: &str) -> bool {
    !lang.is_empty()
        && lang.len() <= 32
        && lang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-#_.".contains(c))
}

/// Strips what markdown syntax (not raw HTML) could use to attack a reader.
fn neutralise(events: &mut [Event<'_>]) {
    // A link whose URL was refused renders as `<a>` (no href); remember which ends close it.
    let mut refused_links: Vec<bool> = Vec::new();
    for event in events.iter_mut() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                let refused = !is_safe_url(dest_url);
                refused_links.push(refused);
                if refused {
                    *event = Event::Html(CowStr::Borrowed("<a>"));
                }
            }
            Event::End(TagEnd::Link) => {
                let refused = refused_links.pop().unwrap_or(false);
                if refused {
                    *event = Event::Html(CowStr::Borrowed("</a>"));
                }
            }
            Event::Start(Tag::Image { dest_url, .. })
                if !is_safe_url(dest_url) && asset_ref(dest_url).is_none() =>
            {
                *dest_url = CowStr::Borrowed("");
            }
            Event::Start(Tag::Heading { classes, attrs, .. }) => {
                classes.clear();
                attrs.clear();
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let lang = info.split_whitespace().next().unwrap_or("");
                *info = if is_safe_language(lang) {
                    CowStr::from(lang.to_owned())
                } else {
                    CowStr::Borrowed("")
                };
            }
            _ => {}
        }
    }
}

/// The words of a document without markdown syntax, one block per line: what full-text
/// search indexes and shows in its snippets.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::FootnoteDefinition,
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// Plain text of the first paragraph, cut at a word boundary (for lists and feeds).
pub fn summary(markdown: &str) -> String {
    let mut text = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if in_paragraph => break,
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= SUMMARY_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SUMMARY_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_ascii_punctuation())
    )
}

/// Gives each heading an `id`: its own `{#id}` if written, else the slug of its text,
/// made unique within the document with `-1`, `-2`, … suffixes.
fn add_heading_anchors(events: &mut [Event<'_>]) {
    let mut used: HashSet<String> = HashSet::new();
    let mut tried: HashMap<String, usize> = HashMap::new();
    // Explicit ids win: reserve them before generating any.
    for event in events.iter() {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            used.insert(id.to_string());
        }
    }
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            for e in &events[i + 1..] {
                match e {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
            }
            let base = match anchor(&text) {
                s if s.is_empty() => "section".to_owned(),
                s => s,
            };
            // Suffixes tried for this base before are taken still: go on from there
            // (a document repeating one heading stays linear).
            let n = tried.entry(base.clone()).or_insert(0);
            let mut candidate = match *n {
                0 => base.clone(),
                n => format!("{base}-{n}"),
            };
            while used.contains(&candidate) {
                *n += 1;
                candidate = format!("{base}-{n}");
            }
            used.insert(candidate.clone());
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(candidate));
            }
        }
        i += 1;
    }
}

/// Heading text → anchor id: lowercase letters and digits of any script, every other
/// run of characters one dash (`Ünïcödé heading` → `ünïcödé-heading`).
fn anchor(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        // Same rules as `neutralise`, so a raw `<a>` gets what a markdown link gets.
        // `asset:` names an image of the workspace by its hash: nothing to follow.
        b.url_schemes(URL_SCHEMES.into_iter().chain(["asset"]).collect())
            .link_rel(None)
            .add_tags(["input"])
            .add_generic_attributes(["id"])
            // Task list markers are the only inputs the renderer makes; every `<input>` is
            // forced disabled and only `type="checkbox"` survives. Exactly one forced
            // attribute: ammonia appends forced ones in hash order, and the output must
            // be byte-identical in every process.
            .add_tag_attributes("input", ["type", "checked"])
            .set_tag_attribute_value("input", "disabled", "")
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("div", ["class"])
            .add_tag_attributes("sup", ["class"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .attribute_filter(filter_attribute);
        b
    })
}

/// Whether an attribute's value is an `asset:` URL, however it is written.
fn has_asset_scheme(value: &str) -> bool {
    let start: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(crate::assets::SCHEME.len())
        .collect();
    start.eq_ignore_ascii_case(crate::assets::SCHEME)
}

/// Narrows the attributes allowed above to the values the renderer itself produces.
fn filter_attribute<'a>(element: &str, attribute: &str, value: &'a str) -> Option<Cow<'a, str>> {
    let keep = match (element, attribute) {
        ("input", "type") => value == "checkbox",
        ("code", "class") => value
            .strip_prefix("language-")
            .is_some_and(is_safe_language),
        ("div", "class") => value == "footnote-definition",
        ("sup", "class") => value == "footnote-reference" || value == "footnote-definition-label",
        ("th" | "td", "style") => matches!(
            value,
            "text-align: left" | "text-align: center" | "text-align: right"
        ),
        // `asset:` names an image of the workspace: an image's source, nothing else.
        ("img", "src") => !has_asset_scheme(value) || asset_ref(value).is_some(),
        _ => !has_asset_scheme(value),
    };
    keep.then_some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_in_footnotes_and_raw_html_are_found_and_published() {
        let (a, b, c) = ("ab".repeat(32), "cd".repeat(32), "ef".repeat(32));
        let md = format!(
            "Text[^n].\n\n[^n]: ![in a note](asset:{a})\n\n<figure><img src=\"asset:{b}\" \
             alt=\"raw\"></figure>\n\n<a href=\"asset:{c}\">link</a>\n"
        );
        // A link to one, or one in a comment, is not an image the page shows.
        assert_eq!(asset_refs(&md), vec![a.clone(), b.clone()]);
        let commented =
            format!("<!-- <img src=\"asset:{c}\"> -->\n\n<img alt=x src = 'asset:{c}'>");
        assert_eq!(asset_refs(&commented), vec![c.clone()]);
        let published =
            render_with_assets(&md, &|s| Some(format!("https://api.example/v1/assets/{s}")));
        assert!(published.contains(&format!("src=\"https://api.example/v1/assets/{a}\"")));
        assert!(
            published.contains(&format!("src=\"https://api.example/v1/assets/{b}\"")),
            "{published}"
        );
        // `asset:` is an image's source, never a link's.
        let local = render(&md);
        assert!(local.contains(&format!("src=\"asset:{b}\"")), "{local}");
        assert!(!local.contains("href=\"asset:"), "{local}");
        assert!(!render("<a href=\" AsSeT:x\">x</a> <img src=\"asset:nothex\">").contains("sset:"));
        // A URL that would leave its attribute is not put into raw HTML.
        let hostile = render_with_assets(&md, &|_| Some("https://x/\" onerror=\"alert(1)".into()));
        assert!(!hostile.contains(" onerror"), "{hostile}");
        assert!(hostile.contains(&format!("src=\"asset:{b}\"")), "{hostile}");
    }

    #[test]
    fn workspace_images_keep_their_hash_or_get_where_they_were_uploaded() {
        let sha = "ab".repeat(32);
        let md = format!("![Tower](asset:{sha}) ![x](asset:nothex) ![y](javascript:alert(1))");
        let local = render(&md);
        assert!(local.contains(&format!("src=\"asset:{sha}\"")), "{local}");
        assert_eq!(
            local.matches("src=\"\"").count(),
            2,
            "the others emptied: {local}"
        );
        let published =
            render_with_assets(&md, &|s| Some(format!("https://api.example/v1/assets/{s}")));
        assert!(published.contains(&format!("src=\"https://api.example/v1/assets/{sha}\"")));
        // A resolver cannot smuggle a script URL in.
        let hostile = render_with_assets(&md, &|_| Some("javascript:alert(1)".into()));
        assert!(!hostile.contains("javascript"), "{hostile}");
        // Through the raw-HTML path too.
        let raw = render(&format!("<p>raw</p>\n\n![Tower](asset:{sha})"));
        assert!(raw.contains(&format!("src=\"asset:{sha}\"")), "{raw}");
    }

    #[test]
    fn blocks_concatenate_to_the_full_render() {
        let docs = [
            "# Title\n\nPara *one*.\n\n- a\n- b\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn x() {}\n```\n\n---\n\n## Title\n\n[ref][r]\n\n[r]: https://example.com\n",
            "Text with a note[^1].\n\n[^1]: The note.\n\nMore[^2].\n\n[^2]: Two.\n",
            "Raw <b>html</b> here\n\n<div>\n\ninside\n\n</div>\n",
            "",
            "- [ ] task\n- [x] done\n",
        ];
        for doc in docs {
            let blocks = render_blocks(doc);
            assert_eq!(blocks.concat(), render(doc), "{doc}");
        }
        assert_eq!(render_blocks("# A\n\nb\n\nc\n").len(), 3);
    }

    /// A tiny deterministic generator for the differential tests.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    #[test]
    fn blocks_taken_over_from_an_earlier_text_equal_a_fresh_render() {
        // Pieces that change how their neighbours parse: setext underlines, lazy
        // continuations, fences, list items joining lists, tables, repeated headings.
        let pieces = [
            "# Intro\n",
            "## Intro\n",
            "Intro\n",
            "===\n",
            "---\n",
            "\n",
            "\n\n",
            "para text *em* **strong**\n",
            "- item\n",
            "  - nested\n",
            "1. one\n",
            "> quote\n",
            "lazy line\n",
            "```\n",
            "```rust\n",
            "    indented code\n",
            "| a | b |\n",
            "|---|---|\n",
            "| 1 | 2 |\n",
            "[link](https://a.example)\n",
            "~~~\n",
            "- [ ] task\n",
            "## Custom {#intro}\n",
            "`",
            "*",
            "_",
            "#",
            " ",
            "x",
            "\t",
            "  ",
            "    ",
            "+ item\n",
            "* star\n",
            "> > nested\n",
            "> - in quote\n",
            "***\n",
            "\\",
            "&amp;",
            "[a][x]\n",
            "![img](x.png)\n",
            "# \n",
            "###### six\n",
            "    - x\n",
            "1) paren\n",
            "2. two\n",
            "Term\n: def\n",
            "|:-:|\n",
            "-",
            "=",
            "\r\n",
            "\r",
            "[x]: https://ref.example\n",
            "[x]\n",
            "é😀\n",
            "<b>raw</b>\n",
            "note[^1]\n",
        ];
        let mut rng = Lcg(42);
        for _ in 0..300 {
            let mut text: String = (0..rng.below(30))
                .map(|_| pieces[rng.below(pieces.len() - 4)])
                .collect();
            let mut shown = blocks(&text, None);
            for _ in 0..20 {
                let mut cut: Vec<char> = text.chars().collect();
                let at = rng.below(cut.len() + 1);
                let removed = rng.below(4).min(cut.len() - at);
                let piece: Vec<char> = pieces[rng.below(pieces.len())].chars().collect();
                cut.splice(at..at + removed, piece);
                let next: String = cut.into_iter().collect();
                let reused = blocks(&next, Some((&text, &shown)));
                let fresh = blocks(&next, None);
                assert_eq!(reused, fresh, "from {text:?} to {next:?}");
                assert_eq!(
                    fresh.iter().map(|b| b.html.as_str()).collect::<String>(),
                    render(&next)
                );
                text = next;
                shown = reused;
            }
        }
    }

    #[test]
    fn typing_renders_only_the_block_typed_in() {
        let text: String = (0..50)
            .map(|i| format!("## Part {i}\n\nText {i}.\n\n"))
            .collect();
        let before = blocks(&text, None);
        let typed = text.replace("Text 20.", "Text 20, typed.");
        let after = blocks(&typed, Some((&text, &before)));
        let reuse = Reuse::new(&text, &typed, &before);
        let rendered: Vec<usize> = after
            .iter()
            .enumerate()
            .filter(|(_, b)| reuse.html(&b.source, &b.ids).is_none())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(rendered, [41]);
        assert_eq!(after[41].html, "<p>Text 20, typed.</p>\n");
        // A heading typed early renames a later one's id: that later block changes too.
        let renamed = text.replace("## Part 3\n", "## Part 30\n");
        let after = blocks(&renamed, Some((&text, &before)));
        assert_eq!(after, blocks(&renamed, None));
        assert!(
            after[60].html.contains(r#"id="part-30-1""#),
            "{}",
            after[60].html
        );
    }

    #[test]
    fn headings_get_unique_anchors() {
        let html = render("# Intro\n\n## Intro\n\n## Custom {#mine}\n\n# mine\n");
        assert!(html.contains(r#"<h1 id="intro">"#), "{html}");
        assert!(html.contains(r#"<h2 id="intro-1">"#), "{html}");
        assert!(html.contains(r#"<h2 id="mine">"#), "{html}");
        assert!(html.contains(r#"<h1 id="mine-1">"#), "{html}");
        let html = render("# A\n\n# A\n\n# A-1\n\n# A\n\n# A {#a-3}\n\n# A\n");
        let ids: Vec<&str> = html
            .split("id=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        assert_eq!(ids, ["a", "a-1", "a-1-1", "a-2", "a-3", "a-4"], "{html}");
    }

    #[test]
    fn plain_text_drops_syntax() {
        let text = plain_text("## Stripes {#s}\n\n| kind | n |\n|---|---|\n| *plains* | 3 |\n\n[link](https://x.example) `code`");
        assert_eq!(text, "Stripes\nkind\nn\nplains\n3\nlink code\n");
    }

    #[test]
    fn url_safety() {
        for ok in [
            "https://a.example/x",
            "/posts/a",
            "../b",
            "#top",
            "mailto:a@b.c",
            "tel:+1",
            "?q=1",
            "a/b:c",
            "",
        ] {
            assert!(is_safe_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:x",
            " java\tscript:x",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert!(!is_safe_url(bad), "{bad}");
        }
    }

    #[test]
    fn summary_is_first_paragraph_text() {
        assert_eq!(
            summary("# Title\n\nHello *big*\n`world`.\n\nSecond."),
            "Hello big world."
        );
        let long = "word ".repeat(100);
        let s = summary(&long);
        assert!(
            s.ends_with('…') && s.chars().count() <= SUMMARY_CHARS + 1,
            "{s}"
        );
    }
}
