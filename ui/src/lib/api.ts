// The one typed wrapper over the Rust commands. Every call to the shell goes through
// here, so the rest of the UI never sees `invoke` or untyped payloads.
import { invoke as tauriInvoke } from "@tauri-apps/api/core";

export type Status = "draft" | "published" | "modified";

export interface DocumentSummary {
  slug: string;
  title: string;
  tags: string[];
  status: Status;
  has_error: boolean;
  updated_at: string;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface Document {
  slug: string;
  title: string;
  source: string;
  body: string;
  tags: string[];
  front_matter: Record<string, unknown>;
  parse_error: ParseProblem | null;
  revision: string | null;
  published_revision: string | null;
  status: Status;
  created_at: string;
  updated_at: string;
}

export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface SearchHit {
  slug: string;
  title: string;
  snippet: SnippetPart[];
}

/** What every failed command rejects with (see src-tauri/ipc_error.rs). */
export interface IpcError {
  kind: string;
  message: string;
}

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as IpcError).kind === "string" &&
    typeof (e as IpcError).message === "string"
  );
}

type Invoke = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;

/** Normalises any rejection into an IpcError so callers handle one shape. */
export function createApi(invoke: Invoke) {
  async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return await invoke<T>(cmd, args);
    } catch (e) {
      if (isIpcError(e)) throw e;
      throw { kind: "ipc", message: String(e) } satisfies IpcError;
    }
  }
  return {
    listDocuments: () => call<DocumentSummary[]>("list_documents"),
    getDocument: (slug: string) => call<Document>("get_document", { slug }),
    searchDocuments: (query: string) => call<SearchHit[]>("search_documents", { query }),
    renderMarkdown: (markdown: string) => call<string>("render_markdown", { markdown }),
  };
}

export type Api = ReturnType<typeof createApi>;

export const api: Api = createApi(tauriInvoke);
