//! Slug rules from the content API contract: `^[a-z0-9][a-z0-9-]{0,127}$`.
//!
//! `validate` enforces them; `slugify` suggests a valid slug from free text (file
//! names, titles, headings) and is also what heading anchors use.

use crate::error::{Error, Result};

pub const MAX_SLUG_LEN: usize = 128;

pub fn is_valid(slug: &str) -> bool {
    let bytes = slug.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_SLUG_LEN
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

pub fn validate(slug: &str) -> Result<()> {
    if is_valid(slug) {
        Ok(())
    } else {
        Err(Error::InvalidSlug {
            slug: slug.to_owned(),
        })
    }
}

/// Transliterates to ASCII (`Crème` → `creme`), keeps lowercase letters and digits and
/// turns every other run of characters into one dash. May return an empty string
/// (e.g. for "???"); callers decide on a fallback.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
        if out.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    out.truncate(MAX_SLUG_LEN);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_contract_slugs() {
        for s in [
            "a",
            "0",
            "hello-world",
            "2026-11-27-release",
            &"a".repeat(128),
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for s in [
            "",
            "-a",
            "Hello",
            "a_b",
            "a b",
            "é",
            "a/b",
            "../etc",
            &"a".repeat(129),
        ] {
            assert!(!is_valid(s), "{s}");
            assert_eq!(validate(s).unwrap_err().kind(), "invalid_slug");
        }
    }

    #[test]
    fn slugify_makes_valid_slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  Release 2.0 — notes  "), "release-2-0-notes");
        assert_eq!(slugify("Crème brûlée"), "creme-brulee");
        assert_eq!(slugify("???"), "");
        assert!(is_valid(&slugify(&"word ".repeat(100))));
    }
}
