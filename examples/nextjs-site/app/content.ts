// Where the pages come from: the Pressroom content API (docs/content-api.md in the
// Pressroom repository), or with PRESSROOM_SOURCE=wordpress a WordPress that
// Pressroom publishes to (docs/destinations.md). Every fetch is cached and tagged, so
// the webhook handler can revalidate exactly what a publish changed: "documents" for
// lists, "document:<slug>" for one document. The handler is the same for both.

export type Document = {
  slug: string;
  title: string;
  revision: string;
  html: string;
  summary: string;
  tags: string[];
  published_at: string;
  updated_at: string;
};

const SOURCE = process.env.PRESSROOM_SOURCE ?? "pressroom";

export async function getDocument(slug: string): Promise<Document | null> {
  return SOURCE === "wordpress" ? wordpress.getDocument(slug) : pressroom.getDocument(slug);
}

export async function listDocuments(): Promise<Document[]> {
  return SOURCE === "wordpress" ? wordpress.listDocuments() : pressroom.listDocuments();
}

function cached(tags: string[]): RequestInit {
  return { cache: "force-cache", next: { tags } };
}

const pressroom = {
  api: () => (process.env.PRESSROOM_API_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, ""),

  async getDocument(slug: string): Promise<Document | null> {
    const url = `${pressroom.api()}/v1/documents/${encodeURIComponent(slug)}`;
    const response = await fetch(url, cached(["documents", `document:${slug}`]));
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`the content API answered ${response.status}`);
    return (await response.json()) as Document;
  },

  async listDocuments(): Promise<Document[]> {
    const response = await fetch(`${pressroom.api()}/v1/documents`, cached(["documents"]));
    if (!response.ok) throw new Error(`the content API answered ${response.status}`);
    const body = (await response.json()) as { documents: Document[] };
    return body.documents;
  },
};

// WordPress's public REST API (no credentials: published posts only). The revision is
// the marker Pressroom puts at the end of every body it publishes:
// <div hidden data-pressroom-revision="r_…"></div>.
type WordPressPost = {
  slug: string;
  title: { rendered: string };
  content: { rendered: string };
  excerpt: { rendered: string };
  date_gmt: string;
  modified_gmt: string;
};

const wordpress = {
  // The REST root as WordPress announces it: https://example.com/wp-json/, or
  // https://example.com/?rest_route=/ without pretty permalinks.
  url(route: string, query: Record<string, string>): string {
    const root = new URL(process.env.WORDPRESS_API_URL ?? "http://127.0.0.1:8081/wp-json/");
    const base = root.searchParams.get("rest_route");
    if (base !== null) {
      root.searchParams.set("rest_route", `${base.replace(/\/+$/, "")}/${route}`);
    } else {
      root.pathname = `${root.pathname.replace(/\/+$/, "")}/${route}`;
    }
    for (const [k, v] of Object.entries(query)) root.searchParams.set(k, v);
    return root.toString();
  },

  toDocument(post: WordPressPost): Document {
    // Titles and excerpts come as HTML: their text, entities decoded.
    const text = (html: string) =>
      html
        .replace(/<[^>]*>/g, "")
        .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&")
        .trim();
    return {
      slug: post.slug,
      title: text(post.title.rendered),
      revision: /data-pressroom-revision="([^"]+)"/.exec(post.content.rendered)?.[1] ?? "",
      html: post.content.rendered,
      summary: text(post.excerpt.rendered),
      tags: [],
      published_at: post.date_gmt,
      updated_at: post.modified_gmt,
    };
  },

  async getDocument(slug: string): Promise<Document | null> {
    const url = wordpress.url("wp/v2/posts", { slug });
    const response = await fetch(url, cached(["documents", `document:${slug}`]));
    if (!response.ok) throw new Error(`WordPress answered ${response.status}`);
    const posts = (await response.json()) as WordPressPost[];
    return posts.length > 0 ? wordpress.toDocument(posts[0]) : null;
  },

  async listDocuments(): Promise<Document[]> {
    const url = wordpress.url("wp/v2/posts", { per_page: "100" });
    const response = await fetch(url, cached(["documents"]));
    if (!response.ok) throw new Error(`WordPress answered ${response.status}`);
    return ((await response.json()) as WordPressPost[]).map(wordpress.toDocument);
  },
};
