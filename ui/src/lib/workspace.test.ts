import { describe, expect, it } from "vitest";
import type { Api, Document, DocumentSummary, SearchHit } from "./api";
import { createWorkspace } from "./workspace.svelte";

function summary(slug: string): DocumentSummary {
  return { slug, title: slug.toUpperCase(), tags: [], status: "draft", has_error: false, updated_at: "" };
}

function doc(slug: string): Document {
  return {
    slug, title: slug, source: `# ${slug}`, body: `# ${slug}`, tags: [], front_matter: {},
    parse_error: null, revision: "r_0000000000000000", published_revision: null,
    status: "draft", created_at: "", updated_at: "",
  };
}

function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    listDocuments: async () => [summary("first"), summary("second")],
    getDocument: async (slug) => doc(slug),
    searchDocuments: async () => [],
    renderMarkdown: async (md) => `<p>${md}</p>`,
    ...overrides,
  };
}

describe("workspace store", () => {
  it("loads the list and previews the first document", async () => {
    const ws = createWorkspace(fakeApi());
    await ws.refresh();
    expect(ws.state.documents.map((d) => d.slug)).toEqual(["first", "second"]);
    expect(ws.state.selected?.slug).toBe("first");
    expect(ws.state.previewHtml).toBe("<p># first</p>");
    expect(ws.state.loading).toBe(false);
  });

  it("shows the shell's error and keeps the previous selection", async () => {
    const ws = createWorkspace(
      fakeApi({
        getDocument: async (slug) => {
          if (slug === "gone") throw { kind: "not_found", message: "no document" };
          return doc(slug);
        },
      }),
    );
    await ws.refresh();
    await ws.select("gone");
    expect(ws.state.error).toEqual({ kind: "not_found", message: "no document" });
    expect(ws.state.selected?.slug).toBe("first");
  });

  it("lets only the latest search answer win", async () => {
    const resolvers: Record<string, (h: SearchHit[]) => void> = {};
    const ws = createWorkspace(
      fakeApi({
        searchDocuments: (q) => new Promise((resolve) => (resolvers[q] = resolve)),
      }),
    );
    const slow = ws.search("ga");
    const fast = ws.search("garden");
    resolvers["garden"]([{ slug: "new", title: "New", snippet: [] }]);
    await fast;
    resolvers["ga"]([{ slug: "old", title: "Old", snippet: [] }]);
    await slow;
    expect(ws.state.hits?.map((h) => h.slug)).toEqual(["new"]);
    await ws.search("  ");
    expect(ws.state.hits).toBeNull();
  });
});
