//! Every signature we produce verifies with an independent implementation (the
//! `standardwebhooks` crate of the spec's authors), and tampering is caught.

use http::{HeaderMap, HeaderValue};
use pressroom_core::signing::{sign, Secret};
use standardwebhooks::Webhook;

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).unwrap();
    b
}

/// Random text of random Unicode scalar values (ASCII, accents, CJK, emoji, controls).
fn random_text(chars: usize) -> String {
    random_bytes(chars * 4)
        .chunks(4)
        .filter_map(|c| {
            let n = u32::from_le_bytes([c[0], c[1], c[2], 0]);
            char::from_u32(match c[3] % 4 {
                0 => n % 0x80,
                1 => n % 0x800,
                2 => n % 0x1_0000,
                _ => n % 0x11_0000,
            })
        })
        .collect()
}

fn headers(id: &str, ts: i64, signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("webhook-id", HeaderValue::from_str(id).unwrap());
    h.insert(
        "webhook-timestamp",
        HeaderValue::from_str(&ts.to_string()).unwrap(),
    );
    h.insert(
        "webhook-signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    h
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_thousand_random_bodies_verify_independently() {
    for i in 0..1000 {
        let secret = Secret::generate();
        let verifier = Webhook::new(secret.expose()).unwrap();
        let len = (random_bytes(2)[0] as usize) * 8 + i % 7;
        let body =
            serde_json::json!({"type": "content.published", "data": {"text": random_text(len)}})
                .to_string()
                .into_bytes();
        let id = format!(
            "msg_{i}_{}",
            random_bytes(4)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let ts = now();
        let signature = sign(&id, ts, &body, &[&secret]);
        verifier
            .verify(&body, &headers(&id, ts, &signature))
            .unwrap_or_else(|e| panic!("body {i} did not verify: {e:?}"));
    }
}

#[test]
fn tampering_wrong_secrets_and_stale_timestamps_fail() {
    let secret = Secret::generate();
    let verifier = Webhook::new(secret.expose()).unwrap();
    let body = br#"{"type":"content.published","data":{"slug":"hello"}}"#;
    let ts = now();
    let signature = sign("msg_1", ts, body, &[&secret]);
    assert!(verifier
        .verify(body, &headers("msg_1", ts, &signature))
        .is_ok());

    let tampered = br#"{"type":"content.published","data":{"slug":"hellO"}}"#;
    assert!(verifier
        .verify(tampered, &headers("msg_1", ts, &signature))
        .is_err());
    assert!(
        verifier
            .verify(body, &headers("msg_2", ts, &signature))
            .is_err(),
        "id is signed"
    );
    let other = Webhook::new(Secret::generate().expose()).unwrap();
    assert!(other
        .verify(body, &headers("msg_1", ts, &signature))
        .is_err());
    let stale = ts - 600;
    let stale_sig = sign("msg_1", stale, body, &[&secret]);
    assert!(verifier
        .verify(body, &headers("msg_1", stale, &stale_sig))
        .is_err());

    // While rotating, a receiver with either secret accepts the request.
    let next = Secret::generate();
    let both = sign("msg_1", ts, body, &[&next, &secret]);
    assert!(verifier.verify(body, &headers("msg_1", ts, &both)).is_ok());
    let next_verifier = Webhook::new(next.expose()).unwrap();
    assert!(next_verifier
        .verify(body, &headers("msg_1", ts, &both))
        .is_ok());
}
