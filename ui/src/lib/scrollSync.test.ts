import { describe, expect, it } from "vitest";
import { previewOffset } from "./scrollSync";

describe("previewOffset", () => {
  const lines = [4, 10, 20];
  const tops = [100, 300, 900];
  it("keeps the preview at its top above the first block (the front matter)", () => {
    expect(previewOffset(lines, tops, 1, 0, 1200, 30)).toBe(0);
  });
  it("places a line in proportion between its block and the next", () => {
    expect(previewOffset(lines, tops, 4, 0, 1200, 30)).toBe(100);
    expect(previewOffset(lines, tops, 7, 0, 1200, 30)).toBe(200);
    expect(previewOffset(lines, tops, 15, 0.5, 1200, 30)).toBeCloseTo(630);
  });
  it("runs the last block to the end of the text (one block is a whole document)", () => {
    expect(previewOffset(lines, tops, 25, 0, 1200, 29)).toBe(1050);
    expect(previewOffset([1], [0], 51, 0, 1000, 100)).toBe(500);
  });
  it("has nothing to follow without blocks", () => {
    expect(previewOffset([], [], 3, 0, 0, 10)).toBe(0);
  });
});
