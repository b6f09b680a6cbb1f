import { describe, expect, it } from "vitest";
import { frameDocument, holdsChange, normalize } from "./sideBySide";

describe("side-by-side frames", () => {
  it("compares text as a reader reads it", () => {
    expect(normalize("  A  freshly\n written  ")).toBe("A freshly written");
  });

  it("finds a changed line in its block, also one line of a wrapped paragraph", () => {
    expect(holdsChange("Try it", ["Try it"])).toBe(true);
    expect(holdsChange("Try it again", ["Try it"])).toBe(false); // short lines match whole
    expect(holdsChange("Pressroom drafts your content locally, publishes it to your API", ["publishes it to your API"])).toBe(true);
    expect(holdsChange("Unrelated text", ["publishes it to your API"])).toBe(false);
    expect(holdsChange("", [""])).toBe(false);
  });

  it("keeps the page's styles inside their element", () => {
    const doc = frameDocument("<p>x</p>", "p{color:red}</style><script>x()</script>");
    expect(doc).not.toContain("</style><script>");
    expect(doc).toContain("p{color:red}");
    expect(doc).toContain("data-pressroom-changed");
  });
});
