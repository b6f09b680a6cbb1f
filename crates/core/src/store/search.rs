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
    /// When nothing matches, a forgiving second pass also takes other endings of each
    /// word ("revalidate" finds "revalidation") and words one typo away from it.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(fts_query) = to_fts_query(query) else {
            return Ok(Vec::new());
        };
        let hits = self.run_search(&fts_query, limit)?;
        if !hits.is_empty() {
            return Ok(hits);
        }
        match self.forgiving_query(query)? {
            Some(forgiving) if forgiving != fts_query => self.run_search(&forgiving, limit),
            _ => Ok(hits),
        }
    }

    fn run_search(&self, fts_query: &str, limit: usize) -> Result<Vec<SearchHit>> {
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

impl Store {
    /// Each word as any of: itself as a prefix, its stem as a prefix, and the indexed
    /// words one edit away from it; words still all required.
    fn forgiving_query(&self, query: &str) -> Result<Option<String>> {
        let mut groups = Vec::new();
        for word in query.split_whitespace() {
            let word: String = word
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            if word.is_empty() {
                continue;
            }
            let mut options = vec![format!("\"{word}\"*")];
            if let Some(stem) = stem(&word) {
                options.push(format!("\"{stem}\"*"));
            }
            if word.chars().count() >= 4 {
                for term in self.near_terms(&word)? {
                    options.push(format!("\"{term}\""));
                }
            }
            options.dedup();
            groups.push(format!("({})", options.join(" OR ")));
        }
        Ok((!groups.is_empty()).then(|| groups.join(" AND ")))
    }

    /// Indexed words one insertion, deletion, substitution or swap away from `word` (sharing
    /// its first letter: where typos rarely are), at most 20.
    fn near_terms(&self, word: &str) -> Result<Vec<String>> {
        let first: String = word.chars().take(1).collect();
        let mut next = first.clone();
        let last = next.pop().map_or('\u{10FFFF}', |c| {
            char::from_u32(c as u32 + 1).unwrap_or('\u{10FFFF}')
        });
        next.push(last);
        let len = word.chars().count() as i64;
        let mut stmt = self.conn.prepare_cached(
            "SELECT term FROM documents_fts_vocab
             WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 - 1 AND ?3 + 1",
        )?;
        let terms = stmt
            .query_map(rusqlite::params![first, next, len], |r| {
                r.get::<_, String>(0)
            })?
            .filter_map(|t| t.ok())
            .filter(|t| t != word && one_edit_apart(word, t))
            .take(20)
            .collect();
        Ok(terms)
    }
}

/// `word` without a common English ending, when enough is left to mean something.
fn stem(word: &str) -> Option<String> {
    const ENDINGS: [&str; 8] = ["ations", "ation", "ions", "ion", "ing", "ed", "es", "e"];
    ENDINGS.iter().find_map(|end| {
        let stem = word.strip_suffix(end)?;
        (stem.chars().count() >= 4).then(|| stem.to_owned())
    })
}

/// One insertion, deletion, substitution or swap of neighbours turns `a` into `b`.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let head = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        if head == short.len() {
            return true;
        }
        // One letter replaced, or two neighbours swapped ("zebar" for "zebra").
        short[head + 1..] == long[head + 1..]
            || (head + 1 < short.len()
                && short[head] == long[head + 1]
                && short[head + 1] == long[head]
                && short[head + 2..] == long[head + 2..])
    } else {
        short[head..] == long[head + 1..]
    }
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
    fn one_edit_and_stems() {
        assert!(one_edit_apart("revalidaton", "revalidation"));
        assert!(one_edit_apart("pressrom", "pressroom"));
        assert!(one_edit_apart("publsh", "publish"));
        assert!(one_edit_apart("pubilsh", "pubalsh"));
        assert!(!one_edit_apart("publish", "polish"));
        assert!(one_edit_apart("zebar", "zebra"));
        assert!(!one_edit_apart("ezbar", "zebra"));
        assert!(!one_edit_apart("abc", "abcde"));
        assert_eq!(stem("revalidate").as_deref(), Some("revalidat"));
        // Either way round, each finds the other.
        assert!("revalidate".starts_with(&stem("revalidation").unwrap()));
        assert_eq!(stem("ride"), None);
    }

    #[test]
    fn snippets_split_into_parts() {
        let s = format!("a {HIT_START}b{HIT_END} c");
        let parts = split_snippet(&s);
        assert_eq!(parts.len(), 3);
        assert!(parts[1].hit && parts[1].text == "b");
    }
}
