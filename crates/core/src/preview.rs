//! The editor's live preview, kept between keystrokes.
//!
//! A keystroke in a 100 KB document should not send 100 KB to the renderer and 130 KB
//! of HTML back: a `Session` keeps the source it rendered last and its blocks, takes
//! the next text as an edit of that one (a replaced range, in the editor's UTF-16
//! positions) and answers only the blocks that changed. The whole text is parsed on
//! every edit and only the blocks whose source changed are rendered again
//! (`markdown::blocks`); what the preview shows is byte for byte what the content API
//! will serve.
//!
//! Every answer carries the session's new version; an edit names the version it was
//! made against, and one made against any other version is refused with
//! `Error::PreviewOutOfStep` (the front end then sends the whole text), so the two
//! sides cannot drift apart silently.

use serde::{Deserialize, Serialize};

use crate::markdown::{self, Block};
use crate::{diff, frontmatter, Error, Result};

/// A change of the previewed text: UTF-16 code units `from..to` of the text at version
/// `base` replaced by `insert`, giving a text of `length` UTF-16 code units.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct TextEdit {
    pub base: u64,
    pub from: usize,
    pub to: usize,
    pub insert: String,
    pub length: usize,
}

/// What changed in the preview: blocks `start..start + removed` of version `base`
/// (all of them when `base` is `None`) become `blocks`. Joined, the blocks are the
/// content API's html.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "PreviewUpdate")]
pub struct Update {
    pub version: u64,
    pub base: Option<u64>,
    pub start: usize,
    pub removed: usize,
    pub blocks: Vec<String>,
    pub title: String,
    pub tags: Vec<String>,
    /// Malformed front matter: (line, message). The body still renders.
    pub problem: Option<(usize, String)>,
    /// The line of the text (1-based, front matter included) each block of the whole
    /// preview starts on, every block: what keeps the editor and the preview level
    /// when scrolling.
    pub lines: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Session {
    version: u64,
    source: String,
    /// `source`'s length in UTF-16 code units (the editor's positions).
    utf16_len: usize,
    /// The markdown after the front matter, and its blocks.
    body: String,
    blocks: Vec<Block>,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Renders `source` whole and starts from it; the answer holds every block.
    pub fn render(&mut self, source: String) -> Update {
        let rendered = render_source(&source, None);
        self.utf16_len = source.encode_utf16().count();
        self.source = source;
        self.body = rendered.body;
        self.blocks = rendered.blocks;
        self.version += 1;
        Update {
            version: self.version,
            base: None,
            start: 0,
            removed: 0,
            blocks: self.blocks.iter().map(|b| b.html.clone()).collect(),
            lines: block_lines(&self.source, &self.body, &self.blocks),
            title: rendered.title,
            tags: rendered.tags,
            problem: rendered.problem,
        }
    }

    /// Applies `edit` to the text at its base version and answers the changed blocks.
    pub fn edit(&mut self, edit: &TextEdit) -> Result<Update> {
        let out_of_step = |reason: String| Error::PreviewOutOfStep { reason };
        if edit.base != self.version || self.version == 0 {
            return Err(out_of_step(format!(
                "the edit is against version {}, the preview is at {}",
                edit.base, self.version
            )));
        }
        let (from, to) = byte_range(&self.source, edit.from, edit.to).ok_or_else(|| {
            out_of_step(format!(
                "{}..{} is not a range of the {} UTF-16 units of the text",
                edit.from, edit.to, self.utf16_len
            ))
        })?;
        let removed16 = edit.to - edit.from;
        let length = self.utf16_len - removed16 + edit.insert.encode_utf16().count();
        if length != edit.length {
            return Err(out_of_step(format!(
                "the edited text would be {length} UTF-16 units, the editor has {}",
                edit.length
            )));
        }
        // Nothing changes until the render is done: a session is never half edited.
        let source = [&self.source[..from], &edit.insert, &self.source[to..]].concat();
        let rendered = render_source(&source, Some((&self.body, &self.blocks)));
        self.source = source;
        self.utf16_len = length;
        self.body = rendered.body;
        let old = std::mem::replace(&mut self.blocks, rendered.blocks);
        let new = &self.blocks;
        let (start, end) = diff::shared_ends(&htmls(&old), &htmls(new));
        let base = self.version;
        self.version += 1;
        Ok(Update {
            version: self.version,
            base: Some(base),
            start,
            removed: old.len() - start - end,
            blocks: new[start..new.len() - end]
                .iter()
                .map(|b| b.html.clone())
                .collect(),
            lines: block_lines(&self.source, &self.body, new),
            title: rendered.title,
            tags: rendered.tags,
            problem: rendered.problem,
        })
    }
}

/// The line of `source` each block starts on (1-based); `body` is the end of
/// `source` the blocks were rendered from. One pass over the text.
fn block_lines(source: &str, body: &str, blocks: &[Block]) -> Vec<usize> {
    let newlines = |text: &str| text.bytes().filter(|b| *b == b'\n').count();
    let body_start = source.len().saturating_sub(body.len());
    let mut line = 1 + source.get(..body_start).map_or(0, newlines);
    let mut at = 0;
    blocks
        .iter()
        .map(|b| {
            let start = b.source_start().clamp(at, body.len());
            line += body.get(at..start).map_or(0, newlines);
            at = start;
            line
        })
        .collect()
}

fn htmls(blocks: &[Block]) -> Vec<&str> {
    blocks.iter().map(|b| b.html.as_str()).collect()
}

struct Rendered {
    body: String,
    blocks: Vec<Block>,
    title: String,
    tags: Vec<String>,
    problem: Option<(usize, String)>,
}

/// Front matter parsed for the title and tags; the body rendered as preview blocks
/// (taking over the unchanged ones of `previous`, an earlier body and its blocks).
fn render_source(source: &str, previous: Option<(&str, &[Block])>) -> Rendered {
    let (body, title, tags, problem) = match frontmatter::parse(source) {
        Ok(parsed) => (parsed.body, parsed.title, parsed.tags, None),
        Err(e) => (
            frontmatter::body_after_front_matter(source).to_owned(),
            String::new(),
            Vec::new(),
            Some(match e {
                Error::FrontMatter { line, message } => (line, message),
                other => (0, other.to_string()),
            }),
        ),
    };
    Rendered {
        blocks: markdown::blocks(&body, previous),
        body,
        title,
        tags,
        problem,
    }
}

/// UTF-16 positions `from..to` of `text` as byte offsets; `None` when the range is
/// reversed, past the end or splits a character.
fn byte_range(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    if from > to {
        return None;
    }
    let mut start = None;
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units == from {
            start = Some(byte);
        }
        if units == to {
            return Some((start?, byte));
        }
        if units > to {
            return None;
        }
        units += c.len_utf16();
    }
    if units == from {
        start = Some(text.len());
    }
    (units == to).then_some((start?, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_update_says_the_line_each_block_starts_on() {
        let text = "---\ntitle: T\n---\n# Head\n\nOne\ntwo\n\n- a\n- b\n";
        let mut session = Session::new();
        let first = session.render(text.into());
        assert_eq!(first.lines, [4, 6, 9]);
        // A line added to the front matter moves every block down, though none of
        // them changed (and so none is sent again).
        let longer = text.replace("title: T\n", "title: T\ntags: [x]\n");
        let edit = edit_of(&session, text, &longer);
        let update = session.edit(&edit).unwrap();
        assert!(update.blocks.is_empty());
        assert_eq!(update.lines, [5, 7, 10]);
        let blockless = session.render("no front matter".into());
        assert_eq!(blockless.lines, [1]);
    }

    fn edit_of(session: &Session, old: &str, new: &str) -> TextEdit {
        let old16: Vec<u16> = old.encode_utf16().collect();
        let new16: Vec<u16> = new.encode_utf16().collect();
        let (prefix, suffix) = diff::shared_ends(&old16, &new16);
        TextEdit {
            base: session.version,
            from: prefix,
            to: old16.len() - suffix,
            insert: String::from_utf16(&new16[prefix..new16.len() - suffix]).unwrap(),
            length: new16.len(),
        }
    }

    /// The blocks an update leaves when applied to `shown`.
    fn apply(shown: &mut Vec<String>, update: &Update) {
        match update.base {
            None => *shown = update.blocks.clone(),
            Some(_) => {
                shown.splice(
                    update.start..update.start + update.removed,
                    update.blocks.iter().cloned(),
                );
            }
        }
    }

    #[test]
    fn edits_answer_only_the_changed_blocks_and_add_up_to_a_full_render() {
        let texts = [
            "---\ntitle: One\ntags: [a]\n---\n# Head\n\nfirst para\n\nsecond para\n\n- a\n- b\n",
            "---\ntitle: One\ntags: [a]\n---\n# Head\n\nfirst para, longer\n\nsecond para\n\n- a\n- b\n",
            "---\ntitle: Two\ntags: [a, b]\n---\n# Head\n\nfirst para, longer\n\nsecond para\n\n- a\n- b\n",
            "---\ntitle: Two\ntags: [a, b]\n---\n# Head\n\n```\nfirst para, longer\n\nsecond para\n\n- a\n- b\n",
            "---\ntitle: Two\ntags: [a, b]\n---\n# Head\n\nfirst ünïcødé 😀 para\n\nsecond para\n---\n\n- a\n- b\n",
            "---\ntitle: [unclosed\n---\n# Head\n\nfirst ünïcødé 😀 para\n\nsecond\n",
            "# Head\n\nfirst 😀😀 para\n\nsecond\n\n# Head\n",
            "",
            "x",
        ];
        let mut session = Session::new();
        let mut shown = Vec::new();
        apply(&mut shown, &session.render(texts[0].to_owned()));
        for pair in texts.windows(2) {
            let update = session.edit(&edit_of(&session, pair[0], pair[1])).unwrap();
            apply(&mut shown, &update);
            let full = Session::new().render(pair[1].to_owned());
            assert_eq!(shown, full.blocks, "after editing to {:?}", pair[1]);
            assert_eq!(full.blocks, markdown::render_blocks(&session.body));
            assert_eq!(
                (&update.title, &update.tags, &update.problem),
                (&full.title, &full.tags, &full.problem)
            );
            assert_eq!(session.source, pair[1]);
        }
    }

    #[test]
    fn typing_in_one_paragraph_sends_that_paragraph_only() {
        let doc: String = (0..200)
            .map(|i| format!("## Section {i}\n\nParagraph {i}.\n\n"))
            .collect();
        let mut session = Session::new();
        session.render(doc.clone());
        let typed = doc.replace("Paragraph 100.", "Paragraph 100, typed.");
        let update = session.edit(&edit_of(&session, &doc, &typed)).unwrap();
        assert_eq!(update.removed, 1);
        assert_eq!(update.blocks, vec!["<p>Paragraph 100, typed.</p>\n"]);
        assert_eq!(update.start, 201);
    }

    #[test]
    fn an_edit_against_another_version_or_off_the_text_is_refused_and_changes_nothing() {
        let mut session = Session::new();
        let first = TextEdit {
            base: 0,
            from: 0,
            to: 0,
            insert: "x".into(),
            length: 1,
        };
        assert!(matches!(
            session.edit(&first),
            Err(Error::PreviewOutOfStep { .. })
        ));
        let update = session.render("a 😀 b".to_owned());
        let good = TextEdit {
            base: update.version,
            from: 2,
            to: 4,
            insert: "smile".into(),
            length: 9,
        };
        let refused = [
            TextEdit {
                base: update.version + 1,
                ..good.clone()
            },
            // Splits the emoji's surrogate pair.
            TextEdit {
                from: 3,
                length: 10,
                ..good.clone()
            },
            TextEdit {
                to: 7,
                length: 6,
                ..good.clone()
            },
            TextEdit {
                from: 4,
                to: 2,
                ..good.clone()
            },
            TextEdit {
                length: 10,
                ..good.clone()
            },
        ];
        for edit in &refused {
            let err = session.edit(edit).unwrap_err();
            assert_eq!(err.kind(), "preview_out_of_step", "{edit:?}");
            assert_eq!(session.source, "a 😀 b");
            assert_eq!(session.version, update.version);
        }
        let update = session.edit(&good).unwrap();
        assert_eq!(session.source, "a smile b");
        assert_eq!(update.blocks, vec!["<p>a smile b</p>\n"]);
        // At the very end of the text.
        let end = TextEdit {
            base: update.version,
            from: 9,
            to: 9,
            insert: "!".into(),
            length: 10,
        };
        session.edit(&end).unwrap();
        assert_eq!(session.source, "a smile b!");
    }
}
