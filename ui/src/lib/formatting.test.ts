import { describe, expect, it } from "vitest";
import { makeLink, readingMinutes, toggleMark, wordCount } from "./formatting";

const apply = (text: string, e: ReturnType<typeof toggleMark>) =>
  text.slice(0, e.from) + e.insert + text.slice(e.to);

describe("formatting", () => {
  it("wraps and unwraps bold and italic", () => {
    const text = "say hello now";
    const bold = toggleMark(text, { from: 4, to: 9 }, "**");
    const once = apply(text, bold);
    expect(once).toBe("say **hello** now");
    expect(once.slice(bold.select.from, bold.select.to)).toBe("hello");
    // Again on the same selection: back as it was.
    const back = apply(once, toggleMark(once, bold.select, "**"));
    expect(back).toBe(text);
    // With the marks selected too.
    expect(apply(once, toggleMark(once, { from: 4, to: 13 }, "**"))).toBe(text);
    // Nothing selected: a pair with the caret inside.
    const empty = toggleMark("ab", { from: 1, to: 1 }, "_");
    expect(apply("ab", empty)).toBe("a__b");
    expect(empty.select).toEqual({ from: 2, to: 2 });
  });

  it("makes links, the URL ready to type or the text when a URL was selected", () => {
    const e = makeLink("see docs", { from: 4, to: 8 });
    const out = apply("see docs", e);
    expect(out).toBe("see [docs](url)");
    expect(out.slice(e.select.from, e.select.to)).toBe("url");
    const u = makeLink("https://x.example", { from: 0, to: 17 });
    expect(apply("https://x.example", u)).toBe("[](https://x.example)");
    expect(u.select).toEqual({ from: 1, to: 1 });
  });

  it("counts the words a reader reads", () => {
    const src = "---\ntitle: Not counted here\ntags: [a]\n---\n# Heading words\n\nOne **two** [three](http://x) four.\n\n```\ncode not counted\n```\n";
    expect(wordCount(src)).toBe(6);
    expect(readingMinutes(0)).toBe(0);
    expect(readingMinutes(10)).toBe(1);
    expect(readingMinutes(2300)).toBe(10);
  });
});
