// The UI's one state module: the document list, the search, the selected document and
// its rendered preview. Views read it and call its actions; they hold no logic.
import type { Api, Document, DocumentSummary, IpcError, SearchHit } from "./api";

export function createWorkspace(api: Api) {
  const state = $state({
    documents: [] as DocumentSummary[],
    query: "",
    hits: null as SearchHit[] | null,
    selected: null as Document | null,
    previewHtml: "",
    loading: true,
    error: null as IpcError | null,
  });

  let searchSeq = 0;

  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      state.error = null;
      return await work();
    } catch (e) {
      state.error = e as IpcError;
      return undefined;
    }
  }

  async function refresh() {
    state.loading = true;
    await run(async () => {
      state.documents = await api.listDocuments();
    });
    state.loading = false;
    if (!state.selected && state.documents.length > 0) {
      await select(state.documents[0].slug);
    }
  }

  async function select(slug: string) {
    await run(async () => {
      const doc = await api.getDocument(slug);
      const html = await api.renderMarkdown(doc.body);
      state.selected = doc;
      state.previewHtml = html;
    });
  }

  async function search(query: string) {
    state.query = query;
    const seq = ++searchSeq;
    if (query.trim() === "") {
      state.hits = null;
      return;
    }
    const hits = await run(() => api.searchDocuments(query));
    // Only the answer to the latest keystroke may win.
    if (seq === searchSeq && hits) state.hits = hits;
  }

  return { state, refresh, select, search };
}

export type Workspace = ReturnType<typeof createWorkspace>;
