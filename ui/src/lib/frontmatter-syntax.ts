// Front matter in the editor: markdown alone reads a `---` … `---` block at the top as
// a rule and a setext heading. This block parser takes it as one `FrontMatter` node
// (highlighted as meta), by the core's rule (crates/core/src/frontmatter.rs): a `---`
// first line, up to a `---` or `...` line. Until it is closed, the rest is front
// matter too (the preview then shows the core's error).
import type { MarkdownConfig } from "@lezer/markdown";
import { tags } from "@lezer/highlight";

const isFence = (text: string, closing: boolean) => {
  const t = text.replace(/^\ufeff/, "").trimEnd();
  return t === "---" || (closing && t === "...");
};

export const frontMatter: MarkdownConfig = {
  defineNodes: [{ name: "FrontMatter", block: true, style: tags.meta }],
  parseBlock: [
    {
      name: "FrontMatter",
      before: "HorizontalRule",
      parse(cx, line) {
        if (cx.lineStart !== 0 || !isFence(line.text, false)) return false;
        let end = line.text.length;
        while (cx.nextLine()) {
          end = cx.lineStart + line.text.length;
          if (isFence(line.text, true)) {
            cx.nextLine();
            break;
          }
        }
        cx.addElement(cx.elt("FrontMatter", 0, end));
        return true;
      },
    },
  ],
};
