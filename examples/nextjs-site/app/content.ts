// Reading from the Pressroom content API (docs/content-api.md in the Pressroom repository). Every fetch is cached
// and tagged, so the webhook handler can revalidate exactly what a publish changed:
// "documents" for lists, "document:<slug>" for one document.

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

const API = (process.env.PRESSROOM_API_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");

export async function getDocument(slug: string): Promise<Document | null> {
  const response = await fetch(`${API}/v1/documents/${encodeURIComponent(slug)}`, {
    cache: "force-cache",
    next: { tags: ["documents", `document:${slug}`] },
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`the content API answered ${response.status}`);
  return (await response.json()) as Document;
}

export async function listDocuments(): Promise<Document[]> {
  const response = await fetch(`${API}/v1/documents`, {
    cache: "force-cache",
    next: { tags: ["documents"] },
  });
  if (!response.ok) throw new Error(`the content API answered ${response.status}`);
  const body = (await response.json()) as { documents: Document[] };
  return body.documents;
}
