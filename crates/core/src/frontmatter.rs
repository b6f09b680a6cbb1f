//! Splits a document's source into YAML front matter and markdown body.
//!
//! The source text the editor saves is the truth; this module only derives fields
//! from it (title, tags, the other keys in their original order). It never rewrites
//! the source, so unknown keys, comments and formatting survive every round-trip.
//! Errors name the line in the whole source, so the editor can point at it.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
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
    refuse_aliases(yaml).ok()?;
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
    refuse_aliases(yaml)?;
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

/// Refuses front matter with a YAML alias (`*name`). The loader copies the anchored
/// node for every alias, so a few hundred bytes of nested aliases (a "billion laughs")
/// would expand to gigabytes; front matter has no use for them. The event parser this
/// runs first is linear in the input and builds nothing.
fn refuse_aliases(yaml: &str) -> Result<()> {
    struct FirstAlias(Option<usize>);
    impl MarkedEventReceiver for FirstAlias {
        fn on_event(&mut self, event: Event, mark: Marker) {
            if matches!(event, Event::Alias(_)) && self.0.is_none() {
                self.0 = Some(mark.line());
            }
        }
    }
    let mut found = FirstAlias(None);
    // A syntax error stops the scan here; the loader reports it with its line.
    let _ = Parser::new_from_str(yaml).load(&mut found, true);
    match found.0 {
        // The YAML starts on line 2 of the source (after the opening `---`).
        Some(line) => Err(Error::FrontMatter {
            line: line + 1,
            message: "YAML aliases (`*name`) are not allowed in front matter; write the value \
                      out instead"
                .into(),
        }),
        None => Ok(()),
    }
}

/// `source` with `title:` and `tags:` set to these values — what the editor's title
/// and tags fields do. Only the lines of those two keys change (added when missing,
/// `tags:` dropped when there are none); every other key, comment and the body stay
/// byte for byte. Without front matter a block is added. Malformed front matter is
/// refused, so the user fixes it in the text first and nothing is lost.
pub fn with_fields(source: &str, title: &str, tags: &[String]) -> Result<String> {
    parse(source)?;
    let title = title.trim();
    let title_line = format!("title: {}", yaml_scalar(title));
    let tags_line = (!tags.is_empty()).then(|| {
        let items: Vec<String> = tags.iter().map(|t| yaml_scalar(t.trim())).collect();
        format!("tags: [{}]", items.join(", "))
    });
    let Some((yaml, body, _)) = split(source)? else {
        let mut out = format!("---\n{title_line}\n");
        if let Some(tags) = &tags_line {
            out.push_str(tags);
            out.push('\n');
        }
        out.push_str("---\n\n");
        out.push_str(source);
        return Ok(out);
    };
    let newline = if yaml.contains("\r\n") || source.starts_with("---\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut lines: Vec<String> = yaml.lines().map(str::to_owned).collect();
    set_key(&mut lines, "title", Some(title_line), 0);
    let after_title = lines
        .iter()
        .position(|l| key_of(l) == Some("title"))
        .map_or(0, |i| i + 1);
    set_key(&mut lines, "tags", tags_line, after_title);
    // `split` hands back slices of `source`: the lines around the YAML are kept as
    // they were (with a byte-order mark, if any).
    let yaml_start = yaml.as_ptr() as usize - source.as_ptr() as usize;
    let yaml_end = yaml_start + yaml.len();
    let body_start = body.as_ptr() as usize - source.as_ptr() as usize;
    let opening = source[..yaml_start].trim_end_matches(['\r', '\n']);
    let closing = source[yaml_end..body_start].trim_end_matches(['\r', '\n']);
    let mut out = String::with_capacity(source.len() + 64);
    out.push_str(opening);
    out.push_str(newline);
    for line in &lines {
        out.push_str(line);
        out.push_str(newline);
    }
    out.push_str(closing);
    if body_start > yaml_end + closing.len() {
        out.push_str(newline);
    }
    out.push_str(body);
    let check = parse(&out)?;
    if check.title != title {
        return Err(Error::FrontMatter {
            line: 2,
            message: "the title could not be written into the front matter".into(),
        });
    }
    Ok(out)
}

/// The top-level key a YAML line starts, if it starts one.
fn key_of(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '-', '#']) {
        return None;
    }
    let (key, _) = line.split_once(':')?;
    let key = key.trim_end();
    (!key.is_empty() && !key.contains(' ')).then_some(key)
}

/// Replaces top-level `key`'s entry (its line and the indented or `- ` lines under it)
/// with `line`, removes it for `None`, or inserts `line` at `insert_at` when absent.
fn set_key(lines: &mut Vec<String>, key: &str, line: Option<String>, insert_at: usize) {
    let Some(start) = lines.iter().position(|l| key_of(l) == Some(key)) else {
        if let Some(line) = line {
            lines.insert(insert_at.min(lines.len()), line);
        }
        return;
    };
    let mut end = start + 1;
    while end < lines.len() {
        let l = &lines[end];
        let continues = l.starts_with([' ', '\t']) || l.starts_with("- ") || l == "-";
        let blank_inside = l.trim().is_empty()
            && lines[end..]
                .iter()
                .find(|n| !n.trim().is_empty())
                .is_some_and(|n| n.starts_with([' ', '\t']));
        if !(continues || blank_inside) {
            break;
        }
        end += 1;
    }
    match line {
        Some(line) => {
            lines.splice(start..end, [line]);
        }
        None => {
            lines.drain(start..end);
        }
    }
}

/// A front matter value `compose` writes.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Text(&'a str),
    List(&'a [String]),
    Flag(bool),
}

/// A new source: a front matter block with `fields` in order (an empty text or list
/// is left out), a blank line, then `body`. It parses back to the same values.
pub fn compose(fields: &[(&str, Field<'_>)], body: &str) -> String {
    let mut out = String::from("---\n");
    for (key, value) in fields {
        let value = match value {
            Field::Text(t) if t.trim().is_empty() => continue,
            Field::List([]) => continue,
            Field::Text(t) => yaml_scalar(t.trim()),
            Field::List(l) => {
                let items: Vec<String> = l.iter().map(|t| yaml_scalar(t.trim())).collect();
                format!("[{}]", items.join(", "))
            }
            Field::Flag(b) => b.to_string(),
        };
        out.push_str(&format!("{key}: {value}\n"));
    }
    out.push_str("---\n\n");
    out.push_str(body.trim_start_matches('\n'));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A YAML scalar for `text`: plain when that reads back as the same string, else a
/// double-quoted one (JSON strings are valid YAML).
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~ ".contains(c) || c.is_ascii_digit())
        && !text.ends_with(' ')
        && !text.contains([':', '#', ',', '[', ']', '{', '}', '\n', '\r', '\t'])
        && !["true", "false", "yes", "no", "on", "off", "null"]
            .contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("strings serialize")
    }
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
    fn fields_are_written_into_the_front_matter_and_nothing_else_changes() {
        let src = "---\n# a comment\ntitle: Old\nzeta: 1\ntags:\n  - a\n  - b\nalpha:\n  nested: true\n---\nBody\n";
        let tags = vec!["news".to_owned(), "rust, web".to_owned()];
        let out = with_fields(src, "New: a title", &tags).unwrap();
        assert_eq!(
            out,
            "---\n# a comment\ntitle: \"New: a title\"\nzeta: 1\ntags: [news, \"rust, web\"]\nalpha:\n  nested: true\n---\nBody\n"
        );
        let p = parse(&out).unwrap();
        assert_eq!(p.title, "New: a title");
        assert_eq!(p.tags, ["news", "rust, web"]);

        let no_tags = with_fields(&out, "New", &[]).unwrap();
        assert_eq!(
            no_tags,
            "---\n# a comment\ntitle: New\nzeta: 1\nalpha:\n  nested: true\n---\nBody\n"
        );

        let added = with_fields("---\ndate: 2026-11-27\n---\nx", "T", &["a".into()]).unwrap();
        assert_eq!(added, "---\ntitle: T\ntags: [a]\ndate: 2026-11-27\n---\nx");
        let fresh = with_fields("# Just text\n", "Hello", &[]).unwrap();
        assert_eq!(fresh, "---\ntitle: Hello\n---\n\n# Just text\n");
        let crlf = with_fields("---\r\ntitle: A\r\n---\r\nbody", "B", &[]).unwrap();
        assert_eq!(crlf, "---\r\ntitle: B\r\n---\r\nbody");
    }

    #[test]
    fn tricky_titles_read_back_the_same() {
        for title in [
            "yes",
            "123",
            "- dash",
            "#hash",
            "a: b",
            "x #y",
            "\"quoted\"",
            "'single'",
            "Ünïcode ✓",
            "[brackets]",
            "trailing:",
            "@at",
            "null",
        ] {
            let out = with_fields("---\ntitle: x\n---\n", title, &[]).unwrap();
            assert_eq!(parse(&out).unwrap().title, title, "{out}");
        }
    }

    #[test]
    fn malformed_front_matter_is_not_rewritten() {
        let err = with_fields("---\ntitle: [\n---\nbody", "T", &[]).unwrap_err();
        assert_eq!(err.kind(), "front_matter");
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
