// The side-by-side view's pages: the live page as its visitors see it (its own
// stylesheets inlined, never its scripts) and the local render, each with the blocks
// this publish changed highlighted; and the local render placed into the live page's
// article region ("in the site's theme"). Everything goes into a sandboxed iframe
// (`sandbox=""`): no script runs there, whatever the page holds.

/** Blocks that hold one line of a reader's text (as core's `visible_text` splits it). */
const BLOCKS = "p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, td, th, dt, dd, figcaption";

/** Where a site's pages hold the article when the site names no selector. */
export const DEFAULT_ARTICLE = "article, main, [role=main]";

/** Text as compared: whitespace collapsed, trimmed. */
export function normalize(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** What the highlight looks like, on either side. */
export const HIGHLIGHT_CSS =
  "[data-pressroom-changed]{outline:2px solid #e0a100;outline-offset:2px;" +
  "background:rgba(255,196,0,.18);border-radius:2px}";

/** Whether a block with text `text` holds one of the `changed` lines: the whole of it,
 * or — a line being one source line of a soft-wrapped paragraph — a long enough part. */
export function holdsChange(text: string, changed: readonly string[]): boolean {
  const t = normalize(text);
  return t !== "" && changed.some((line) => {
    const l = normalize(line);
    return l !== "" && (l === t || (l.length >= 12 && t.includes(l)));
  });
}

/** Marks (`data-pressroom-changed`) the innermost blocks of `root` that hold a line of
 * `changed`; how many it marked. */
export function markChanged(root: ParentNode, changed: readonly string[]): number {
  if (changed.length === 0) return 0;
  let marked = 0;
  for (const el of Array.from(root.querySelectorAll(BLOCKS))) {
    if (el.querySelector(BLOCKS)) continue; // the innermost block carries the line
    if (holdsChange(el.textContent ?? "", changed)) {
      el.setAttribute("data-pressroom-changed", "");
      marked++;
    }
  }
  return marked;
}

/** `html` (a fragment) with its changed blocks marked. */
export function withChangedMarked(html: string, changed: readonly string[]): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  markChanged(doc.body, changed);
  return doc.body.innerHTML;
}

/** A style element's content that cannot close the element. */
function styleText(css: string): string {
  return css.replace(/<\//g, "<\\/");
}

/** A whole document for the frame: the page's styles, the highlight, the body. */
export function frameDocument(body: string, css: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<style>${styleText(css)}</style><style>${HIGHLIGHT_CSS}</style></head>` +
    `<body>${body}</body></html>`
  );
}

/** The live page (sanitized body, absolute links) with `css` and the changed blocks
 * marked. */
export function livePage(pageHtml: string, css: string, changed: readonly string[]): string {
  return frameDocument(withChangedMarked(pageHtml, changed), css);
}

/** The local render put where the live page holds its article (the first element
 * `selector` finds; else the whole body), in the page's styles: how the text will look
 * on the site. */
export function inTheme(
  pageHtml: string,
  css: string,
  title: string,
  localHtml: string,
  selector: string | null,
  changed: readonly string[],
): { html: string; placed: boolean } {
  const doc = new DOMParser().parseFromString(`<body>${pageHtml}</body>`, "text/html");
  let region: Element | null = null;
  try {
    region = doc.body.querySelector(selector?.trim() || DEFAULT_ARTICLE);
  } catch {
    region = null; // a selector that does not parse finds nothing
  }
  const target = region ?? doc.body;
  const h1 = doc.createElement("h1");
  h1.textContent = title;
  target.replaceChildren(h1);
  target.insertAdjacentHTML("beforeend", localHtml);
  markChanged(target, changed);
  return { html: frameDocument(doc.body.innerHTML, css), placed: region !== null };
}
