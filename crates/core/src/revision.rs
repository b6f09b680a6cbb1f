//! The publishable content of a document and its deterministic revision id.
//!
//! docs/content-api.md: `revision` = `r_` + the first 16 lowercase hex digits of SHA-256 over
//! the canonical content. Canonical content is this exact JSON, with no whitespace,
//! object keys sorted by code point at every depth, arrays kept in order:
//! `{"front_matter":{…},"markdown":"…","slug":"…","tags":[…],"title":"…"}`.
//! Because the app computes the same id, it knows which revision a site must show
//! before the content API answers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What gets published: the fields of a content API `PUT` (plus the slug).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub tags: Vec<String>,
    pub front_matter: Map<String, Value>,
}

impl Content {
    pub fn revision(&self) -> String {
        let canonical = Value::Object(Map::from_iter([
            (
                "front_matter".to_owned(),
                Value::Object(self.front_matter.clone()),
            ),
            ("markdown".to_owned(), Value::String(self.markdown.clone())),
            ("slug".to_owned(), Value::String(self.slug.clone())),
            (
                "tags".to_owned(),
                Value::Array(self.tags.iter().cloned().map(Value::String).collect()),
            ),
            ("title".to_owned(), Value::String(self.title.clone())),
        ]));
        let mut text = String::with_capacity(self.markdown.len() + 256);
        write_canonical(&canonical, &mut text);
        let digest = Sha256::digest(text.as_bytes());
        format!("r_{}", crate::hex(&digest[..8]))
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Content {
        Content {
            slug: "hello".into(),
            title: "Hello".into(),
            markdown: "# Hello\n".into(),
            tags: vec!["a".into(), "b".into()],
            front_matter: json!({"z": 1, "a": {"y": true, "b": null}})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    #[test]
    fn pinned_value_of_the_contract() {
        // Recomputable by hand: sha256 of the canonical JSON below, first 8 bytes.
        let c = sample();
        let mut text = String::new();
        write_canonical(&serde_json::to_value(&c).unwrap(), &mut text);
        assert_eq!(
            text,
            r##"{"front_matter":{"a":{"b":null,"y":true},"z":1},"markdown":"# Hello\n","slug":"hello","tags":["a","b"],"title":"Hello"}"##
        );
        let hex: String = Sha256::digest(text.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(c.revision(), format!("r_{hex}"));
    }

    #[test]
    fn same_content_same_id_any_change_differs() {
        let base = sample();
        let id = base.revision();
        assert_eq!(id.len(), 18);
        assert!(id[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(base.clone().revision(), id);

        // Key order in front matter does not matter...
        let mut reordered = base.clone();
        reordered.front_matter = json!({"a": {"b": null, "y": true}, "z": 1})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(reordered.revision(), id);

        // ...but every field does.
        let mut changes: Vec<Content> = Vec::new();
        let mut c = base.clone();
        c.slug = "hello-2".into();
        changes.push(c);
        let mut c = base.clone();
        c.title = "Hello!".into();
        changes.push(c);
        let mut c = base.clone();
        c.markdown.push(' ');
        changes.push(c);
        let mut c = base.clone();
        c.tags.reverse();
        changes.push(c);
        let mut c = base.clone();
        c.front_matter.insert("z".into(), json!(2));
        changes.push(c);
        for changed in changes {
            assert_ne!(changed.revision(), id, "{changed:?}");
        }
    }
}
