//! The one place that signs: Standard Webhooks v1 (https://www.standardwebhooks.com).
//!
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` where
//! the key is the base64-decoded part of a `whsec_…` secret. While a secret is being
//! rotated, every request carries one signature per secret (space-separated), so a
//! receiver holding either the old or the new secret accepts it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "whsec_";

/// A webhook signing secret. Its text never appears in `Debug` output.
#[derive(Clone)]
pub struct Secret {
    text: String,
    key: Vec<u8>,
    /// HMAC keyed with `key`, cloned for each signature (keying once saves work when
    /// a fan-out signs many requests).
    keyed: HmacSha256,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.key == other.key
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Parses `whsec_<base64>`; the decoded key must be 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Secret> {
        let invalid = |why: &str| Error::InvalidSecret {
            reason: why.to_owned(),
        };
        let encoded = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| invalid("it must start with `whsec_`"))?;
        let key = B64
            .decode(encoded)
            .map_err(|_| invalid("the part after `whsec_` is not base64"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(invalid("the key must be 24 to 64 bytes"));
        }
        Ok(Secret::new(text.trim().to_owned(), key))
    }

    /// A new secret: `whsec_` + base64 of 32 random bytes.
    pub fn generate() -> Secret {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source is available");
        Secret::new(format!("{PREFIX}{}", B64.encode(&key)), key)
    }

    fn new(text: String, key: Vec<u8>) -> Secret {
        let keyed = HmacSha256::new_from_slice(&key).expect("HMAC takes any key size");
        Secret { text, key, keyed }
    }

    /// The `whsec_…` text, for storing in the keyring or showing once to the user.
    pub fn expose(&self) -> &str {
        &self.text
    }

    fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header value: one `v1,…` per secret, space-separated.
pub fn sign(id: &str, timestamp: i64, body: &[u8], secrets: &[&Secret]) -> String {
    secrets
        .iter()
        .map(|s| s.signature(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Receiver side (the demo site, tests): true when any signature in `header` is valid
/// for `secret` and the timestamp is within `tolerance_secs` of `now`.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    use subtle::ConstantTimeEq;
    // `abs_diff`: a hostile timestamp (i64::MIN) must not overflow the subtraction.
    if now.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return false;
    }
    let expected = secret.signature(id, timestamp, body);
    header
        .split_whitespace()
        .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_test_vector() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            sign(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                body,
                &[&secret]
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn rotation_signs_with_both_and_either_verifies() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let header = sign("msg_1", 100, b"{}", &[&new, &old]);
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&old, "msg_1", 100, b"{}", &header, 100, 300));
        assert!(verify(&new, "msg_1", 100, b"{}", &header, 100, 300));
        assert!(!verify(
            &Secret::generate(),
            "msg_1",
            100,
            b"{}",
            &header,
            100,
            300
        ));
        assert!(
            !verify(&new, "msg_1", 100, b"{}", &header, 100 + 301, 300),
            "stale"
        );
        // Extreme timestamps are refused, not an overflow panic.
        for (ts, now) in [(i64::MIN, i64::MAX), (i64::MAX, i64::MIN), (i64::MIN, 0)] {
            assert!(!verify(&new, "msg_1", ts, b"{}", &header, now, 300));
        }
    }

    #[test]
    fn secrets_are_validated_and_redacted() {
        let s = Secret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(Secret::parse(s.expose()).unwrap(), s);
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        for bad in ["", "abc", "whsec_!!!", "whsec_AAAA"] {
            assert_eq!(
                Secret::parse(bad).unwrap_err().kind(),
                "invalid_secret",
                "{bad}"
            );
        }
    }
}
