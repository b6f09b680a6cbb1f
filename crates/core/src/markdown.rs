//! The one markdown renderer: the app's local preview and the content API's `html`
//! both come from `render`, so they are byte-identical by construction.
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
use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

const SUMMARY_CHARS: usize = 200;

/// URL schemes a link or image may use (besides relative URLs and fragments).
const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Markdown body → sanitized HTML.
pub fn render(markdown: &str) -> String {
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let has_raw_html = events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    add_heading_anchors(&mut events);
    neutralise(&mut events);
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
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    if events.iter().any(|e| {
        matches!(
            e,
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_)
        )
    }) {
        return vec![render(markdown)];
    }
    add_heading_anchors(&mut events);
    neutralise(&mut events);
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            let mut html = String::new();
            html::push_html(&mut html, events[start..=i].iter().cloned());
            blocks.push(html);
            start = i + 1;
        }
    }
    if start < events.len() {
        let mut html = String::new();
        html::push_html(&mut html, events[start..].iter().cloned());
        blocks.push(html);
    }
    blocks
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
            Event::Start(Tag::Image { dest_url, .. }) if !is_safe_url(dest_url) => {
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
            let mut candidate = base.clone();
            let mut n = 0;
            while used.contains(&candidate) {
                n += 1;
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
        b.url_schemes(URL_SCHEMES.into_iter().collect())
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
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn headings_get_unique_anchors() {
        let html = render("# Intro\n\n## Intro\n\n## Custom {#mine}\n\n# mine\n");
        assert!(html.contains(r#"<h1 id="intro">"#), "{html}");
        assert!(html.contains(r#"<h2 id="intro-1">"#), "{html}");
        assert!(html.contains(r#"<h2 id="mine">"#), "{html}");
        assert!(html.contains(r#"<h1 id="mine-1">"#), "{html}");
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
