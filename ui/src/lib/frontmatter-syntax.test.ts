import { describe, expect, it } from "vitest";
import { parser } from "@lezer/markdown";
import { frontMatter } from "./frontmatter-syntax";

const withFrontMatter = parser.configure(frontMatter);

/** The top-level nodes: [name, text]. */
function blocks(text: string): [string, string][] {
  const out: [string, string][] = [];
  const cursor = withFrontMatter.parse(text).cursor();
  if (cursor.firstChild()) {
    do out.push([cursor.name, text.slice(cursor.from, cursor.to)]);
    while (cursor.nextSibling());
  }
  return out;
}

describe("front matter in the editor", () => {
  it("is one block, not a rule and a setext heading", () => {
    expect(blocks("---\ntitle: A\ntags: [x]\n---\n# Body\n")).toEqual([
      ["FrontMatter", "---\ntitle: A\ntags: [x]\n---"],
      ["ATXHeading1", "# Body"],
    ]);
    expect(blocks("---  \ntitle: A\n...\ntext")[0]).toEqual(["FrontMatter", "---  \ntitle: A\n..."]);
  });

  it("only at the very start", () => {
    expect(blocks("text\n\n---\ntitle: A\n---\n").map(([name]) => name)).toEqual([
      "Paragraph",
      "HorizontalRule",
      "SetextHeading2",
    ]);
  });

  it("runs to the end until it is closed", () => {
    expect(blocks("---\ntitle: A\n\n# Not yet body")).toEqual([
      ["FrontMatter", "---\ntitle: A\n\n# Not yet body"],
    ]);
  });
});
