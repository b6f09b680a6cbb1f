//! Live confirmation (docs/confirmation.md): fetch a site's page exactly as a visitor would
//! — a plain GET, no cache-busting query, no `no-cache` header — until it serves the
//! published revision or the site's time is up.
//!
//! Exact when the page carries `<meta name="content-revision">` or `x-content-revision`
//! equal to the revision; otherwise, only for pages without any marker, a heuristic: the
//! visible text (parsed with a real HTML parser, scripts and styles left out) contains
//! the published title and the text that changed. One stale answer is normal
//! (stale-while-revalidate), so polling goes on: fast first, then backing off.

use std::time::{Duration, Instant};

use scraper::{ElementRef, Html, Node, Selector};

use crate::markdown;
use crate::store::{Method, Outcome, Poll};
use crate::{cap, read_prefix};

/// What the page must show.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub revision: String,
    pub title: String,
    /// Lines of the new text that the previous revision did not have (at most three),
    /// for the heuristic.
    pub phrases: Vec<String>,
}

/// Most phrases the heuristic looks for, and most words in each.
const PHRASES: usize = 3;
const PHRASE_WORDS: usize = 12;

impl Expected {
    /// `previous_markdown`: the body published before, if any, so that the heuristic
    /// looks for what changed rather than text the old page shows too.
    pub fn new(
        revision: &str,
        title: &str,
        markdown: &str,
        previous_markdown: Option<&str>,
    ) -> Expected {
        let old: std::collections::HashSet<String> = previous_markdown
            .map(|m| markdown::plain_text(m).lines().map(normalize).collect())
            .unwrap_or_default();
        let mut lines: Vec<String> = markdown::plain_text(markdown)
            .lines()
            .map(normalize)
            .filter(|l| l.split(' ').count() >= 3 && !old.contains(l))
            .collect();
        lines.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let phrases = lines
            .into_iter()
            .take(PHRASES)
            .map(|l| {
                l.split(' ')
                    .take(PHRASE_WORDS)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        Expected {
            revision: revision.to_owned(),
            title: normalize(title),
            phrases,
        }
    }
}

/// Whitespace collapsed to single spaces, trimmed, lowercased.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Debug, Clone)]
pub struct ConfirmConfig {
    /// Waits between polls; the last one repeats until the timeout.
    pub intervals: Vec<Duration>,
    /// Per poll.
    pub request_timeout: Duration,
    /// Largest page read (bytes); the rest is ignored.
    pub max_page: usize,
}

/// A stale answer usually means the site has just started re-rendering
/// (stale-while-revalidate), so the first polls follow quickly; then they back off.
impl Default for ConfirmConfig {
    fn default() -> Self {
        ConfirmConfig {
            intervals: [25, 50, 100, 150, 250, 400, 600, 1000, 1500, 2000]
                .map(Duration::from_millis)
                .to_vec(),
            request_timeout: Duration::from_secs(10),
            max_page: 5 * 1024 * 1024,
        }
    }
}

/// The result of confirming one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub url: String,
    pub outcome: Outcome,
    pub method: Option<Method>,
    /// The sentence that tells the user what happened and what to do.
    pub message: String,
    pub polls: Vec<Poll>,
    /// Visible text of the last page fetched, capped at 64 KB.
    pub page_text: Option<String>,
    /// The last page fetched, sanitized with ammonia (no scripts, styles or handlers),
    /// capped at 512 KB: what the app shows beside its local render.
    pub page_html: Option<String>,
}

const PAGE_TEXT_LIMIT: usize = 64 * 1024;
const PAGE_HTML_LIMIT: usize = 512 * 1024;

#[derive(Clone)]
pub struct Confirmer {
    http: reqwest::Client,
    config: ConfirmConfig,
}

impl Default for Confirmer {
    fn default() -> Self {
        Confirmer::new(ConfirmConfig::default())
    }
}

impl Confirmer {
    pub fn new(config: ConfirmConfig) -> Confirmer {
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "Pressroom/",
                env!("CARGO_PKG_VERSION"),
                " (live confirmation)"
            ))
            // A visitor's browser follows redirects; so do we, a few, but only within the
            // page's own origin: a page that sends us elsewhere is not the site's page
            // (and a planted redirect must not make us fetch another host for it).
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let first = attempt.previous().first().map(|u| u.origin());
                if attempt.previous().len() > 5 {
                    attempt.error("too many redirects")
                } else if first.is_some_and(|o| o != attempt.url().origin()) {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            // Nothing about the app's requests leaks to where a redirect points.
            .referer(false)
            .timeout(config.request_timeout)
            .build()
            .expect("an HTTP client with default TLS builds");
        Confirmer { http, config }
    }

    /// Polls `url` until it serves `expected` or `timeout` has passed. `on_poll` sees
    /// every poll as it happens.
    pub async fn confirm(
        &self,
        url: &str,
        expected: &Expected,
        timeout: Duration,
        mut on_poll: impl FnMut(&Poll),
    ) -> Confirmation {
        let start = Instant::now();
        let mut polls = Vec::new();
        let mut intervals = self.config.intervals.iter().copied();
        let mut wait = Duration::ZERO;
        let mut last_page: Option<(String, String)> = None;
        loop {
            let (poll, page, method) = self.poll(url, expected, start).await;
            on_poll(&poll);
            let verdict = poll.verdict;
            polls.push(poll);
            if page.is_some() {
                last_page = page;
            }
            if verdict == Outcome::Live {
                let method = method.unwrap_or(Method::Exact);
                return Confirmation {
                    url: url.to_owned(),
                    outcome: Outcome::Live,
                    method: Some(method),
                    message: live_message(url, expected, method, start.elapsed()),
                    polls,
                    page_text: last_page.as_ref().map(|(text, _)| text.clone()),
                    page_html: last_page.map(|(_, html)| sanitize(&html)),
                };
            }
            wait = intervals.next().unwrap_or(wait);
            if start.elapsed() + wait > timeout {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        let last = polls.last().expect("at least one poll");
        Confirmation {
            url: url.to_owned(),
            outcome: last.verdict,
            method: None,
            message: give_up_message(url, expected, last, timeout),
            polls,
            page_text: last_page.as_ref().map(|(text, _)| text.clone()),
            page_html: last_page.map(|(_, html)| sanitize(&html)),
        }
    }

    async fn poll(
        &self,
        url: &str,
        expected: &Expected,
        start: Instant,
    ) -> (Poll, Option<(String, String)>, Option<Method>) {
        let mut poll = Poll {
            elapsed_ms: 0,
            status: None,
            x_nextjs_cache: None,
            age: None,
            cache_control: None,
            etag: None,
            seen_revision: None,
            verdict: Outcome::Unreachable,
            error: None,
        };
        let response = match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) => {
                poll.elapsed_ms = start.elapsed().as_millis() as u64;
                poll.error = Some(if e.is_timeout() {
                    "no answer in time".to_owned()
                } else if e.is_redirect() {
                    "too many redirects".to_owned()
                } else if e.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "the request failed".to_owned()
                });
                return (poll, None, None);
            }
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        poll.status = Some(response.status().as_u16());
        poll.x_nextjs_cache = header("x-nextjs-cache");
        poll.age = header("age");
        poll.cache_control = header("cache-control");
        poll.etag = header("etag");
        let header_revision = header("x-content-revision");
        let location = header("location");
        let ok = response.status().is_success();
        let body = read_prefix(response, self.config.max_page).await;
        poll.elapsed_ms = start.elapsed().as_millis() as u64;
        if !ok {
            poll.verdict = Outcome::HttpError;
            poll.error = Some(match location {
                Some(to) if (300..400).contains(&poll.status.unwrap_or(0)) => format!(
                    "the page redirects to {to}, another site: Pressroom follows redirects only \
                     within the page's own origin"
                ),
                _ => format!("the page answered {}", poll.status.unwrap_or(0)),
            });
            return (poll, None, None);
        }
        let page = Page::parse(&body);
        poll.seen_revision = header_revision.or(page.revision);
        let (verdict, method) = match &poll.seen_revision {
            Some(seen) if *seen == expected.revision => (Outcome::Live, Some(Method::Exact)),
            Some(_) => (Outcome::Stale, None),
            None if heuristic_match(&page.text, expected) => {
                (Outcome::Live, Some(Method::Heuristic))
            }
            None => (Outcome::Stale, None),
        };
        poll.verdict = verdict;
        let text = cap(page.text, PAGE_TEXT_LIMIT);
        (poll, Some((text, body)), method)
    }
}

/// The fetched page made safe to show: ammonia's defaults (no script, style, event
/// handlers or javascript: URLs), capped; the text of head-only elements (`<title>`)
/// and of `<noscript>`/`<template>` goes with them rather than onto the page.
fn sanitize(html: &str) -> String {
    static SANITIZER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    SANITIZER
        .get_or_init(|| {
            let mut b = ammonia::Builder::default();
            b.clean_content_tags(
                ["script", "style", "title", "noscript", "template"]
                    .into_iter()
                    .collect(),
            );
            b
        })
        .clean(&cap(html.to_owned(), PAGE_HTML_LIMIT))
        .to_string()
}

/// What confirmation reads of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// `<meta name="content-revision" content="…">`.
    pub revision: Option<String>,
    /// Visible text: the body's text nodes outside scripts, styles and templates, one
    /// block per line.
    pub text: String,
}

/// The local render's visible text (its title, then the body) against the live page's,
/// line by line ("delete":
/// only in the local render, "insert": only on the live page — its navigation and
/// footer, or text that has not arrived yet). Both sides are read the same way.
pub fn compare_with_page(
    title: &str,
    local_html: &str,
    page_text: &str,
) -> Vec<crate::diff::DiffLine> {
    let body = Page::parse(&format!(
        "<!doctype html><html><body>{local_html}</body></html>"
    ));
    let local = format!("{title}\n{}", body.text);
    // Lines as a reader sees them: trimmed, blank ones dropped.
    let lines = |text: &str| -> String {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .fold(String::new(), |mut out, l| {
                out.push_str(l);
                out.push('\n');
                out
            })
    };
    crate::diff::lines(&lines(&local), &lines(page_text))
}

/// Elements whose content a visitor does not see as text.
const HIDDEN: [&str; 6] = ["script", "style", "noscript", "template", "head", "svg"];
/// Elements that start a new line of visible text.
const BLOCKS: [&str; 18] = [
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "pre",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "table",
];

impl Page {
    pub fn parse(html: &str) -> Page {
        let document = Html::parse_document(html);
        let meta = Selector::parse(r#"meta[name="content-revision"]"#).expect("valid selector");
        let revision = document
            .select(&meta)
            .find_map(|m| m.value().attr("content"))
            .map(|r| r.trim().to_owned());
        let mut text = String::new();
        visible_text(document.root_element(), &mut text);
        Page { revision, text }
    }
}

fn visible_text(element: ElementRef<'_>, out: &mut String) {
    for child in element.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if HIDDEN.contains(&e.name()) => {}
            Node::Element(e) => {
                let block = BLOCKS.contains(&e.name());
                if block {
                    out.push('\n');
                }
                if let Some(child) = ElementRef::wrap(child) {
                    visible_text(child, out);
                }
                if block {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

fn heuristic_match(page_text: &str, expected: &Expected) -> bool {
    let text = normalize(page_text);
    !expected.title.is_empty()
        && text.contains(&expected.title)
        && expected.phrases.iter().all(|p| text.contains(p.as_str()))
}

fn live_message(url: &str, expected: &Expected, method: Method, after: Duration) -> String {
    let ms = after.as_millis();
    match method {
        Method::Exact => format!(
            "Live: {url} serves revision {} ({ms} ms).",
            expected.revision
        ),
        Method::Heuristic => format!(
            "Live (heuristic): {url} shows the new title and text ({ms} ms). The page has no \
             revision marker; add <meta name=\"content-revision\" content=\"{}\"> to it for an \
             exact check.",
            expected.revision
        ),
    }
}

/// The sentence for a confirmation that ran out of time; the outcome is what the last
/// poll saw (never live: a live poll ends the confirmation at once).
fn give_up_message(url: &str, expected: &Expected, last: &Poll, timeout: Duration) -> String {
    let secs = timeout.as_secs_f32();
    match last.verdict {
        Outcome::Stale => format!(
            "Still stale after {secs:.0} s: {url} serves {} instead of {}. The site \
             accepted the webhook but did not regenerate the page: check that its handler \
             revalidates this page's tags or path and that the page's data fetch carries \
             those tags, then re-send the webhook.",
            last.seen_revision
                .as_deref()
                .map_or("an older version".to_owned(), |r| format!("revision {r}")),
            expected.revision
        ),
        Outcome::HttpError => match &last.error {
            Some(why) if why.contains("redirects to") => format!(
                "{url}: {why}. Set the site's page URL to where its pages really are, then \
                 re-send the webhook."
            ),
            _ => format!(
                "{url} answered {} until the time was up ({secs:.0} s): check the site's page \
                 URL and its logs, then re-send the webhook.",
                last.status.unwrap_or(0)
            ),
        },
        Outcome::Unreachable | Outcome::Live => format!(
            "Could not fetch {url} ({}): is the site up and is its page URL right? Re-send \
             the webhook once it is.",
            last.error.as_deref().unwrap_or("no answer")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_marker_and_only_visible_text() {
        let page = Page::parse(
            r#"<html><head><title>T</title><meta name="content-revision" content=" r_0123 ">
            <style>p{}</style></head><body><h1>Hello</h1><script>var secret = 1</script>
            <p>World <b>bold</b></p><noscript>no</noscript></body></html>"#,
        );
        assert_eq!(page.revision.as_deref(), Some("r_0123"));
        assert_eq!(normalize(&page.text), "hello world bold");
    }

    #[test]
    fn the_page_shown_has_no_script_and_no_head_text() {
        let shown = sanitize(
            r#"<html><head><title>Tab title</title><script>alert(1)</script></head><body>
            <h1 onclick="x()">Hello</h1><img src="a.png" onerror="x()"><a href="javascript:x()">l</a>
            <noscript>enable js</noscript><p>World</p></body></html>"#,
        );
        for gone in [
            "Tab title",
            "alert",
            "onclick",
            "onerror",
            "javascript:",
            "enable js",
        ] {
            assert!(!shown.contains(gone), "{gone} in {shown}");
        }
        assert!(
            shown.contains("<h1>Hello</h1>") && shown.contains("<p>World</p>"),
            "{shown}"
        );
    }

    #[test]
    fn local_text_against_the_page_marks_what_is_missing() {
        let diff = compare_with_page(
            "Post",
            "<p>First.</p><p>Second.</p>",
            "Site nav\nPost\nFirst.\n",
        );
        let ops: Vec<(&str, &str)> = diff.iter().map(|l| (l.op, l.text.as_str())).collect();
        assert_eq!(
            ops,
            [
                ("insert", "Site nav"),
                ("equal", "Post"),
                ("equal", "First."),
                ("delete", "Second.")
            ]
        );
    }

    #[test]
    fn the_heuristic_needs_the_title_and_what_changed() {
        let old = "Intro paragraph that stays the same.\n\nOld closing words here.";
        let new = "Intro paragraph that stays the same.\n\nA *brand new* closing sentence.";
        let expected = Expected::new("r_1", "My Post", new, Some(old));
        assert_eq!(expected.phrases, vec!["a brand new closing sentence."]);
        let page = |body: &str| Page::parse(&format!("<h1>My Post</h1>{body}")).text;
        assert!(heuristic_match(
            &page("<p>Intro paragraph that stays the same.</p><p>A <em>brand new</em>\n closing sentence.</p>"),
            &expected
        ));
        assert!(!heuristic_match(
            &page("<p>Intro paragraph that stays the same.</p><p>Old closing words here.</p>"),
            &expected
        ));
    }
}
