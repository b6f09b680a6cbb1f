import { describe, expect, it } from "vitest";
import type { PreviewUpdate } from "./api";
import { applyUpdate, textEdit } from "./preview";

/** `before` with the edit applied, as the shell applies it. */
const apply = (before: string, e: ReturnType<typeof textEdit>) =>
  before.slice(0, e.from) + e.insert + before.slice(e.to);

/** No lone surrogate (half of a character). */
const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("textEdit", () => {
  it("sends the changed range only", () => {
    expect(textEdit(3, "hello world", "hello, world")).toEqual({
      base: 3, from: 5, to: 5, insert: ",", length: 12,
    });
    expect(textEdit(1, "abc", "abc")).toEqual({ base: 1, from: 3, to: 3, insert: "", length: 3 });
    expect(textEdit(1, "abcabc", "abc")).toMatchObject({ from: 3, to: 6, insert: "" });
    expect(textEdit(1, "", "new")).toMatchObject({ from: 0, to: 0, insert: "new" });
  });

  it("finds the change in long texts, a chunk at a time", () => {
    const long = "0123456789".repeat(300);
    for (const at of [0, 511, 512, 513, 1500, 2999, 3000]) {
      const after = long.slice(0, at) + "X" + long.slice(at);
      expect(textEdit(0, long, after)).toMatchObject({ from: at, to: at, insert: "X" });
      expect(textEdit(0, after, long)).toMatchObject({ from: at, to: at + 1, insert: "" });
    }
    // A repeated text: the change may be placed anywhere among the equal runs.
    const e = textEdit(0, long, long + long);
    expect(apply(long, e)).toBe(long + long);
    expect(e.to - e.from).toBe(0);
  });

  it("never splits a surrogate pair", () => {
    // 😀 and 😃 share their high surrogate; 😀 and 🙀 share their low one.
    expect(wellFormed("a\uD83D")).toBe(false);
    for (const [before, after] of [
      ["a😀b", "a😃b"],
      ["a😀b", "a🙀b"],
      ["😀", "😀😀"],
      ["x😀", "😀"],
      ["😀x", "😀"],
    ]) {
      const e = textEdit(0, before, after);
      expect(apply(before, e)).toBe(after);
      expect(wellFormed(e.insert)).toBe(true);
      const removed = before.slice(e.from, e.to);
      expect(wellFormed(removed)).toBe(true);
    }
  });

  it("round-trips random edits", () => {
    const alphabet = ["a", "b", " ", "\n", "é", "😀", "😃"];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const word = () => Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join("");
    let text = word();
    for (let i = 0; i < 500; i++) {
      const cut = [...text];
      const at = rand(cut.length + 1);
      cut.splice(at, rand(3), ...[...word()]);
      const next = cut.join("");
      expect(apply(text, textEdit(0, text, next))).toBe(next);
      text = next;
    }
  });
});

describe("applyUpdate", () => {
  const update = (over: Partial<PreviewUpdate>): PreviewUpdate => ({
    version: 5, base: 4, start: 1, removed: 1, blocks: ["B"], title: "", tags: [], problem: null, lines: [],
    ...over,
  });

  it("splices the changed blocks into the ones on screen", () => {
    expect(applyUpdate(["a", "b", "c"], 4, update({}))).toEqual(["a", "B", "c"]);
    expect(applyUpdate(["a", "b"], 4, update({ start: 2, removed: 0 }))).toEqual(["a", "b", "B"]);
    expect(applyUpdate(["a", "b", "c"], 4, update({ start: 0, removed: 3, blocks: [] }))).toEqual([]);
  });

  it("takes a whole render as it is and refuses an update of other blocks", () => {
    expect(applyUpdate(["a"], 1, update({ base: null, blocks: ["x", "y"] }))).toEqual(["x", "y"]);
    expect(applyUpdate(["a", "b", "c"], 3, update({}))).toBeNull();
  });
});
