//! Line diffs: a document's revisions (history), and the local render against the live
//! page's text (the side-by-side view). And `shared_ends`, where two sequences start
//! and stop differing (the live preview's edits and changed blocks), which also names
//! a save in the history by the first words it changed.

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

/// Words a history entry shows of what a save changed, and at most this many characters.
const CHANGE_WORDS: usize = 8;
const CHANGE_CHARS: usize = 80;

/// The first words `old` → `new` changed, from the start of the word where the two
/// begin to differ ("…" when there is more); "Deleted: …" with the old words when the
/// change only took text away. `None` when nothing changed.
pub fn first_changed_words(old: &str, new: &str) -> Option<String> {
    let (start, end) = shared_ends(old.as_bytes(), new.as_bytes());
    if start == old.len() && start == new.len() {
        return None;
    }
    // (A stretch that does not start or end on a character boundary counts as text.)
    let added = new.get(start..new.len() - end).unwrap_or("x");
    let removed = old.get(start..old.len() - end).unwrap_or("x");
    if added.trim().is_empty() && removed.trim().is_empty() {
        return Some("Spacing".into());
    }
    let (text, prefix, changed_end) = if added.trim().is_empty() {
        (old, "Deleted: ", old.len() - end)
    } else {
        (new, "", new.len() - end)
    };
    let mut from = start.min(text.len());
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    // Back to the start of the word the change is in.
    while let Some(c) = text[..from].chars().next_back() {
        if c.is_whitespace() {
            break;
        }
        from -= c.len_utf8();
    }
    // What was typed: up to the end of the line it ends on. What was deleted: only that
    // (to the end of the word it ends in).
    let rest = text.get(changed_end..).unwrap_or_default();
    let cut = changed_end
        + if prefix.is_empty() {
            rest.find('\n').unwrap_or(rest.len())
        } else if text[..changed_end].ends_with(char::is_whitespace) {
            0
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
    let mut words = text.get(from..cut).unwrap_or_default().split_whitespace();
    let shown: Vec<&str> = words.by_ref().take(CHANGE_WORDS).collect();
    if shown.is_empty() {
        return Some("Spacing".into());
    }
    let mut label = format!("{prefix}{}", shown.join(" "));
    let mut more = words.next().is_some();
    // A long "word" (a URL, a data: URI) is cut too: the label is a glance, not a copy.
    if label.chars().count() > CHANGE_CHARS {
        label = label.chars().take(CHANGE_CHARS).collect();
        more = true;
    }
    if more {
        label.push('…');
    }
    Some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_is_named_by_the_first_words_it_changed() {
        let old = "---\ntitle: Hello\n---\nThe first paragraph.\n\nThe second one.\n";
        let typed = old.replace("second one.", "second one, longer now.");
        assert_eq!(
            first_changed_words(old, &typed).as_deref(),
            Some("one, longer now.")
        );
        let renamed = old.replace("Hello", "Hello world");
        assert_eq!(
            first_changed_words(old, &renamed).as_deref(),
            Some("Hello world")
        );
        let cut = old.replace("The first paragraph.\n\n", "");
        assert_eq!(
            first_changed_words(old, &cut).as_deref(),
            Some("Deleted: first paragraph. The")
        );
        let long = format!("{old}{}\n", "word ".repeat(20));
        assert_eq!(
            first_changed_words(old, &long).as_deref(),
            Some("word word word word word word word word…")
        );
        assert_eq!(first_changed_words(old, old), None);
        let uri = format!("{old}![](data:image/png;base64,{})\n", "A".repeat(5000));
        let label = first_changed_words(old, &uri).unwrap();
        assert_eq!(label.chars().count(), 81, "{label}");
        assert!(label.ends_with('…'));
        // Only what went: a word deleted from the middle of a line.
        let shorter = old.replace("The second one.", "The one.");
        assert_eq!(
            first_changed_words(old, &shorter).as_deref(),
            Some("Deleted: second")
        );
        // Multi-byte text is cut at character boundaries, never inside one.
        let accented = "Café crème\n";
        assert_eq!(
            first_changed_words(accented, "Café crèmes\n").as_deref(),
            Some("crèmes")
        );
        assert_eq!(
            first_changed_words("x\n", "x\n\n\ny\n").as_deref(),
            Some("y")
        );
        assert_eq!(
            first_changed_words("x\n\ny\n", "x\n\n\n\ny\n").as_deref(),
            Some("Spacing")
        );
    }

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
