//! The write token: compared in constant time, stored only as a SHA-256 hash, never
//! logged. Given through the environment (`--token-env VAR`), or generated on first
//! start and shown once.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `server_settings` key of the generated token's hash.
pub const TOKEN_SETTING: &str = "write_token_sha256";

pub struct WriteToken {
    sha256: [u8; 32],
}

impl std::fmt::Debug for WriteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteToken(<redacted>)")
    }
}

/// A new write token: `prt_` + base64url of 32 random bytes.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!(
        "prt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl WriteToken {
    /// The given token.
    pub fn of(token: &str) -> WriteToken {
        WriteToken {
            sha256: digest(token),
        }
    }

    /// The token whose hash was stored (`TOKEN_SETTING`); `None` when unreadable.
    pub fn from_stored(hex: &str) -> Option<WriteToken> {
        decode_hex(hex).map(|sha256| WriteToken { sha256 })
    }

    /// A new token and the hash to store.
    pub fn generate() -> (String, String) {
        let token = generate_token();
        let hash = encode_hex(&digest(&token));
        (token, hash)
    }

    /// Whether an `Authorization` header value carries this token (the scheme name is
    /// case-insensitive, RFC 9110 §11.1).
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some((scheme, presented)) = authorization.and_then(|v| v.trim().split_once(' ')) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return false;
        }
        // Comparing fixed-size hashes keeps timing independent of the token's content.
        digest(presented.trim()).ct_eq(&self.sha256).into()
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}
