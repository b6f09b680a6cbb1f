// Writing comfort: Ctrl+B / Ctrl+I / Ctrl+K on the markdown source, and the word count
// and reading time of a draft. Pure functions over text and selections, so they are
// tested without an editor; `Editor.svelte` turns them into CodeMirror commands.

/** A selection: `from` ≤ `to`, offsets into the text. */
export type Range = { from: number; to: number };

/** An edit: replace `from..to` with `insert`, then select `select` (absolute offsets
 * in the new text). */
export type Edit = { from: number; to: number; insert: string; select: Range };

/** Wraps the selection in `mark` (`**` bold, `_` italic), or unwraps it when it is
 * already wrapped; with nothing selected, puts the caret between a new pair. */
export function toggleMark(text: string, sel: Range, mark: string): Edit {
  const n = mark.length;
  const inner = text.slice(sel.from, sel.to);
  const before = text.slice(Math.max(0, sel.from - n), sel.from);
  const after = text.slice(sel.to, sel.to + n);
  if (sel.from !== sel.to && before === mark && after === mark) {
    // The marks sit around the selection: take them away.
    return {
      from: sel.from - n,
      to: sel.to + n,
      insert: inner,
      select: { from: sel.from - n, to: sel.to - n },
    };
  }
  if (inner.length >= 2 * n && inner.startsWith(mark) && inner.endsWith(mark)) {
    // The selection includes its marks.
    const bare = inner.slice(n, inner.length - n);
    return { from: sel.from, to: sel.to, insert: bare, select: { from: sel.from, to: sel.from + bare.length } };
  }
  return {
    from: sel.from,
    to: sel.to,
    insert: mark + inner + mark,
    select: { from: sel.from + n, to: sel.to + n },
  };
}

/** Makes the selection a link, `[text](url)`, with "url" selected to be typed over;
 * a selection that is itself a URL becomes the target, with the text to type. */
export function makeLink(text: string, sel: Range): Edit {
  const inner = text.slice(sel.from, sel.to);
  if (/^https?:\/\/\S+$/.test(inner)) {
    const insert = `[](${inner})`;
    return { from: sel.from, to: sel.to, insert, select: { from: sel.from + 1, to: sel.from + 1 } };
  }
  const insert = `[${inner}](url)`;
  const at = sel.from + inner.length + 3;
  return { from: sel.from, to: sel.to, insert, select: { from: at, to: at + 3 } };
}

/** Words of the body a reader reads (front matter and markdown syntax left out). */
export function wordCount(source: string): number {
  const body = source.replace(/^---\r?\n[\s\S]*?\r?\n---[^\n]*(\r?\n|$)/, "");
  const prose = body
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[#>*_`~|-]+/g, " ");
  return prose.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

/** Minutes to read `words` at 230 words a minute (at least one when there are any). */
export function readingMinutes(words: number): number {
  return words === 0 ? 0 : Math.max(1, Math.round(words / 230));
}
