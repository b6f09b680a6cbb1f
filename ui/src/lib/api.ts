// The one typed wrapper over the Rust commands. Every call to the shell goes through
// here, so the rest of the UI never sees `invoke` or untyped payloads.
import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";

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

export interface WorkspaceInfo {
  data_dir: string;
  sandbox: boolean;
  api_url: string | null;
  demo_site_url: string | null;
}

export interface Preview {
  title: string;
  tags: string[];
  html: string;
  /** Malformed front matter: [line, message]. */
  problem: [number, string] | null;
}

export interface Site {
  id: number;
  name: string;
  webhook_url: string;
  page_url_template: string;
  preset: string;
  enabled: boolean;
  disabled_reason: string | null;
  confirm_timeout_ms: number;
}

export type Verdict = "live" | "stale" | "http_error" | "unreachable";

export interface Poll {
  elapsed_ms: number;
  status: number | null;
  x_nextjs_cache: string | null;
  age: string | null;
  cache_control: string | null;
  etag: string | null;
  seen_revision: string | null;
  verdict: Verdict;
  error: string | null;
}

export type SiteState =
  | "live"
  | "stale"
  | "http_error"
  | "unreachable"
  | "delivered"
  | "webhook_pending"
  | "webhook_failed";

export interface SiteResult {
  site: string;
  state: SiteState;
  message: string;
  delivery_id: number | null;
  url: string;
  method: "exact" | "heuristic" | null;
  seen_revision: string | null;
  confirmation_id: number | null;
  elapsed_ms: number;
}

/** One step of the publish pipeline (core::pipeline::Progress). */
export type Progress =
  | {
      type: "published";
      slug: string;
      revision: string;
      publish_id: number;
      created: boolean;
      already_live: boolean;
      sites: string[];
    }
  | {
      type: "webhook_answered";
      site: string;
      delivery_id: number;
      attempt: number;
      status: number | null;
      latency_ms: number;
      next: string;
      retry_in_ms: number | null;
      error: string | null;
    }
  | { type: "confirming"; site: string; url: string; timeout_ms: number }
  | { type: "polled"; site: string; poll: Poll }
  | { type: "site_finished"; result: SiteResult };

export interface PipelineReport {
  publish: { slug: string; revision: string; publish_id: number; sites: string[] };
  sites: SiteResult[];
}

export interface ConfirmationRecord {
  id: number;
  site_name: string;
  url: string;
  revision: string;
  outcome: "live" | "stale" | "http_error" | "unreachable";
  method: "exact" | "heuristic" | null;
  message: string;
  page_text: string | null;
  page_html: string | null;
  polls: Poll[];
}

export interface PublishedView {
  publish: { id: number; slug: string; revision: string; source: string; created_at: string };
  local_html: string;
  title: string;
  confirmations: ConfirmationRecord[];
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
type Listen = <T>(event: string, handler: (payload: T) => void) => Promise<() => void>;

/** Normalises any rejection into an IpcError so callers handle one shape. */
export function createApi(invoke: Invoke, listen?: Listen) {
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
    workspaceInfo: () => call<WorkspaceInfo>("workspace_info"),
    preview: (source: string) => call<Preview>("preview", { source }),
    saveDocument: (slug: string, source: string) =>
      call<Document>("save_document", { slug, source }),
    createDocument: (title: string) => call<Document>("create_document", { title }),
    listSites: () => call<Site[]>("list_sites"),
    publishDocument: (slug: string, sites: string[]) =>
      call<PipelineReport>("publish_document", { slug, sites }),
    resendDelivery: (deliveryId: number) =>
      call<SiteResult>("resend_delivery", { deliveryId }),
    publishedView: (publishId: number) =>
      call<PublishedView>("published_view", { publishId }),
    /** Subscribes to the publish pipeline's progress; returns the unsubscribe. */
    onProgress: (handler: (p: Progress) => void) =>
      listen ? listen<Progress>("publish-progress", handler) : Promise.resolve(() => {}),
  };
}

export type Api = ReturnType<typeof createApi>;

export const api: Api = createApi(tauriInvoke, (event, handler) =>
  tauriListen(event, (e) => handler(e.payload as never)),
);
