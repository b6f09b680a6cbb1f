//! Splits a document's source into YAML front matter and markdown body.
//!
//! The source text the editor saves is the truth; this module only derives fields
//! from it (title, tags, the other keys in their original order). It never rewrites
//! the source, so unknown keys, comments and formatting survive every round-trip.
//! Errors name the line in the whole source, so the editor can point at it.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

use crate::error::{Error, Result};

/// What a document's source says, once parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `title:` from the front matter, or empty when there is none.
    pub title: String,
    /// `tags:` as a YAML list or a comma-separated string; trimmed, de-duplicated.
    pub tags: Vec<String>,
    /// Every other front matter key, in source order (`title`, `tags`, `slug` excluded).
    pub front_matter: Map<String, Value>,
    /// The markdown after the front matter block.
    pub body: String,
    /// Source line (1-based) on which the body starts; for mapping preview positions.
    pub body_line: usize,
}

/// Keys that are fields of their own in the content API, not free front matter.
const RESERVED: [&str; 3] = ["title", "tags", "slug"];

/// The `slug:` key, when a file names its own slug (used by import).
pub fn declared_slug(source: &str) -> Option<String> {
    let (yaml, _, _) = split(source).ok()??;
    let docs = YamlLoader::load_from_str(yaml).ok()?;
    docs.first()?["slug"].as_str().map(str::to_owned)
}

pub fn parse(source: &str) -> Result<Parsed> {
    let Some((yaml, body, body_line)) = split(source)? else {
        return Ok(Parsed {
            title: String::new(),
            tags: Vec::new(),
            front_matter: Map::new(),
            body: source.to_owned(),
            body_line: 1,
        });
    };
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| Error::FrontMatter {
        // The YAML starts on line 2 of the source (after the opening `---`).
        line: e.marker().line() + 1,
        message: e.info().to_owned(),
    })?;
    let map = match docs.as_slice() {
        [] => Map::new(),
        [Yaml::Hash(_)] | [Yaml::Null] => match to_json(&docs[0]) {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        [_] => {
            return Err(Error::FrontMatter {
                line: 2,
                message: "front matter must be `key: value` lines".into(),
            })
        }
        _ => {
            return Err(Error::FrontMatter {
                line: 2,
                message: "front matter holds more than one YAML document".into(),
            })
        }
    };

    let title = match map.get("title") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(_) => {
            return Err(Error::FrontMatter {
                line: key_line(yaml, "title"),
                message: "`title` must be text".into(),
            })
        }
    };
    let tags = parse_tags(map.get("tags")).ok_or_else(|| Error::FrontMatter {
        line: key_line(yaml, "tags"),
        message: "`tags` must be a list of words or a comma-separated line".into(),
    })?;
    let front_matter = map
        .into_iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .collect();
    Ok(Parsed {
        title,
        tags,
        front_matter,
        body: body.to_owned(),
        body_line,
    })
}

/// `Some((yaml, body, body_line))` when the source opens with a `---` line.
/// The markdown after the front matter block, even when the front matter itself is
/// malformed (the whole text when the block is never closed).
pub fn body_after_front_matter(source: &str) -> &str {
    match split(source) {
        Ok(Some((_, body, _))) => body,
        _ => source,
    }
}

fn split(source: &str) -> Result<Option<(&str, &str, usize)>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines = source.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Ok(None),
    }
    let yaml_start = source.find('\n').map_or(source.len(), |i| i + 1);
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &source[yaml_start..offset];
            let body = &source[offset + line.len()..];
            // Opening line + YAML lines + closing line, then the body.
            return Ok(Some((yaml, body, index + 3)));
        }
        offset += line.len();
    }
    Err(Error::FrontMatter {
        line: 1,
        message: "front matter opened with `---` is never closed; add a `---` line after it".into(),
    })
}

fn parse_tags(value: Option<&Value>) -> Option<Vec<String>> {
    let raw: Vec<String> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<_>>()?,
        Some(_) => return None,
    };
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag.trim();
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    Some(tags)
}

/// Best-effort source line of a top-level key, for errors about its value.
fn key_line(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
        .map_or(2, |i| i + 2)
}

fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .map(|(k, v)| (key_string(k), to_json(v)))
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

fn key_string(key: &Yaml) -> String {
    match key {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_front_matter_is_all_body() {
        let p = parse("# Hi\n\ntext\n").unwrap();
        assert_eq!(p.body, "# Hi\n\ntext\n");
        assert_eq!(p.title, "");
        assert_eq!(p.body_line, 1);
    }

    #[test]
    fn fields_and_unknown_keys_in_order() {
        let src = "---\ntitle: Hello\nzeta: 1\ntags: [news, rust, news]\nalpha:\n  nested: true\ndate: 2026-11-27\n---\nBody\n";
        let p = parse(src).unwrap();
        assert_eq!(p.title, "Hello");
        assert_eq!(p.tags, ["news", "rust"]);
        assert_eq!(p.body, "Body\n");
        assert_eq!(p.body_line, 9);
        let keys: Vec<_> = p.front_matter.keys().cloned().collect();
        assert_eq!(keys, ["zeta", "alpha", "date"]);
        assert_eq!(p.front_matter["alpha"], json!({"nested": true}));
        assert_eq!(p.front_matter["date"], json!("2026-11-27"));
    }

    #[test]
    fn comma_separated_tags_and_crlf() {
        let p = parse("---\r\ntitle: T\r\ntags: a, b ,, c\r\n---\r\nx").unwrap();
        assert_eq!(p.tags, ["a", "b", "c"]);
        assert_eq!(p.body, "x");
    }

    #[test]
    fn malformed_yaml_names_the_source_line() {
        let err = parse("---\ntitle: ok\nlist: [a, b\nmore: x\n---\nbody").unwrap_err();
        match err {
            Error::FrontMatter { line, .. } => assert!((3..=5).contains(&line), "line {line}"),
            other => panic!("{other:?}"),
        }
        let err = parse("---\ntitle: \"unclosed\n---\n").unwrap_err();
        assert_eq!(err.kind(), "front_matter");
    }

    #[test]
    fn unclosed_block_and_wrong_shapes() {
        let err = parse("---\ntitle: x\n\nbody without end").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = parse("---\n- a\n- b\n---\n").unwrap_err();
        assert!(err.to_string().contains("key: value"), "{err}");
        let err = parse("---\ntitle: ok\ntags: {a: 1}\n---\n").unwrap_err();
        assert!(err.to_string().starts_with("front matter, line 3"), "{err}");
    }

    #[test]
    fn declared_slug_is_read() {
        assert_eq!(
            declared_slug("---\nslug: my-post\n---\n").as_deref(),
            Some("my-post")
        );
        assert_eq!(declared_slug("no front matter"), None);
    }
}
