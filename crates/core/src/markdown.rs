//! The one markdown renderer: the app's local preview and the content API's `html`
//! both come from `render`, so they are byte-identical by construction.
//!
//! Pipeline: pulldown-cmark events (GFM tables, strikethrough, task lists, footnotes,
//! `{#id}` heading attributes) → a pass that gives every heading a unique anchor id →
//! HTML → ammonia with an explicit allow-list (no script, no event handlers, no
//! `javascript:` URLs, no inline styles beyond table alignment).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};


const SUMMARY_CHARS: usize = 200;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Markdown body → sanitized HTML.
pub fn render(markdown: &str) -> String {
    let events = with_heading_anchors(Parser::new_ext(markdown, options()).collect());
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    sanitizer().clean(&unsafe_html).to_string()
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
    format!("{}…", cut.trim_end_matches(|c: char| c.is_ascii_punctuation()))
}

/// Gives each heading an `id`: its own `{#id}` if written, else the slug of its text,
/// made unique within the document with `-1`, `-2`, … suffixes.
fn with_heading_anchors(mut events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut used: HashSet<String> = HashSet::new();
    // Explicit ids win: reserve them before generating any.
    for event in &events {
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
    events
}

/// Heading text → anchor id: lowercase letters and digits of any script, every other
/// run of characters one dash (`Ünïcödé heading` → `ünïcödé-heading`).
fn anchor(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
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
        b.add_tags(["input"])
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
        ("code", "class") => value.strip_prefix("language-").is_some_and(|lang| {
            !lang.is_empty()
                && lang
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-#_.".contains(c))
        }),
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
    fn headings_get_unique_anchors() {
        let html = render("# Intro\n\n## Intro\n\n## Custom {#mine}\n\n# mine\n");
        assert!(html.contains(r#"<h1 id="intro">"#), "{html}");
        assert!(html.contains(r#"<h2 id="intro-1">"#), "{html}");
        assert!(html.contains(r#"<h2 id="mine">"#), "{html}");
        assert!(html.contains(r#"<h1 id="mine-1">"#), "{html}");
    }

    #[test]
    fn summary_is_first_paragraph_text() {
        assert_eq!(
            summary("# Title\n\nHello *big*\n`world`.\n\nSecond."),
            "Hello big world."
        );
        let long = "word ".repeat(100);
        let s = summary(&long);
        assert!(s.ends_with('…') && s.chars().count() <= SUMMARY_CHARS + 1, "{s}");
    }
}
