//! Properties over generated input (proptest): front matter, slugs, signing, the live
//! preview session, and the outbox's state machine under any interleaving of workers.

use proptest::prelude::*;
use std::time::Duration;

use pressroom_core::frontmatter;
use pressroom_core::preview::{Session, TextEdit};
use pressroom_core::signing::{self, Secret};
use pressroom_core::slug;
use pressroom_core::stage::Stage;
use pressroom_core::store::{AttemptRecord, DeliveryState, NewDelivery, NewSite, NextStep, Preset};
use pressroom_core::Store;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text with the characters that make front matter and markdown interesting.
fn texty() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("---".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just(": ".to_owned()),
            Just("- ".to_owned()),
            Just("&a ".to_owned()),
            Just("*a".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just("\"".to_owned()),
            Just("# ".to_owned()),
            Just("title".to_owned()),
            Just("tags".to_owned()),
            Just("é😀".to_owned()),
            "[a-z ]{0,8}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    /// Any text parses or is refused with a line inside the text; never a panic.
    #[test]
    fn front_matter_never_panics_and_errors_point_into_the_text(source in texty()) {
        if let Err(pressroom_core::Error::FrontMatter { line, .. }) = frontmatter::parse(&source) {
            let lines = source.lines().count().max(1) + 1;
            prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}");
        }
    }

    /// The title and tags fields write exactly what parsing reads back, and the body
    /// is kept byte for byte.
    #[test]
    fn with_fields_round_trips(
        title in "[A-Za-z0-9 :\"'#é-]{0,30}",
        tags in proptest::collection::vec("[a-z][a-z0-9 -]{0,10}[a-z0-9]", 0..4),
        body in "[A-Za-z0-9 \n#*-]{0,80}",
    ) {
        let source = format!("---\ntitle: x\nkeep: me\n---\n{body}");
        let written = frontmatter::with_fields(&source, &title, &tags).unwrap();
        let parsed = frontmatter::parse(&written).unwrap();
        prop_assert_eq!(parsed.title, title.trim());
        let mut want: Vec<String> = Vec::new();
        for t in &tags {
            let t = t.trim().to_owned();
            if !t.is_empty() && !want.contains(&t) {
                want.push(t);
            }
        }
        prop_assert_eq!(parsed.tags, want);
        prop_assert_eq!(parsed.body, body);
        prop_assert_eq!(&parsed.front_matter["keep"], "me");
    }

    /// A slug made from any text is valid (or empty), and making it again changes
    /// nothing.
    #[test]
    fn slugify_is_valid_and_idempotent(text in "\\PC{0,60}") {
        let slug = slug::slugify(&text);
        prop_assert!(slug.is_empty() || slug::is_valid(&slug), "{slug:?}");
        prop_assert_eq!(slug::slugify(&slug), slug.clone());
    }

    /// What is signed verifies; any change of id, timestamp or body does not.
    #[test]
    fn signatures_verify_exactly_what_was_signed(
        id in "msg_[a-z0-9]{1,20}",
        timestamp in 0i64..4_000_000_000,
        body in proptest::collection::vec(any::<u8>(), 0..200),
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = Secret::generate();
        let header = signing::sign(&id, timestamp, &body, &[&secret]);
        prop_assert!(signing::verify(&secret, &id, timestamp, &body, &header, timestamp, 300));
        let other_id = format!("{id}x");
        prop_assert!(!signing::verify(&secret, &other_id, timestamp, &body, &header, timestamp, 300));
        prop_assert!(!signing::verify(&secret, &id, timestamp + 1, &body, &header, timestamp, 300));
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = flip.index(body.len());
            changed[i] ^= 0x01;
            prop_assert!(!signing::verify(&secret, &id, timestamp, &changed, &header, timestamp, 300));
        }
        prop_assert!(!signing::verify(&Secret::generate(), &id, timestamp, &body, &header, timestamp, 300));
    }

    /// Blocks kept by the window from a session's answers always equal a fresh render
    /// of the same text, whatever the edits.
    #[test]
    fn preview_edits_add_up_to_a_fresh_render(
        start in texty(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), texty()), 1..12),
    ) {
        let mut session = Session::new();
        let first = session.render(start.clone());
        let mut shown = first.blocks;
        let mut version = first.version;
        let mut text: Vec<u16> = start.encode_utf16().collect();
        for (a, b, insert) in edits {
            // A range on character boundaries (never inside a surrogate pair).
            let chars: Vec<usize> = String::from_utf16(&text).unwrap()
                .char_indices().map(|(i, _)| i).collect();
            let as_text = String::from_utf16(&text).unwrap();
            let mut bounds: Vec<usize> = chars.iter()
                .map(|&i| as_text[..i].encode_utf16().count()).collect();
            bounds.push(text.len());
            let (mut from, mut to) = (bounds[a.index(bounds.len())], bounds[b.index(bounds.len())]);
            if from > to { std::mem::swap(&mut from, &mut to); }
            let mut next: Vec<u16> = text[..from].to_vec();
            next.extend(insert.encode_utf16());
            next.extend_from_slice(&text[to..]);
            let update = session.edit(&TextEdit {
                base: version,
                from,
                to,
                insert: insert.clone(),
                length: next.len(),
            }).unwrap();
            prop_assert_eq!(update.base, Some(version));
            shown.splice(update.start..update.start + update.removed, update.blocks);
            version = update.version;
            text = next;
        }
        let fresh = Session::new().render(String::from_utf16(&text).unwrap());
        prop_assert_eq!(shown, fresh.blocks);
    }
}

/// One step of the outbox model: which worker acts, and how.
#[derive(Debug, Clone)]
enum Step {
    /// Worker `w` claims what is due — with a lease that runs out at once when `short`
    /// (as if the worker had stalled), so another may take the deliveries over.
    Claim(usize, bool),
    /// Worker `w` records an outcome for everything it holds.
    Record(usize, u8),
    /// Worker `w` stops cleanly (gives up its leases).
    Release(usize),
    /// The user re-sends delivery `d`.
    Redeliver(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..3, any::<bool>()).prop_map(|(w, short)| Step::Claim(w, short)),
        (0usize..3, 0u8..4).prop_map(|(w, o)| Step::Record(w, o)),
        (0usize..3).prop_map(Step::Release),
        (0usize..4).prop_map(Step::Redeliver),
    ]
}

fn record(next: NextStep) -> AttemptRecord {
    AttemptRecord {
        started_at: "2026-12-02T00:00:00.000Z".into(),
        status: matches!(next, NextStep::Delivered).then_some(200),
        latency_ms: 1,
        response_headers: Default::default(),
        response_body: None,
        error: (!matches!(next, NextStep::Delivered)).then(|| "down".to_owned()),
        next,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, failure_persistence: None, ..ProptestConfig::default() })]

    /// However three workers interleave claims, answers and stops: a delivery is held by
    /// at most one worker at a time, a delivered one never becomes pending again except
    /// by a user's re-send, a stale worker's answer never undoes another's, and the
    /// stored stage always agrees with the queue state.
    #[test]
    fn the_outbox_state_machine_holds_under_any_interleaving(steps in proptest::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("w.db")).unwrap();
        let mut ids = Vec::new();
        for i in 0..4 {
            let site = store.add_site(&NewSite {
                name: format!("s{i}"),
                webhook_url: "http://127.0.0.1:9/hook".into(),
                page_url_template: "http://127.0.0.1:9/{slug}".into(),
                tag_templates: vec![],
                path_templates: vec![],
                preset: Preset::StandardWebhooks,
                destination: None,
            }, None).unwrap();
            ids.push(site.id);
        }
        let deliveries: Vec<NewDelivery> = ids.iter().enumerate().map(|(i, id)| NewDelivery {
            site_id: *id,
            message_id: format!("msg_{i}"),
            body: "{}".into(),
            confirm_timeout_ms: None,
        }).collect();
        let publish = store.record_publish_with_deliveries("p", "r_1", "x", false, &deliveries).unwrap();
        let owners = ["worker/a", "worker/b", "worker/c"];
        // What each worker holds: (delivery, whether its lease already ran out).
        let mut held: Vec<Vec<(i64, bool)>> = vec![Vec::new(); 3];
        // Who claimed each delivery last.
        let mut claimer: std::collections::HashMap<i64, usize> = Default::default();
        let mut redelivered = std::collections::HashSet::new();
        let mut was_delivered = std::collections::HashSet::new();
        for s in steps {
            match s {
                Step::Claim(w, short) => {
                    let lease = if short { Duration::ZERO } else { Duration::from_secs(60) };
                    let claimed = store.claim_due(owners[w], lease, 100).unwrap();
                    for d in &claimed {
                        for (other, list) in held.iter().enumerate() {
                            prop_assert!(other == w || !list.contains(&(d.id, false)),
                                "delivery {} claimed by {} while {} holds it", d.id, owners[w], owners[other]);
                        }
                        claimer.insert(d.id, w);
                    }
                    held[w].extend(claimed.iter().map(|d| (d.id, short)));
                }
                Step::Record(w, outcome) => {
                    let next = match outcome {
                        0 => NextStep::Delivered,
                        1 => NextStep::RetryIn(0),
                        2 => NextStep::Failed("gone".into()),
                        _ => NextStep::ConfigError("401".into()),
                    };
                    let records: Vec<(i64, AttemptRecord)> = held[w].drain(..).map(|(id, _)| (id, record(next.clone()))).collect();
                    let records: Vec<(i64, &AttemptRecord)> = records.iter().map(|(id, r)| (*id, r)).collect();
                    let moved = store.record_attempts(owners[w], &records).unwrap();
                    for m in &moved {
                        // A worker whose claim was taken over moves nothing; only an
                        // accepted answer counts whoever sent it.
                        prop_assert!(
                            claimer.get(&m.delivery_id) == Some(&w) || matches!(next, NextStep::Delivered),
                            "{} moved delivery {} that {:?} had taken over",
                            owners[w], m.delivery_id, claimer.get(&m.delivery_id)
                        );
                    }
                }
                Step::Release(w) => {
                    store.release_leases(owners[w]).unwrap();
                    held[w].clear();
                }
                Step::Redeliver(d) => {
                    let id = store.deliveries_of(publish).unwrap()[d].id;
                    if store.redeliver(id, None).is_ok() {
                        redelivered.insert(id);
                        claimer.remove(&id);
                        for list in held.iter_mut() { list.retain(|x| x.0 != id); }
                    }
                }
            }
            for d in store.deliveries_of(publish).unwrap() {
                if d.state == DeliveryState::Delivered { was_delivered.insert(d.id); }
                if d.state == DeliveryState::Pending && was_delivered.contains(&d.id) {
                    prop_assert!(redelivered.contains(&d.id), "delivery {} went back to pending by itself", d.id);
                    was_delivered.remove(&d.id);
                }
                let consistent = matches!(
                    (&d.state, &d.stage),
                    (DeliveryState::Pending, Stage::Queued | Stage::Sending { .. } | Stage::RetryAt { .. })
                        | (DeliveryState::Delivered, Stage::Accepted)
                        | (
                            DeliveryState::Failed | DeliveryState::ConfigError | DeliveryState::Cancelled,
                            Stage::Failed { .. }
                        )
                );
                prop_assert!(consistent, "delivery {}: state {:?} with stage {:?}", d.id, d.state, d.stage);
            }
        }
    }
}
