// The UI's one state module: the document list, the search, the document being edited
// with its live preview and autosave, and the publish in progress. Views read it and
// call its actions; they hold no logic.
import type {
  Api,
  Document,
  DocumentSummary,
  IpcError,
  Poll,
  Progress,
  PublishedView,
  SearchHit,
  SiteResult,
  WorkspaceInfo,
} from "./api";

/** Where one site is in the publish pipeline. */
export type Stage = "publishing" | "webhook" | "waiting" | "live" | "stale" | "error";

export interface SiteProgress {
  site: string;
  stage: Stage;
  /** The latest sentence: what happened, what to do. */
  message: string;
  deliveryId: number | null;
  url: string | null;
  webhookStatus: number | null;
  webhookMs: number | null;
  polls: Poll[];
  result: SiteResult | null;
}

export interface PublishRun {
  slug: string;
  running: boolean;
  revision: string | null;
  publishId: number | null;
  sites: Record<string, SiteProgress>;
  view: PublishedView | null;
}

/** Milliseconds without typing before the preview renders and the draft is saved. */
export const PREVIEW_DELAY = 120;
export const AUTOSAVE_DELAY = 800;

export function stageOf(result: SiteResult): Stage {
  switch (result.state) {
    case "live":
    case "delivered":
      return "live";
    case "stale":
      return "stale";
    default:
      return "error";
  }
}

export function createWorkspace(api: Api) {
  const state = $state({
    info: null as WorkspaceInfo | null,
    documents: [] as DocumentSummary[],
    query: "",
    hits: null as SearchHit[] | null,
    selected: null as Document | null,
    /** The source being edited (saved or not). */
    draft: "",
    dirty: false,
    saving: false,
    previewHtml: "",
    previewTitle: "",
    previewTags: [] as string[],
    previewProblem: null as [number, string] | null,
    loading: true,
    error: null as IpcError | null,
    publish: null as PublishRun | null,
  });

  let searchSeq = 0;
  let previewSeq = 0;
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;

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
      state.info ??= await api.workspaceInfo();
    });
    state.loading = false;
    if (!state.selected && state.documents.length > 0) {
      await select(state.documents[0].slug);
    }
  }

  async function renderPreview(source: string) {
    const seq = ++previewSeq;
    const preview = await run(() => api.preview(source));
    // Only the latest text may win.
    if (preview && seq === previewSeq) {
      state.previewHtml = preview.html;
      state.previewTitle = preview.title;
      state.previewTags = preview.tags;
      state.previewProblem = preview.problem;
    }
  }

  async function select(slug: string) {
    await save();
    await run(async () => {
      const doc = await api.getDocument(slug);
      state.selected = doc;
      state.draft = doc.source;
      state.dirty = false;
      await renderPreview(doc.source);
    });
  }

  /** The editor's text changed: preview soon, save a little later. */
  function edit(source: string) {
    if (!state.selected || source === state.draft) return;
    state.draft = source;
    state.dirty = true;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => void renderPreview(source), PREVIEW_DELAY);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => void save(), AUTOSAVE_DELAY);
  }

  async function save() {
    clearTimeout(saveTimer);
    const doc = state.selected;
    if (!doc || !state.dirty) return;
    const source = state.draft;
    state.saving = true;
    const saved = await run(() => api.saveDocument(doc.slug, source));
    state.saving = false;
    if (saved && state.selected?.slug === saved.slug) {
      state.selected = saved;
      state.dirty = state.draft !== source;
      const i = state.documents.findIndex((d) => d.slug === saved.slug);
      if (i >= 0) {
        state.documents[i] = {
          ...state.documents[i],
          title: saved.title,
          tags: saved.tags,
          status: saved.status,
          has_error: saved.parse_error !== null,
        };
      }
    }
  }

  async function create(title: string) {
    await save();
    const doc = await run(() => api.createDocument(title));
    if (doc) {
      state.documents = await api.listDocuments();
      await select(doc.slug);
    }
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

  function siteProgress(site: string): SiteProgress {
    const run = state.publish!;
    run.sites[site] ??= {
      site,
      stage: "publishing",
      message: "Publishing to the content API…",
      deliveryId: null,
      url: null,
      webhookStatus: null,
      webhookMs: null,
      polls: [],
      result: null,
    };
    return run.sites[site];
  }

  /** Applies one pipeline event to the publish in progress. */
  function onProgress(p: Progress) {
    const run = state.publish;
    if (!run) return;
    switch (p.type) {
      case "published":
        if (p.slug !== run.slug) return;
        run.revision = p.revision;
        run.publishId = p.publish_id;
        for (const site of p.sites) {
          const s = siteProgress(site);
          s.stage = "webhook";
          s.message = `Published ${p.revision}; sending the webhook…`;
        }
        break;
      case "webhook_answered": {
        const s = siteProgress(p.site);
        s.deliveryId = p.delivery_id;
        s.webhookStatus = p.status;
        s.webhookMs = p.latency_ms;
        s.message =
          p.next === "delivered"
            ? `Webhook answered ${p.status} in ${p.latency_ms} ms.`
            : (p.error ?? `Webhook: ${p.next}`);
        break;
      }
      case "confirming": {
        const s = siteProgress(p.site);
        s.stage = "waiting";
        s.url = p.url;
        s.message = `Waiting for ${p.url} to serve the new revision…`;
        break;
      }
      case "polled":
        siteProgress(p.site).polls.push(p.poll);
        break;
      case "site_finished": {
        const s = siteProgress(p.result.site);
        s.result = p.result;
        s.stage = stageOf(p.result);
        s.message = p.result.message;
        s.deliveryId = p.result.delivery_id ?? s.deliveryId;
        break;
      }
    }
  }

  async function loadView() {
    const run = state.publish;
    if (run?.publishId == null) return;
    const view = await api.publishedView(run.publishId).catch(() => null);
    if (view && state.publish === run) run.view = view;
  }

  /** Saves, publishes the selected document to every enabled site and follows it to live. */
  async function publish() {
    const doc = state.selected;
    if (!doc || state.publish?.running) return;
    await save();
    state.publish = { slug: doc.slug, running: true, revision: null, publishId: null, sites: {}, view: null };
    const unlisten = await api.onProgress(onProgress);
    try {
      const report = await run(() => api.publishDocument(doc.slug, []));
      if (report) {
        state.publish.publishId = report.publish.publish_id;
        state.publish.revision = report.publish.revision;
        for (const r of report.sites) onProgress({ type: "site_finished", result: r });
      }
    } finally {
      unlisten();
      state.publish.running = false;
    }
    await loadView();
    await refresh();
  }

  /** Sends a site's webhook again and follows it to live. */
  async function resend(site: string) {
    const s = state.publish?.sites[site];
    if (!s || s.deliveryId == null) return;
    s.stage = "webhook";
    s.message = "Sending the webhook again…";
    s.polls = [];
    const unlisten = await api.onProgress(onProgress);
    try {
      const result = await run(() => api.resendDelivery(s.deliveryId!));
      if (result) onProgress({ type: "site_finished", result });
    } finally {
      unlisten();
    }
    await loadView();
  }

  function closePublish() {
    if (!state.publish?.running) state.publish = null;
  }

  return { state, refresh, select, edit, save, create, search, publish, resend, closePublish };
}

export type Workspace = ReturnType<typeof createWorkspace>;
