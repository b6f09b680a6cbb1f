// Scroll sync: the preview follows the editor. The shell says on which line of the
// text each preview block starts; the line at the top of the editor is placed at the
// top of the preview, between the block it is in and the next one in proportion.

/** Where the preview should scroll to (px from its top) for the editor's top `line`
 * (1-based, `frac` of the way through it). `lines[i]` is the line block `i` starts on
 * and `tops[i]` where that block is in the preview; `end` is where the last one ends,
 * and `total` the number of lines of the text. */
export function previewOffset(
  lines: number[],
  tops: number[],
  line: number,
  frac: number,
  end: number,
  total: number,
): number {
  const n = Math.min(lines.length, tops.length);
  if (n === 0 || line < lines[0]) return 0;
  // The last block starting on or before the line.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid] <= line) lo = mid;
    else hi = mid - 1;
  }
  // The last block runs to the end of the text (a document with footnotes or raw
  // HTML is one block: then this alone keeps the two level).
  const nextTop = lo + 1 < n ? tops[lo + 1] : end;
  const nextLine = lo + 1 < n ? lines[lo + 1] : Math.max(total + 1, lines[lo] + 1);
  const share = Math.min(1, Math.max(0, (line + frac - lines[lo]) / (nextLine - lines[lo])));
  return tops[lo] + (nextTop - tops[lo]) * share;
}

/** Keeps `pane` (the preview's scroll area, whose blocks carry `data-line`) level with
 * the editor scrolling in `scroller`; `topLine` reads the editor's top line. */
export function follow(
  scroller: HTMLElement,
  pane: HTMLElement,
  topLine: () => { line: number; frac: number; lines: number },
): void {
  const blocks = Array.from(pane.querySelectorAll<HTMLElement>("[data-line]"));
  if (blocks.length === 0) return;
  const origin = pane.getBoundingClientRect().top - pane.scrollTop;
  const tops = blocks.map((b) => b.getBoundingClientRect().top - origin);
  const lines = blocks.map((b) => Number(b.dataset.line));
  const last = blocks[blocks.length - 1].getBoundingClientRect().bottom - origin;
  const { line, frac, lines: total } = topLine();
  // At the very end of the text, the end of the preview.
  const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
  pane.scrollTop = atEnd ? pane.scrollHeight : previewOffset(lines, tops, line, frac, last, total) - 12;
}
