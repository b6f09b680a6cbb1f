//! The TypeScript types of what the publisher sends the window, and of the delivery
//! log, are generated from the Rust types (ts-rs), never written by hand: this test fails when the committed file
//! drifts from them. `PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test
//! ipc_types` writes it anew.

use pressroom_core::publisher::Event;
use pressroom_core::stage::Stage;
use pressroom_core::store::{Attempt, Delivery, DeliveryState, Method, Outcome, Poll, Standing};
use ts_rs::{Config, TS};

const FILE: &str = "../../ui/src/lib/generated/publisher.ts";

fn generated() -> String {
    // Ids and milliseconds stay far below 2^53: plain numbers in TypeScript.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types (crates/core/tests/ipc_types.rs); do not edit.\n\
         // PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types\n",
    );
    for decl in [
        Method::decl(&cfg),
        Outcome::decl(&cfg),
        Poll::decl(&cfg),
        Stage::decl(&cfg),
        Standing::decl(&cfg),
        Event::decl(&cfg),
        DeliveryState::decl(&cfg),
        Delivery::decl(&cfg),
        Attempt::decl(&cfg),
    ] {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[test]
fn the_windows_types_are_generated_from_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let want = generated();
    if std::env::var_os("PRESSROOM_WRITE_TYPES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is out of date with the Rust types; run \
         `PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types`",
        path.display()
    );
}
