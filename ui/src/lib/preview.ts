// The live preview's side of the shell's preview session (crates/core/src/preview.rs):
// a keystroke sends the edit, not the whole text, and gets back only the changed blocks.
import type { PreviewUpdate, TextEdit } from "./api";

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Characters compared at once (natively) before going one by one. */
const CHUNK = 512;

/** The edit that turns `before` (the session's text at `base`) into `after`: the range
 * between their common start and common end, never splitting a surrogate pair. A
 * keystroke in a 100 KB text compares about 100 KB, mostly a chunk at a time. */
export function textEdit(base: number, before: string, after: string): TextEdit {
  const most = Math.min(before.length, after.length);
  let start = 0;
  while (start + CHUNK <= most && before.slice(start, start + CHUNK) === after.slice(start, start + CHUNK)) {
    start += CHUNK;
  }
  while (start < most && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  const room = most - start;
  let end = 0;
  while (
    end + CHUNK <= room &&
    before.slice(before.length - end - CHUNK, before.length - end) ===
      after.slice(after.length - end - CHUNK, after.length - end)
  ) {
    end += CHUNK;
  }
  while (
    end < room &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end++;
  }
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return {
    base,
    from: start,
    to: before.length - end,
    insert: after.slice(start, after.length - end),
    length: after.length,
  };
}

/** The blocks shown after `update`, or null when it does not follow `version` (the
 * blocks on screen) and the whole preview must be asked for again. */
export function applyUpdate(
  blocks: string[],
  version: number,
  update: PreviewUpdate,
): string[] | null {
  if (update.base === null) return update.blocks;
  if (update.base !== version) return null;
  return [
    ...blocks.slice(0, update.start),
    ...update.blocks,
    ...blocks.slice(update.start + update.removed),
  ];
}
