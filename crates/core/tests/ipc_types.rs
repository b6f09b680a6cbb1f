//! The TypeScript types of everything the core hands the window — documents, search,
//! the live preview, sites, publishing, history, import, the publisher's events and
//! the delivery log — are generated from the Rust types (ts-rs), never written by
//! hand: this test fails when a committed file drifts from them.
//! `PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types` writes them
//! anew. (The app shell's own types are in `ui/src/lib/generated/app.ts`, checked by
//! `src-tauri/ipc_types.rs`.)

use pressroom_core::assets::{Asset, ImageSettings};
use pressroom_core::cms::Account;
use pressroom_core::confirm::PageStyles;
use pressroom_core::diff::DiffLine;
use pressroom_core::directus::{BodyFormat, FieldMapping};
use pressroom_core::folder::{BrokenFrontMatter, ImportFailure, ImportReport};
use pressroom_core::preview::{TextEdit, Update};
use pressroom_core::publish::{ApiSettings, PublishReport};
use pressroom_core::publisher::{Event, ScheduleOutcome};
use pressroom_core::pull::{Kept, PullReport, Why};
use pressroom_core::service::ServiceStatus;
use pressroom_core::stage::{Health, Partly, Stage};
use pressroom_core::store::{
    Attempt, ConfirmationRecord, Delivery, DeliveryState, Document, DocumentSummary, Method,
    Outcome, ParseProblem, Poll, Preset, PublishRecord, RevisionInfo, SearchHit, Site, SnippetPart,
    Standing, Status, Trashed,
};
use pressroom_core::store::{Destination, PendingWork, Schedule};
use pressroom_core::view::{Confirmed, DocumentSites, LatestPublish, PublishedView};
use pressroom_core::wire::ApiDocument;
use ts_rs::{Config, TS};

const HEADER: &str =
    "// Generated from the Rust types (crates/core/tests/ipc_types.rs); do not edit.\n\
     // PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types\n";

/// The publisher's events and the delivery log.
fn publisher(cfg: &Config) -> String {
    file(
        "",
        [
            decl::<Method>(cfg),
            decl::<Outcome>(cfg),
            decl::<Poll>(cfg),
            decl::<Partly>(cfg),
            decl::<Stage>(cfg),
            decl::<Health>(cfg),
            decl::<Standing>(cfg),
            decl::<ScheduleOutcome>(cfg),
            decl::<Event>(cfg),
            decl::<DeliveryState>(cfg),
            decl::<Delivery>(cfg),
            decl::<Attempt>(cfg),
        ],
    )
}

/// Everything else the window gets from the core (`decl` writes no imports: the
/// types of `publisher.ts` these refer to are imported here).
fn core(cfg: &Config) -> String {
    file(
        "\nimport type { Health, Method, Outcome, Poll, Standing } from \"./publisher\";\n",
        [
            decl::<Status>(cfg),
            decl::<ParseProblem>(cfg),
            decl::<Document>(cfg),
            decl::<DocumentSummary>(cfg),
            decl::<Trashed>(cfg),
            decl::<RevisionInfo>(cfg),
            decl::<DiffLine>(cfg),
            decl::<SnippetPart>(cfg),
            decl::<SearchHit>(cfg),
            decl::<Update>(cfg),
            decl::<TextEdit>(cfg),
            decl::<Preset>(cfg),
            decl::<Site>(cfg),
            decl::<ApiSettings>(cfg),
            decl::<ApiDocument>(cfg),
            decl::<PublishReport>(cfg),
            decl::<PublishRecord>(cfg),
            decl::<PageStyles>(cfg),
            decl::<ConfirmationRecord>(cfg),
            decl::<Confirmed>(cfg),
            decl::<PublishedView>(cfg),
            decl::<LatestPublish>(cfg),
            decl::<DocumentSites>(cfg),
            decl::<ImportFailure>(cfg),
            decl::<BrokenFrontMatter>(cfg),
            decl::<ImportReport>(cfg),
            decl::<Asset>(cfg),
            decl::<ImageSettings>(cfg),
            decl::<BodyFormat>(cfg),
            decl::<FieldMapping>(cfg),
            decl::<Destination>(cfg),
            decl::<Schedule>(cfg),
            decl::<PendingWork>(cfg),
            decl::<ServiceStatus>(cfg),
            decl::<Account>(cfg),
            decl::<Why>(cfg),
            decl::<Kept>(cfg),
            decl::<PullReport>(cfg),
        ],
    )
}

/// `T`'s declaration, exported, after its doc comment.
fn decl<T: TS>(cfg: &Config) -> String {
    format!("{}export {}", T::docs().unwrap_or_default(), T::decl(cfg))
}

fn file<const N: usize>(imports: &str, decls: [String; N]) -> String {
    let mut out = format!("{HEADER}{imports}");
    for decl in decls {
        out.push('\n');
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

/// The names a generated file declares.
fn declared(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export type "))
        .map(|l| &l[..l.find([' ', '<']).unwrap_or(l.len())])
}

#[test]
fn the_windows_types_are_generated_from_the_rust_types() {
    // Ids and milliseconds stay far below 2^53: plain numbers in TypeScript.
    let cfg = Config::new().with_large_int("number");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/generated");
    let files = [("publisher.ts", publisher(&cfg)), ("core.ts", core(&cfg))];
    let mut names: Vec<&str> = files.iter().flat_map(|(_, text)| declared(text)).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("{} is declared twice", twice[0]);
    }
    let mut stale = Vec::new();
    for (name, want) in &files {
        let path = dir.join(name);
        if std::env::var_os("PRESSROOM_WRITE_TYPES").is_some() {
            std::fs::write(&path, want).unwrap();
        }
        if std::fs::read_to_string(&path).unwrap_or_default() != *want {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with the Rust types: {}; run \
         `PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types`",
        stale.join(", ")
    );
}
