//! Full-text search over titles and bodies (SQLite FTS5, bm25 ranking, title weighted).
//!
//! User input is never passed to FTS5 as query syntax: each word becomes a quoted
//! phrase and the last one a prefix, so typing `c++ "half` cannot raise a syntax error.

use serde::Serialize;

use super::Store;
use crate::error::Result;

/// Private-use markers around matches inside FTS5 snippets; split out before returning.
const HIT_START: char = '\u{E000}';
const HIT_END: char = '\u{E001}';

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    pub snippet: Vec<SnippetPart>,
}

impl Store {
    /// Documents matching every word of `query`, best first. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(fts_query) = to_fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.slug, d.title,
                    snippet(documents_fts, 1, char(57344), char(57345), '…', 16)
             FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid
             WHERE documents_fts MATCH ?1 AND d.deleted_at IS NULL
             ORDER BY bm25(documents_fts, 10.0, 1.0)
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![fts_query, limit as i64], |r| {
            let snippet: String = r.get(2)?;
            Ok(SearchHit {
                slug: r.get(0)?,
                title: r.get(1)?,
                snippet: split_snippet(&snippet),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn to_fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.replace('"', ""))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn split_snippet(snippet: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut rest = snippet;
    while !rest.is_empty() {
        match rest.find(HIT_START) {
            Some(start) => {
                if start > 0 {
                    parts.push(SnippetPart {
                        text: rest[..start].to_owned(),
                        hit: false,
                    });
                }
                let after = &rest[start + HIT_START.len_utf8()..];
                let end = after.find(HIT_END).unwrap_or(after.len());
                parts.push(SnippetPart {
                    text: after[..end].to_owned(),
                    hit: true,
                });
                rest = after.get(end + HIT_END.len_utf8()..).unwrap_or("");
            }
            None => {
                parts.push(SnippetPart {
                    text: rest.to_owned(),
                    hit: false,
                });
                break;
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_and_prefixed() {
        assert_eq!(to_fts_query("  "), None);
        assert_eq!(to_fts_query("+++"), None);
        assert_eq!(
            to_fts_query(r#"c++ "half rust"#).as_deref(),
            Some(r#""c++" "half" "rust"*"#)
        );
    }

    #[test]
    fn snippets_split_into_parts() {
        let s = format!("a {HIT_START}b{HIT_END} c");
        let parts = split_snippet(&s);
        assert_eq!(parts.len(), 3);
        assert!(parts[1].hit && parts[1].text == "b");
    }
}
