//! Line diffs: a document's revisions (history), and the local render against the live
//! page's text (the side-by-side view). And `shared_ends`, where two sequences start
//! and stop differing (the live preview's edits and changed blocks).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DiffLine {
    /// "equal", "insert" or "delete".
    #[ts(type = r#""equal" | "insert" | "delete""#)]
    pub op: &'static str,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

/// `old` → `new`, line by line.
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                ChangeTag::Equal => "equal",
                ChangeTag::Insert => "insert",
                ChangeTag::Delete => "delete",
            },
            old_line: c.old_index().map(|i| i + 1),
            new_line: c.new_index().map(|i| i + 1),
            text: c.value().trim_end_matches(['\n', '\r']).to_owned(),
        })
        .collect()
}

/// Elements compared at once (one `memcmp` for bytes) before going one by one.
const CHUNK: usize = 1024;

/// How many elements `a` and `b` share at their start, and then at their end (the two
/// never overlap): what lies between is all that differs.
pub(crate) fn shared_ends<T: PartialEq>(a: &[T], b: &[T]) -> (usize, usize) {
    let most = a.len().min(b.len());
    let mut start = 0;
    while start + CHUNK <= most && a[start..start + CHUNK] == b[start..start + CHUNK] {
        start += CHUNK;
    }
    start += a[start..most]
        .iter()
        .zip(&b[start..most])
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[start..], &b[start..]);
    let (la, lb) = (a.len(), b.len());
    let most = la.min(lb);
    let mut end = 0;
    while end + CHUNK <= most && a[la - end - CHUNK..la - end] == b[lb - end - CHUNK..lb - end] {
        end += CHUNK;
    }
    end += a[..la - end]
        .iter()
        .rev()
        .zip(b[..lb - end].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_ends_find_the_one_changed_stretch() {
        let long: Vec<u8> = (0..5000).map(|i| (i % 251) as u8).collect();
        for at in [0, 1, 1023, 1024, 1025, 2500, 4999, 5000] {
            let mut typed = long.clone();
            typed.insert(at, 255);
            assert_eq!(
                shared_ends(&long, &typed),
                (at, 5000 - at),
                "insert at {at}"
            );
            assert_eq!(
                shared_ends(&typed, &long),
                (at, 5000 - at),
                "delete at {at}"
            );
        }
        // Equal, empty, and a repeat: the two ends never overlap.
        assert_eq!(shared_ends(&long, &long), (5000, 0));
        assert_eq!(shared_ends::<u8>(&[], &[]), (0, 0));
        assert_eq!(shared_ends(b"abab", b"ab"), (2, 0));
        assert_eq!(shared_ends(b"xab", b"ab"), (0, 2));
        assert_eq!(shared_ends(&["a", "b", "c"], &["a", "x", "c"]), (1, 1));
    }
}
