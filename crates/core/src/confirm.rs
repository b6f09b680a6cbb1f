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
use serde::{Deserialize, Serialize};

use crate::markdown;
use crate::store::{Method, Outcome, Poll};
use crate::{cap, read_prefix};

/// What the page must show.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The revision published, or, for an unpublish, the one taken down.
    pub revision: String,
    /// An unpublish: the page must be gone (404 or 410), listings without the item.
    pub gone: bool,
    pub title: String,
    /// Lines of the new text that the previous revision did not have (at most three),
    /// for the heuristic.
    pub phrases: Vec<String>,
    /// The workspace images the document shows: each one's SHA-256, then those of its
    /// downscaled copies (the page may show any of them). A page is live only when
    /// each image is on it and loads.
    pub images: Vec<Vec<String>>,
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
            gone: false,
            title: normalize(title),
            phrases,
            images: crate::assets::references(markdown)
                .into_iter()
                .map(|sha| vec![sha])
                .collect(),
        }
    }

    /// What an unpublish of `revision` must show: no page, no item in listings.
    pub fn gone(revision: &str) -> Expected {
        Expected {
            revision: revision.to_owned(),
            gone: true,
            title: String::new(),
            phrases: Vec::new(),
            images: Vec::new(),
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
    /// Fetches right after the first fresh answer, all of which must be fresh too: one
    /// URL may be answered by several instances or caches, and one fresh answer says
    /// nothing of the others. At least three per instance told apart so far.
    pub verify_samples: usize,
    /// A site still stale at its timeout gets its webhook once more and each stale
    /// URL fetched again (warmed), for one more timeout, before it is reported.
    pub heal: bool,
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
            verify_samples: 6,
            heal: true,
        }
    }
}

/// The header a site sets to tell its instances apart (docs/confirmation.md): any
/// stable name per instance, e.g. the host name.
pub const INSTANCE_HEADER: &str = "x-instance-id";

/// One place where a publish must show: a URL, fetched through one of the site's
/// instances (its origin) or as the public reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub url: String,
    /// The instance origin the URL is fetched through, when the site lists instances.
    pub instance: Option<String>,
    /// A listing page (index, tag page, feed): its freshness is the published
    /// revision's `data-content-revision` marker on the document's item, or without
    /// markers the new title.
    pub listing: bool,
}

impl Target {
    pub fn page(url: &str) -> Target {
        Target {
            url: url.to_owned(),
            instance: None,
            listing: false,
        }
    }
}

/// Every place a site's publish must show: its page, then each "also confirm" URL
/// template (a path such as `/`, `/tags/{tag}` or `/feed.xml` on the page's origin, or
/// a full URL) expanded for the document (`{slug}`; `{tag}` once per tag) — each fetched
/// through every listed instance origin, or as the public reaches it when none is
/// listed.
pub fn targets(
    page_url: &str,
    also: &[String],
    instances: &[String],
    slug: &str,
    tags: &[String],
) -> Vec<Target> {
    let mut urls = vec![(page_url.to_owned(), false)];
    for template in also {
        let template = template.replace("{slug}", slug);
        let expanded: Vec<String> = if template.contains("{tag}") {
            tags.iter()
                .map(|t| template.replace("{tag}", &percent_segment(t)))
                .collect()
        } else {
            vec![template]
        };
        for url in expanded {
            let url = match reqwest::Url::parse(page_url).and_then(|base| base.join(&url)) {
                Ok(u) => u.to_string(),
                Err(_) => url,
            };
            if !urls.iter().any(|(u, _)| *u == url) {
                urls.push((url, true));
            }
        }
    }
    let mut out = Vec::new();
    for (url, listing) in urls {
        if instances.is_empty() {
            out.push(Target {
                url,
                instance: None,
                listing,
            });
            continue;
        }
        for origin in instances {
            out.push(Target {
                url: on_origin(&url, origin),
                instance: Some(origin.clone()),
                listing,
            });
        }
    }
    out
}

/// `url` with its scheme, host and port those of `origin` (path and query kept).
pub fn on_origin(url: &str, origin: &str) -> String {
    let (Ok(mut u), Ok(o)) = (reqwest::Url::parse(url), reqwest::Url::parse(origin)) else {
        return url.to_owned();
    };
    let ok = u.set_scheme(o.scheme()).is_ok()
        && u.set_host(o.host_str()).is_ok()
        && u.set_port(o.port()).is_ok();
    if ok {
        u.to_string()
    } else {
        url.to_owned()
    }
}

/// A tag as one path segment.
fn percent_segment(tag: &str) -> String {
    tag.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What one instance (told apart by `INSTANCE_HEADER`) served last.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSeen {
    /// As the instance names itself; `None`: not told apart (no `INSTANCE_HEADER`).
    pub id: Option<String>,
    pub fresh: bool,
    pub revision: Option<String>,
}

/// The result of confirming one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub url: String,
    /// The instance origin it was fetched through (`Target::instance`).
    pub instance: Option<String>,
    /// Where one URL was answered by several instances or caches that did not all
    /// serve the revision: what each served last (told apart by `INSTANCE_HEADER`), or,
    /// when the site does not set it, one unnamed fresh and one unnamed stale answer.
    pub mixed: Vec<InstanceSeen>,
    pub outcome: Outcome,
    pub method: Option<Method>,
    /// The sentence that tells the user what happened and what to do.
    pub message: String,
    pub polls: Vec<Poll>,
    /// Visible text of the last page fetched, capped at 64 KB.
    pub page_text: Option<String>,
    /// The last page fetched, sanitized with ammonia (no scripts, styles or handlers),
    /// capped at 512 KB: what the app shows beside its local render. Its links and
    /// images are absolute (the view has no base URL).
    pub page_html: Option<String>,
    /// The page's own styles, to show it as its visitors see it.
    pub page_styles: Option<PageStyles>,
}

/// A page's styles: the stylesheets it links (absolute http(s) URLs, at most
/// `MAX_STYLESHEETS`) and the text of its `<style>` elements (capped at 64 KB).
/// `Confirmer::page_css` fetches and inlines them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PageStyles {
    pub links: Vec<String>,
    pub inline: String,
}

const MAX_STYLESHEETS: usize = 10;
const INLINE_STYLE_LIMIT: usize = 64 * 1024;
const STYLESHEET_LIMIT: usize = 512 * 1024;
const PAGE_CSS_LIMIT: usize = 2 * 1024 * 1024;

impl PageStyles {
    /// The styles of `html`, fetched from `url`.
    pub fn of(html: &str, url: &str) -> PageStyles {
        let document = Html::parse_document(html);
        let base = reqwest::Url::parse(url).ok();
        let link = Selector::parse("link[rel][href]").expect("valid selector");
        let links = document
            .select(&link)
            .filter(|l| {
                l.value().attr("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("stylesheet"))
                })
            })
            .filter_map(|l| {
                let href = l.value().attr("href")?;
                let url = base.as_ref()?.join(href.trim()).ok()?;
                matches!(url.scheme(), "http" | "https").then(|| url.to_string())
            })
            .take(MAX_STYLESHEETS)
            .collect();
        let style = Selector::parse("style").expect("valid selector");
        let mut inline = String::new();
        for s in document.select(&style) {
            // Not the fallbacks meant for script-less or template content.
            let hidden = s.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "noscript" | "template"))
            });
            if !hidden {
                inline.extend(s.text());
                inline.push('\n');
            }
        }
        PageStyles {
            links,
            inline: cap(inlinable_css(&inline, url), INLINE_STYLE_LIMIT),
        }
    }
}

/// One stylesheet made safe to inline into a `<style>` of another document: relative
/// `url(…)`s made absolute against where it came from, `@import`s dropped (they
/// would load unchecked), and nothing that could close the `<style>` element.
pub fn inlinable_css(css: &str, from: &str) -> String {
    let base = reqwest::Url::parse(from).ok();
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("url(") {
        out.push_str(&rest[..at + 4]);
        rest = &rest[at + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        let raw = rest[..end].trim().trim_matches(['"', '\'']);
        let absolute = base
            .as_ref()
            .filter(|_| !raw.starts_with("data:"))
            .and_then(|b| b.join(raw).ok())
            .map_or_else(|| raw.to_owned(), |u| u.to_string());
        out.push('"');
        out.push_str(&absolute.replace(['"', '\\', '\n'], ""));
        out.push('"');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.trim_start().to_ascii_lowercase().starts_with("@import"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("</", "<\\/")
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

    pub fn config(&self) -> &ConfirmConfig {
        &self.config
    }

    /// Polls `url` until it serves `expected` or `timeout` has passed. `on_poll` sees
    /// every poll as it happens.
    pub async fn confirm(
        &self,
        url: &str,
        expected: &Expected,
        timeout: Duration,
        on_poll: impl FnMut(&Poll),
    ) -> Confirmation {
        self.confirm_target(&Target::page(url), expected, timeout, on_poll)
            .await
    }

    /// The page's styles as one stylesheet to inline: its linked stylesheets fetched
    /// (same client, same origin-bound redirects and timeouts as confirmation; each
    /// capped at 512 KB, 2 MB in all; one that fails is left out) and made inlinable,
    /// then its own `<style>` text.
    pub async fn page_css(&self, styles: &PageStyles) -> String {
        let fetches = styles
            .links
            .iter()
            .take(MAX_STYLESHEETS)
            .map(|link| async move {
                let response = self
                    .http
                    .get(link)
                    .timeout(self.config.request_timeout)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())?;
                Some(inlinable_css(
                    &read_prefix(response, STYLESHEET_LIMIT).await,
                    link,
                ))
            });
        let mut css = String::new();
        for sheet in futures_util::future::join_all(fetches)
            .await
            .into_iter()
            .flatten()
        {
            css.push_str(&sheet);
            css.push('\n');
        }
        // Made inlinable when it was read; whatever the store holds, it closes nothing.
        css.push_str(&styles.inline.replace("</", "<\\/"));
        cap(css, PAGE_CSS_LIMIT)
    }

    /// Confirms every target at once (each as `confirm_target`); `on_poll` sees each
    /// poll with the index of its target.
    pub async fn confirm_all(
        &self,
        targets: &[Target],
        expected: &Expected,
        timeout: Duration,
        on_poll: impl FnMut(usize, &Poll),
    ) -> Vec<Confirmation> {
        // Shared by the target loops, which run in one task (a lock never contended).
        let on_poll = std::sync::Mutex::new(on_poll);
        let on_poll = &on_poll;
        let runs = targets.iter().enumerate().map(|(i, target)| {
            self.confirm_target(target, expected, timeout, move |poll| {
                (on_poll.lock().unwrap_or_else(|p| p.into_inner()))(i, poll)
            })
        });
        futures_util::future::join_all(runs).await
    }

    /// Polls `target` until it serves `expected` — and goes on serving it for
    /// `verify_samples` fetches more (three per instance told apart), so one fresh
    /// instance or cache among stale ones is never taken for the site — or until
    /// `timeout` has passed.
    pub async fn confirm_target(
        &self,
        target: &Target,
        expected: &Expected,
        timeout: Duration,
        mut on_poll: impl FnMut(&Poll),
    ) -> Confirmation {
        let url = target.url.as_str();
        let start = Instant::now();
        let mut polls = Vec::new();
        let mut intervals = self.config.intervals.iter().copied();
        let mut wait = Duration::ZERO;
        let mut last_page: Option<(String, String)> = None;
        // What each instance served last (by its header; "" when it sets none).
        let mut seen: Vec<InstanceSeen> = Vec::new();
        // Answers since the first fresh one of the current run of fresh answers.
        let mut verifying: Option<(usize, Method)> = None;
        loop {
            let (poll, page, method) = self.poll(target, expected, start).await;
            on_poll(&poll);
            let verdict = poll.verdict;
            note_instance(&mut seen, &poll);
            polls.push(poll);
            if page.is_some() {
                last_page = page;
            }
            verifying = match (verdict, verifying) {
                (Outcome::Live, None) => Some((0, method.unwrap_or(Method::Exact))),
                (Outcome::Live, Some((n, m))) => Some((n + 1, m)),
                _ => None,
            };
            let needed = self.config.verify_samples.max(3 * seen.len());
            if let Some((n, method)) = verifying {
                if n >= needed {
                    let (page_text, page_styles, page_html) = kept_page(last_page, url);
                    return Confirmation {
                        url: url.to_owned(),
                        instance: target.instance.clone(),
                        mixed: Vec::new(),
                        outcome: Outcome::Live,
                        method: Some(method),
                        message: live_message(url, expected, method, start.elapsed()),
                        polls,
                        page_text,
                        page_styles,
                        page_html,
                    };
                }
                // Verifying: the next answer at once (it may come from another instance).
                if start.elapsed() < timeout {
                    continue;
                }
            }
            wait = intervals.next().unwrap_or(wait);
            if start.elapsed() + wait > timeout {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        let last = polls.last().expect("at least one poll");
        // Fresh and stale answers both came: several instances or caches answer here.
        let mixed = mixed_answers(&seen, &polls);
        let message = if mixed.is_empty() {
            give_up_message(url, expected, last, timeout)
        } else {
            partly_message(url, expected, &mixed)
        };
        let (page_text, page_styles, page_html) = kept_page(last_page, url);
        Confirmation {
            url: url.to_owned(),
            instance: target.instance.clone(),
            outcome: if mixed.is_empty() {
                last.verdict
            } else {
                Outcome::Stale
            },
            method: None,
            message,
            mixed,
            polls,
            page_text,
            page_styles,
            page_html,
        }
    }

    async fn poll(
        &self,
        target: &Target,
        expected: &Expected,
        start: Instant,
    ) -> (Poll, Option<(String, String)>, Option<Method>) {
        let url = target.url.as_str();
        let mut poll = Poll {
            elapsed_ms: 0,
            status: None,
            x_nextjs_cache: None,
            age: None,
            cache_control: None,
            etag: None,
            cf_cache_status: None,
            x_vercel_cache: None,
            x_cache: None,
            instance: None,
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
        poll.cf_cache_status = header("cf-cache-status");
        poll.x_vercel_cache = header("x-vercel-cache");
        poll.x_cache = header("x-cache-status").or_else(|| header("x-cache"));
        poll.instance = header(INSTANCE_HEADER);
        let header_revision = header("x-content-revision");
        let location = header("location");
        let ok = response.status().is_success();
        let body = read_prefix(response, self.config.max_page).await;
        poll.elapsed_ms = start.elapsed().as_millis() as u64;
        if expected.gone && !target.listing && matches!(poll.status, Some(404 | 410)) {
            // Taken down: what an unpublish must show.
            poll.verdict = Outcome::Live;
            return (poll, None, Some(Method::Exact));
        }
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
        if target.listing {
            // A listing shows many documents: the published revision among its items'
            // markers is fresh; markers without it, stale; no markers, the new title.
            let listed = page.item_revisions.contains(&expected.revision);
            let (verdict, method) = if expected.gone {
                // Taken down: the listing no longer has the item (by its marker).
                if listed {
                    poll.seen_revision = Some(expected.revision.clone());
                    (Outcome::Stale, None)
                } else {
                    (Outcome::Live, Some(Method::Exact))
                }
            } else if listed {
                poll.seen_revision = Some(expected.revision.clone());
                (Outcome::Live, Some(Method::Exact))
            } else if !page.item_revisions.is_empty() {
                (Outcome::Stale, None)
            } else if !expected.title.is_empty() && normalize(&page.text).contains(&expected.title)
            {
                (Outcome::Live, Some(Method::Heuristic))
            } else {
                (Outcome::Stale, None)
            };
            poll.verdict = verdict;
            let text = cap(page.text, PAGE_TEXT_LIMIT);
            return (poll, Some((text, body)), method);
        }
        poll.seen_revision = header_revision.or(page.revision);
        if expected.gone {
            // The page is still there: not taken down yet.
            poll.verdict = Outcome::Stale;
            let text = cap(page.text, PAGE_TEXT_LIMIT);
            return (poll, Some((text, body)), None);
        }
        let (mut verdict, mut method) = match &poll.seen_revision {
            Some(seen) if *seen == expected.revision => (Outcome::Live, Some(Method::Exact)),
            Some(_) => (Outcome::Stale, None),
            None if heuristic_match(&page.text, expected) => {
                (Outcome::Live, Some(Method::Heuristic))
            }
            None => (Outcome::Stale, None),
        };
        if verdict == Outcome::Live {
            // The text is there: its images must be too.
            if let Err(missing) = self.images_load(&body, url, &expected.images).await {
                (verdict, method) = (Outcome::HttpError, None);
                poll.error = Some(missing);
            }
            poll.elapsed_ms = start.elapsed().as_millis() as u64;
        }
        poll.verdict = verdict;
        let text = cap(page.text, PAGE_TEXT_LIMIT);
        (poll, Some((text, body)), method)
    }

    /// Whether each of `images` (SHA-256s) is on the page `html` at `url` (an `<img>`
    /// whose address names its first 16 hex digits: the content API's, a CMS's upload,
    /// an image proxy's) and loads there: an image answer to a GET, body not read.
    async fn images_load(
        &self,
        html: &str,
        url: &str,
        images: &[Vec<String>],
    ) -> Result<(), String> {
        if images.is_empty() {
            return Ok(());
        }
        let sources: Vec<String> = {
            let document = Html::parse_document(html);
            let img = Selector::parse("img[src]").expect("valid selector");
            document
                .select(&img)
                .filter_map(|e| e.value().attr("src"))
                .map(str::to_owned)
                .collect()
        };
        let base = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
        for shas in images {
            // Its first 16 hex digits (or a copy's): in the content API's address, and
            // in the file name it is uploaded to a CMS under (`cms::upload_name`).
            let shorts: Vec<&str> = shas.iter().map(|sha| &sha[..16.min(sha.len())]).collect();
            let short = shorts.first().copied().unwrap_or_default();
            let Some(src) = sources
                .iter()
                .find(|s| shorts.iter().any(|short| s.contains(short)))
            else {
                return Err(format!("the page does not show image {short}… yet"));
            };
            let Ok(image_url) = base.join(src) else {
                return Err(format!(
                    "image {short}… has an address that cannot be fetched"
                ));
            };
            if !matches!(image_url.scheme(), "http" | "https") {
                return Err(format!(
                    "image {short}… is not at an http(s) address: {src}"
                ));
            }
            let answer = self.http.get(image_url.clone()).send().await;
            match answer {
                Ok(r)
                    if r.status().is_success()
                        && r.headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|t| t.starts_with("image/")) => {}
                Ok(r) => {
                    return Err(format!(
                        "its image {image_url} answered {}",
                        r.status().as_u16()
                    ))
                }
                Err(_) => return Err(format!("its image {image_url} could not be fetched")),
            }
        }
        Ok(())
    }
}

/// What a confirmation keeps of the last page it fetched (`(text, html)`): its visible
/// text, its styles, and the page made safe to show.
fn kept_page(
    last_page: Option<(String, String)>,
    url: &str,
) -> (Option<String>, Option<PageStyles>, Option<String>) {
    match last_page {
        Some((text, html)) => (
            Some(text),
            Some(PageStyles::of(&html, url)),
            Some(sanitize(&html, url)),
        ),
        None => (None, None, None),
    }
}

/// The fetched page made safe to show: ammonia's defaults (no script, style, event
/// handlers or javascript: URLs), capped; the text of head-only elements (`<title>`)
/// and of `<noscript>`/`<template>` goes with them rather than onto the page.
fn sanitize(html: &str, url: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.clean_content_tags(
        ["script", "style", "title", "noscript", "template"]
            .into_iter()
            .collect(),
    )
    // The page's landmarks and what its own stylesheets select on.
    .add_tags(["main", "header", "section"])
    .add_generic_attributes(["class", "id"]);
    if let Ok(base) = reqwest::Url::parse(url) {
        b.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
    }
    b.clean(&cap(html.to_owned(), PAGE_HTML_LIMIT)).to_string()
}

/// What confirmation reads of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// `<meta name="content-revision" content="…">`, or else the revision marker a
    /// published body carries (`cms::revision_marker`: a page that shows a CMS post's
    /// content shows which revision it is) when the page has exactly one.
    pub revision: Option<String>,
    /// Every `data-content-revision="…"` on the page (a listing's items).
    pub item_revisions: Vec<String>,
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
    crate::diff::lines(&render_lines(title, local_html), &reader_lines(page_text))
}

/// The lines of text a publish changed: those of the new render (title and body) that
/// the previous one did not have — what the side-by-side highlights on both sides.
pub fn changed_text(old: (&str, &str), new: (&str, &str)) -> Vec<String> {
    crate::diff::lines(&render_lines(old.0, old.1), &render_lines(new.0, new.1))
        .into_iter()
        .filter(|l| l.op == "insert")
        .map(|l| l.text)
        .collect()
}

/// A local render's visible text (its title, then the body), as `reader_lines`.
fn render_lines(title: &str, html: &str) -> String {
    let body = Page::parse(&format!("<!doctype html><html><body>{html}</body></html>"));
    reader_lines(&format!("{title}\n{}", body.text))
}

/// Lines as a reader sees them: trimmed, blank ones dropped.
fn reader_lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .fold(String::new(), |mut out, l| {
            out.push_str(l);
            out.push('\n');
            out
        })
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
            .map(|r| r.trim().to_owned())
            // An empty marker says nothing: the body's, or the heuristic.
            .filter(|r| !r.is_empty());
        let items = Selector::parse("[data-content-revision]").expect("valid selector");
        let item_revisions = document
            .select(&items)
            .filter_map(|e| e.value().attr("data-content-revision"))
            .map(|r| r.trim().to_owned())
            .collect();
        // The body's marker decides only when the page has one revision in bodies: a
        // page that also shows other posts in full says nothing certain.
        let marker = crate::cms::MARKER_ATTRIBUTE;
        let bodies = Selector::parse(&format!("[{marker}]")).expect("valid selector");
        let mut body_revisions: Vec<String> = document
            .select(&bodies)
            .filter_map(|e| e.value().attr(marker))
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
        body_revisions.sort_unstable();
        body_revisions.dedup();
        let revision = revision.or_else(|| match body_revisions.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        });
        let mut text = String::new();
        visible_text(document.root_element(), &mut text);
        Page {
            revision,
            item_revisions,
            text,
        }
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

/// Records what the instance that answered `poll` served (answers without the
/// instance header are one unnamed instance).
fn note_instance(seen: &mut Vec<InstanceSeen>, poll: &Poll) {
    if !matches!(poll.verdict, Outcome::Live | Outcome::Stale) {
        return;
    }
    let id = poll.instance.clone();
    let now = InstanceSeen {
        id: id.clone(),
        fresh: poll.verdict == Outcome::Live,
        revision: poll.seen_revision.clone(),
    };
    match seen.iter_mut().find(|s| s.id == id) {
        Some(s) => *s = now,
        None => seen.push(now),
    }
}

/// When fresh and stale answers came from one URL after the first fresh one: what each
/// instance served last (by header), or, without the header, the two kinds of answer.
fn mixed_answers(seen: &[InstanceSeen], polls: &[Poll]) -> Vec<InstanceSeen> {
    let named: Vec<InstanceSeen> = seen.iter().filter(|s| s.id.is_some()).cloned().collect();
    if named.len() > 1 && named.iter().any(|s| s.fresh) && named.iter().any(|s| !s.fresh) {
        return named;
    }
    let first_fresh = polls.iter().position(|p| p.verdict == Outcome::Live);
    let Some(first_fresh) = first_fresh else {
        return Vec::new();
    };
    let stale_after = polls[first_fresh..]
        .iter()
        .rev()
        .find(|p| p.verdict == Outcome::Stale);
    match stale_after {
        Some(stale) if named.len() <= 1 => vec![
            InstanceSeen {
                id: None,
                fresh: true,
                revision: polls[first_fresh].seen_revision.clone(),
            },
            InstanceSeen {
                id: None,
                fresh: false,
                revision: stale.seen_revision.clone(),
            },
        ],
        _ => Vec::new(),
    }
}

fn partly_message(url: &str, expected: &Expected, mixed: &[InstanceSeen]) -> String {
    let named = mixed.iter().all(|m| m.id.is_some());
    let old = |m: &InstanceSeen| {
        m.revision
            .as_deref()
            .map_or("an older version".to_owned(), |r| format!("revision {r}"))
    };
    if named {
        let fresh = mixed.iter().filter(|m| m.fresh).count();
        let stale: Vec<String> = mixed
            .iter()
            .filter(|m| !m.fresh)
            .map(|m| {
                let id = m.id.as_deref().unwrap_or_default();
                format!("instance {id} still serves {}", old(m))
            })
            .collect();
        format!(
            "Partly live: {fresh} of {} instances serve revision {} at {url}; {}. Send the \
             webhook to every instance (list them in the site's instances) or give the \
             instances a shared cache handler.",
            mixed.len(),
            expected.revision,
            stale.join("; ")
        )
    } else {
        let stale = mixed.iter().find(|m| !m.fresh);
        format!(
            "Partly live: {url} served revision {} and then {} again — several instances \
             or caches answer for it and not all of them were revalidated. Send the webhook \
             to every instance (list them in the site's instances), give the instances a \
             shared cache handler, or purge the cache in front.",
            expected.revision,
            stale.map_or("an older version".to_owned(), old)
        )
    }
}

/// A shared cache (CDN, proxy) answered this poll: what it said, for the message.
pub fn cache_hit(poll: &Poll) -> Option<String> {
    let hit = |v: &Option<String>| {
        v.as_deref().is_some_and(|v| {
            matches!(
                v.to_ascii_uppercase().as_str(),
                "HIT" | "STALE" | "UPDATING"
            )
        })
    };
    if hit(&poll.cf_cache_status) {
        return Some(format!(
            "cf-cache-status: {}",
            poll.cf_cache_status.as_deref()?
        ));
    }
    if hit(&poll.x_vercel_cache) {
        return Some(format!(
            "x-vercel-cache: {}",
            poll.x_vercel_cache.as_deref()?
        ));
    }
    if hit(&poll.x_cache) {
        return Some(format!("x-cache: {}", poll.x_cache.as_deref()?));
    }
    match poll
        .age
        .as_deref()
        .and_then(|a| a.trim().parse::<u64>().ok())
    {
        Some(age) if age > 0 => Some(format!("age: {age} s")),
        _ => None,
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
    if expected.gone {
        return format!(
            "Taken down: {url} no longer serves revision {} ({ms} ms).",
            expected.revision
        );
    }
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
    if expected.gone && last.verdict == Outcome::Stale {
        return format!(
            "Still there after {secs:.0} s: {url} answers {} instead of 404 or 410. The site \
             has not taken the page down; check that its handler revalidates on \
             content.unpublished, then re-send.",
            last.status.unwrap_or(0)
        );
    }
    match last.verdict {
        Outcome::Stale if cache_hit(last).is_some() => format!(
            "Still stale after {secs:.0} s: {url} is served from a cache in front of the site \
             ({}) with {} instead of {}. The CDN keeps the old page: add a purge target for \
             it (the Cloudflare purge presets) or lower its cache time, then re-send.",
            cache_hit(last).unwrap_or_default(),
            last.seen_revision
                .as_deref()
                .map_or("an older version".to_owned(), |r| format!("revision {r}")),
            expected.revision
        ),
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
            // The page itself answered with the new text: its images did not load.
            Some(why) if last.status.is_some_and(|s| (200..300).contains(&s)) => format!(
                "{url} shows the new text, but {why} until the time was up ({secs:.0} s). A \
                 page is live only with its images: check that the site shows the images \
                 where Pressroom uploaded them, then re-send the webhook."
            ),
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
        let page = Page::parse(r#"<p>Hi</p><div hidden data-pressroom-revision="r_1"></div>"#);
        assert_eq!(page.revision.as_deref(), Some("r_1"), "the body's marker");
        let page = Page::parse(
            r#"<meta name="content-revision" content=""><div data-pressroom-revision="r_1"></div>
               <aside><div data-pressroom-revision="r_2"></div></aside>"#,
        );
        assert_eq!(
            page.revision, None,
            "an empty meta, two bodies: nothing certain"
        );
        assert!(page.item_revisions.is_empty());
        let page = Page::parse(
            r#"<html><head><title>T</title><meta name="content-revision" content=" r_0123 ">
            <style>p{}</style></head><body><h1>Hello</h1><script>var secret = 1</script>
            <p>World <b>bold</b></p><noscript>no</noscript></body></html>"#,
        );
        assert_eq!(page.revision.as_deref(), Some("r_0123"));
        assert_eq!(normalize(&page.text), "hello world bold");
    }

    #[test]
    fn a_page_keeps_its_styles_and_nothing_that_escapes_them() {
        let styles = PageStyles::of(
            r#"<html><head>
            <link rel="stylesheet" href="/_next/static/css/a.css">
            <link rel="preload stylesheet" href="https://cdn.example/b.css">
            <link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="javascript:x()">
            <style>body { background: url(bg.png) } </style><style>p{}</style>
            <noscript><style>.js-only{display:none}</style></noscript>
            </head><body><p>Text</p></body></html>"#,
            "https://blog.example/posts/a",
        );
        assert_eq!(
            styles.links,
            [
                "https://blog.example/_next/static/css/a.css",
                "https://cdn.example/b.css"
            ]
        );
        assert!(
            styles
                .inline
                .contains(r#"url("https://blog.example/posts/bg.png")"#),
            "{}",
            styles.inline
        );
        assert!(styles.inline.contains("p{}") && !styles.inline.contains("js-only"));

        let css = inlinable_css(
            "@import url(evil.css);\n.a{background:url('../img/x.png')} .b{background:url(data:image/png;base64,AA)}\n.c::after{content:\"</style><script>x()</script>\"}",
            "https://blog.example/static/css/site.css",
        );
        assert!(!css.contains("@import") && !css.contains("</"), "{css}");
        assert!(
            css.contains(r#"url("https://blog.example/static/img/x.png")"#),
            "{css}"
        );
        assert!(css.contains(r#"url("data:image/png;base64,AA")"#), "{css}");
    }

    #[test]
    fn the_page_shown_keeps_classes_and_absolute_links() {
        let shown = sanitize(
            r#"<body><main class="post" id="top"><img src="/img/a.png"><a href="../b">b</a></main></body>"#,
            "https://blog.example/posts/a",
        );
        assert!(
            shown.contains(r#"class="post""#) && shown.contains(r#"id="top""#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"src="https://blog.example/img/a.png""#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"href="https://blog.example/b""#),
            "{shown}"
        );
    }

    #[test]
    fn the_page_shown_has_no_script_and_no_head_text() {
        let shown = sanitize(
            r#"<html><head><title>Tab title</title><script>alert(1)</script></head><body>
            <h1 onclick="x()">Hello</h1><img src="a.png" onerror="x()"><a href="javascript:x()">l</a>
            <noscript>enable js</noscript><p>World</p></body></html>"#,
            "https://blog.example/posts/a",
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
