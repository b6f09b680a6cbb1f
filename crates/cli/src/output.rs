//! Printing results: one function per kind of result, each with a human form and the
//! `--json` form (the serialized core type, so scripts see the same fields as the app).

use std::io::Write;

use pressroom_core::cms::RemotePost;
use pressroom_core::folder::ImportReport;
use pressroom_core::publish::ApiSettings;
use pressroom_core::publisher::{Event, RunReport, ScheduleOutcome};
use pressroom_core::sites::WithSecret;
use pressroom_core::stage::Stage;
use pressroom_core::store::{
    Attempt, Delivery, Destination, DiffLine, RevisionInfo, SearchHit, Site,
};
use pressroom_core::{Document, DocumentSummary, Status};
use serde::Serialize;

pub struct Output {
    pub json: bool,
}

fn stage_label(stage: &Stage, confirming: bool) -> &'static str {
    match stage {
        Stage::Live { .. } => "live ✓",
        Stage::Stale { .. } => "still stale",
        Stage::Failed { .. } => "failed",
        Stage::Accepted if confirming => "webhook delivered (to be confirmed)",
        Stage::Accepted => "webhook delivered",
        Stage::Confirming { .. } => "confirming",
        Stage::Queued | Stage::Sending { .. } | Stage::RetryAt { .. } => {
            "webhook pending (will retry)"
        }
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Published => "published",
        Status::Modified => "modified",
    }
}

impl Output {
    fn print_json<T: Serialize + ?Sized>(&self, value: &T) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("output types serialize")
        );
    }

    pub fn error(&self, err: &anyhow::Error) {
        let kind = err
            .downcast_ref::<pressroom_core::Error>()
            .map_or("error", pressroom_core::Error::kind);
        if self.json {
            let body = serde_json::json!({"error": {"kind": kind, "message": format!("{err:#}")}});
            eprintln!("{body}");
        } else {
            eprintln!("error: {err:#}");
        }
    }

    pub fn document(&self, doc: &Document) {
        if self.json {
            return self.print_json(doc);
        }
        print!("{}", doc.source);
        if !doc.source.ends_with('\n') {
            println!();
        }
        self.parse_warning(doc);
    }

    /// A one-line confirmation after a write, plus any front matter problem.
    pub fn wrote(&self, verb: &str, doc: &Document) {
        if self.json {
            return self.print_json(doc);
        }
        println!(
            "{verb} {} ({}, {})",
            doc.slug,
            status_label(doc.status),
            doc.revision
                .as_deref()
                .unwrap_or("no revision: fix the front matter")
        );
        self.parse_warning(doc);
    }

    fn parse_warning(&self, doc: &Document) {
        if let Some(p) = &doc.parse_error {
            eprintln!(
                "warning: {}: front matter, line {}: {} (the draft is saved; fix it before publishing)",
                doc.slug, p.line, p.message
            );
        }
    }

    pub fn html(&self, slug: &str, html: &str) {
        if self.json {
            return self.print_json(&serde_json::json!({"slug": slug, "html": html}));
        }
        println!("{html}");
    }

    pub fn documents(&self, docs: &[DocumentSummary]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "documents": docs }));
        }
        if docs.is_empty() {
            println!("No documents yet. Create one with `pressroom doc new SLUG`.");
        }
        // One write for the whole list (stdout is line-buffered: a write per line made
        // listing 10 000 documents mostly system calls). A closed pipe (`| head`) ends
        // the listing quietly.
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        for d in docs {
            let title = if d.title.is_empty() {
                "(untitled)"
            } else {
                &d.title
            };
            let flag = if d.has_error {
                "  ! front matter error"
            } else {
                ""
            };
            // Columns padded by hand: the formatter pads a character at a time.
            let line = [
                d.slug.as_str(),
                pad(&d.slug, 32),
                " ",
                status_label(d.status),
                pad(status_label(d.status), 10),
                " ",
                title,
                flag,
                "\n",
            ];
            if line
                .iter()
                .any(|part| w.write_all(part.as_bytes()).is_err())
            {
                return;
            }
        }
        let _ = w.flush();
    }

    pub fn history(&self, slug: &str, revisions: &[RevisionInfo]) {
        if self.json {
            return self.print_json(&serde_json::json!({"slug": slug, "revisions": revisions}));
        }
        for r in revisions {
            println!(
                "{:>6}  {}  {:>8} bytes  {:<18}  {}",
                r.id,
                r.created_at,
                r.bytes,
                r.content_revision
                    .as_deref()
                    .unwrap_or("(front matter error)"),
                r.change.as_deref().unwrap_or("")
            );
        }
    }

    pub fn diff(&self, lines: &[DiffLine]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "lines": lines }));
        }
        for l in lines {
            let sign = match l.op {
                "insert" => '+',
                "delete" => '-',
                _ => ' ',
            };
            println!("{sign}{}", l.text);
        }
    }

    pub fn import_report(&self, report: &ImportReport) {
        if self.json {
            return self.print_json(report);
        }
        println!(
            "{} created, {} updated, {} unchanged, {} failed",
            report.created.len(),
            report.updated.len(),
            report.unchanged.len(),
            report.failed.len()
        );
        for f in &report.failed {
            eprintln!("failed: {}: {}", f.path.display(), f.message);
        }
        for b in &report.broken {
            eprintln!(
                "imported with broken front matter: {} ({}), line {}: {} — fix it in `pressroom doc edit {}`",
                b.path.display(),
                b.slug,
                b.line,
                b.message,
                b.slug
            );
        }
    }

    pub fn exported(&self, paths: &[std::path::PathBuf]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "files": paths }));
        }
        for p in paths {
            println!("{}", p.display());
        }
    }

    pub fn deleted(&self, slug: &str) {
        if self.json {
            return self.print_json(&serde_json::json!({"deleted": slug, "trash": true}));
        }
        println!(
            "moved {slug} to the Trash (`pressroom doc undelete {slug}` brings it back for 30 days)"
        );
    }

    pub fn trash(&self, trashed: &[pressroom_core::store::Trashed]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "trash": trashed }));
        }
        if trashed.is_empty() {
            return println!("the Trash is empty");
        }
        for t in trashed {
            println!("{:<30} {:<40} deleted {}", t.slug, t.title, t.deleted_at);
        }
    }

    pub fn search_hits(&self, hits: &[SearchHit]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "hits": hits }));
        }
        for h in hits {
            let snippet: String = h
                .snippet
                .iter()
                .map(|p| {
                    if p.hit {
                        format!("[{}]", p.text)
                    } else {
                        p.text.clone()
                    }
                })
                .collect();
            println!("{:<32} {}", h.slug, h.title);
            println!(
                "    {}",
                snippet.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }

    /// The address first, on its own line, so scripts and tests can wait for it.
    pub fn serving(&self, addr: std::net::SocketAddr, generated_token: Option<&str>) {
        let url = format!("http://{addr}");
        if self.json {
            println!(
                "{}",
                serde_json::json!({"listening": url, "generated_token": generated_token})
            );
        } else {
            println!("Content API listening on {url}");
            if let Some(token) = generated_token {
                println!("Write token (shown once, store it somewhere safe): {token}");
            }
        }
        let _ = std::io::stdout().flush();
    }

    pub fn demo_site(&self, addr: std::net::SocketAddr) {
        let url = format!("http://{addr}");
        if self.json {
            println!("{}", serde_json::json!({ "listening": url }));
        } else {
            println!("Demo site listening on {url}");
            println!("  pages:   {url}/posts/{{slug}}");
            println!("  webhook: {url}/api/revalidate");
        }
        let _ = std::io::stdout().flush();
    }

    pub fn sandbox(&self, dir: &std::path::Path, api: &str, site: &str) {
        if self.json {
            println!(
                "{}",
                serde_json::json!({"workspace": dir, "content_api": api, "demo_site": site})
            );
        } else {
            println!("Sandbox running (Ctrl+C stops it)");
            println!("  content API: {api}");
            println!("  demo site:   {site}");
            println!("  workspace:   {}", dir.display());
            println!("In another terminal, publish a sample and watch it go live:");
            println!(
                "  pressroom --data-dir '{}' publish welcome --wait-live",
                dir.display()
            );
        }
        let _ = std::io::stdout().flush();
    }

    pub fn api_settings(&self, settings: &ApiSettings) {
        if self.json {
            return self.print_json(settings);
        }
        let token = match (settings.token_env.as_deref(), settings.token_stored) {
            (Some(var), _) => format!("token from ${var}"),
            (None, true) => "token in the secret store".to_owned(),
            (None, false) => "no token".to_owned(),
        };
        println!("content API: {} ({token})", settings.url);
    }

    /// Prints the publisher's events as they happen (nothing with `--json`, which
    /// prints the whole report at the end).
    pub fn event_printer(&self, api: &str) -> impl FnMut(&Event) {
        let (json, api) = (self.json, api.to_owned());
        move |event| {
            if json {
                return;
            }
            let line = match event {
                Event::Published {
                    slug,
                    revision,
                    created,
                    already_live,
                    unpublish,
                    sites,
                    ..
                } => {
                    let what = if *unpublish {
                        "taken down"
                    } else if *already_live {
                        "already published"
                    } else if *created {
                        "published (new)"
                    } else {
                        "published"
                    };
                    let to = if sites.is_empty() {
                        "no sites to revalidate (add one with `pressroom site add`)".to_owned()
                    } else {
                        let names: Vec<&str> = sites.iter().map(|s| s.site.as_str()).collect();
                        format!("revalidating {}", names.join(", "))
                    };
                    format!("{slug} {what}: {revision} at {api}; {to}")
                }
                Event::Attempted {
                    site,
                    attempt,
                    status,
                    latency_ms,
                    error,
                    ..
                } => {
                    let answer = status.map_or_else(
                        || error.clone().unwrap_or_else(|| "no answer".into()),
                        |s| format!("{s} in {latency_ms} ms"),
                    );
                    format!("  {site:<16} webhook #{attempt}: {answer}")
                }
                Event::Confirming {
                    site,
                    url,
                    timeout_ms,
                    ..
                } => format!(
                    "  {site:<16} waiting for {url} (up to {:.0} s)",
                    *timeout_ms as f64 / 1000.0
                ),
                Event::Polled { site, poll, .. } => {
                    let status = poll.status.map_or("-".to_owned(), |s| s.to_string());
                    let cache = poll.x_nextjs_cache.as_deref().unwrap_or("");
                    let seen = poll.seen_revision.as_deref().unwrap_or("no marker");
                    let why = poll.error.as_deref().unwrap_or("");
                    format!(
                        "  {site:<16} +{} ms: {status} {cache} {seen} → {}{why}",
                        poll.elapsed_ms,
                        poll.verdict.as_str()
                    )
                }
                Event::Changed {
                    site,
                    stage,
                    message,
                    ..
                } => match stage {
                    Stage::Queued | Stage::Sending { .. } | Stage::Confirming { .. } => return,
                    Stage::Live { .. } | Stage::Accepted => format!("  {site:<16} ✓ {message}"),
                    Stage::RetryAt { at, .. } => {
                        format!("  {site:<16} … {message} (next try at {at})")
                    }
                    Stage::Stale { .. } | Stage::Failed { .. } => {
                        format!("  {site:<16} ✗ {message}")
                    }
                },
                Event::Scheduled { slug, outcome } => match outcome {
                    ScheduleOutcome::Published { late, .. } => format!(
                        "{slug}: published as scheduled{}",
                        late.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
                    ),
                    ScheduleOutcome::Retrying { error, at, .. } => format!(
                        "{slug}: the scheduled publish could not go out ({error}); trying again at {}",
                        pressroom_core::schedule::local(at)
                    ),
                    ScheduleOutcome::Failed { error } => {
                        format!("{slug}: ✗ the scheduled publish failed: {error}")
                    }
                },
            };
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
        }
    }

    /// One line per event, for `pressroom daemon` (JSON lines with `--json`).
    pub fn event_log(&self) -> impl FnMut(&Event) {
        let json = self.json;
        let mut human = self.event_printer("the content API");
        move |event| {
            if json {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(
                    stdout,
                    "{}",
                    serde_json::to_string(event).expect("events serialize")
                );
                let _ = stdout.flush();
            } else {
                human(event)
            }
        }
    }

    /// After a publish: each site's delivery and where it ended up.
    pub fn run_report(&self, report: &RunReport, deliveries: &[Delivery]) {
        if self.json {
            let mut value = serde_json::to_value(&report.publish).expect("reports serialize");
            value["deliveries"] = serde_json::to_value(deliveries).expect("deliveries serialize");
            value["results"] = serde_json::to_value(&report.sites).expect("results serialize");
            return self.print_json(&value);
        }
        if deliveries.is_empty() {
            return;
        }
        println!("Summary:");
        for d in deliveries {
            println!("{}", Self::delivery_line(d));
        }
        for s in &report.sites {
            let label = match s.stage {
                Stage::Live { .. } if report.publish.unpublished => "gone ✓",
                _ => stage_label(&s.stage, s.confirming),
            };
            println!("{:<20} {label}", s.site);
        }
    }

    pub fn destinations(&self, list: &[Destination]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "destinations": list }));
        }
        if list.is_empty() {
            println!("No destinations yet. Add one with `pressroom destination add`.");
        }
        for d in list {
            let who = if d.user.is_empty() {
                "with a token".to_owned()
            } else {
                format!("as {}", d.user)
            };
            println!("{:<20} {:<10} {} ({who})", d.name, d.kind, d.url);
        }
    }

    /// What a pull did.
    pub fn pull_report(&self, report: &pressroom_core::pull::PullReport) {
        if self.json {
            return self.print_json(report);
        }
        println!(
            "pulled {}: {} new, {} updated, {} unchanged, {} kept",
            report.destination,
            report.created.len(),
            report.updated.len(),
            report.unchanged,
            report.kept.len()
        );
        for slug in &report.created {
            println!("  new      {slug}");
        }
        for slug in &report.updated {
            println!("  updated  {slug}");
        }
        for kept in &report.kept {
            println!("  kept     {}: {}", kept.slug, kept.reason);
        }
    }

    /// A post published to a destination: where it is.
    pub fn remote_post(&self, slug: &str, destination: &str, post: &RemotePost) {
        if self.json {
            return self.print_json(
                &serde_json::json!({ "slug": slug, "destination": destination, "post": post }),
            );
        }
        println!(
            "published {slug} to {destination}: post {} at {}",
            post.id, post.link
        );
    }

    /// Scheduled publishes: when (on this machine's clock), where, and how each went.
    pub fn schedules(&self, list: &[pressroom_core::store::Schedule]) {
        use pressroom_core::schedule;
        if self.json {
            return self.print_json(&serde_json::json!({ "schedules": list }));
        }
        if list.is_empty() {
            println!("Nothing scheduled. `pressroom publish SLUG --at 2026-12-24T08:00` sets one.");
        }
        for s in list {
            let sites = if s.sites.is_empty() {
                "every enabled site".to_owned()
            } else {
                s.sites.join(", ")
            };
            let how = match s.state.as_str() {
                "pending" => match &s.error {
                    Some(e) => format!(
                        "scheduled, to be tried again (tried {} time{}: {e})",
                        s.attempts,
                        if s.attempts == 1 { "" } else { "s" }
                    ),
                    None => "scheduled".to_owned(),
                },
                "done" => match schedule::lateness(s) {
                    Some(late) => format!("published ({late})"),
                    None => "published".to_owned(),
                },
                "failed" => format!("failed: {}", s.error.as_deref().unwrap_or("")),
                other => other.to_owned(),
            };
            println!(
                "{:<24} {:<26} {how} — to {sites}",
                s.slug,
                schedule::local(&s.due_at)
            );
        }
    }

    /// Sentences about what was just done (not part of the `--json` answer).
    pub fn notes(&self, notes: &[String]) {
        if !self.json {
            for note in notes {
                println!("  {note}");
            }
        }
    }

    pub fn message(&self, text: &str) {
        if self.json {
            return self.print_json(&serde_json::json!({ "message": text }));
        }
        println!("{text}");
    }

    pub fn site_with_secret(&self, verb: &str, added: &WithSecret) {
        if self.json {
            return self.print_json(
                &serde_json::json!({"site": added.site, "new_secret": added.new_secret}),
            );
        }
        println!(
            "{verb} site {} ({})",
            added.site.name,
            added.site.preset.as_str()
        );
        if let Some(secret) = &added.new_secret {
            println!(
                "Secret (shown once; set it as the site's PRESSROOM_WEBHOOK_SECRET): {secret}"
            );
        }
    }

    pub fn sites(&self, sites: &[Site]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "sites": sites }));
        }
        if sites.is_empty() {
            println!("No sites yet. Add one with `pressroom site add NAME --webhook-url URL --page-url URL`.");
        }
        for s in sites {
            let state = if s.enabled {
                "enabled".to_owned()
            } else {
                format!(
                    "disabled: {}",
                    s.disabled_reason.as_deref().unwrap_or("by the user")
                )
            };
            let reads = s
                .destination
                .as_deref()
                .map(|d| format!("  reads {d}"))
                .unwrap_or_default();
            println!(
                "{:<20} {:<20} {} → {}  [{state}]{reads}",
                s.name,
                s.preset.as_str(),
                s.webhook_url,
                s.page_url_template
            );
        }
    }

    fn delivery_line(d: &Delivery) -> String {
        let status = d.last_status.map_or("-".to_owned(), |s| s.to_string());
        let why = d
            .last_error
            .as_deref()
            .map(|e| format!("  {e}"))
            .unwrap_or_default();
        format!(
            "{:>6}  {:<12} {:<16} {:<24} {} attempts, last {status}{why}",
            d.id,
            d.state.as_str(),
            d.site_name.as_deref().unwrap_or("(removed)"),
            d.slug,
            d.attempt_count
        )
    }

    pub fn delivery_results(&self, deliveries: &[Delivery]) {
        if self.json {
            return;
        }
        if deliveries.is_empty() {
            println!("no sites to revalidate (add one with `pressroom site add`)");
        }
        for d in deliveries {
            println!("{}", Self::delivery_line(d));
        }
    }

    pub fn deliveries(&self, deliveries: &[Delivery]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "deliveries": deliveries }));
        }
        for d in deliveries {
            println!("{}", Self::delivery_line(d));
        }
    }

    pub fn delivery_detail(&self, delivery: &Delivery, attempts: &[Attempt]) {
        if self.json {
            return self
                .print_json(&serde_json::json!({"delivery": delivery, "attempts": attempts}));
        }
        println!("{}", Self::delivery_line(delivery));
        println!("        webhook-id {}", delivery.message_id);
        for a in attempts {
            println!(
                "        {}  {}  {} ms  {}",
                a.started_at,
                a.status.map_or("-".to_owned(), |s| s.to_string()),
                a.latency_ms.unwrap_or(0),
                a.error.as_deref().unwrap_or("ok")
            );
        }
    }
}

/// The spaces that pad `text` to `width` columns (none when it is as wide already).
fn pad(text: &str, width: usize) -> &'static str {
    const SPACES: &str = "                                        ";
    let used = text.chars().count();
    &SPACES[..width.saturating_sub(used).min(SPACES.len())]
}
