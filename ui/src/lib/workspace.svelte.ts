// The UI's one state module: the document list, the search, the document being edited
// with its live preview and autosave, and the publish in progress. Views read it and
// call its actions; they hold no logic.
import { attempt } from "./api";
import { untilText } from "./time";
import { applyUpdate, textEdit } from "./preview";
import type {
  Api,
  Schedule,
  DiffLine,
  Document,
  DocumentSites,
  DocumentSummary,
  Event,
  ImportReport,
  IpcError,
  Poll,
  PreviewUpdate,
  PublishedView,
  RevisionInfo,
  SearchHit,
  Site,
  Trashed,
  Stage,
  Standing,
  WorkspaceInfo,
} from "./api";

export interface SiteProgress {
  site: string;
  /** Where the site stands (core's state machine); null while the content API is
   * being written to. */
  stage: Stage | null;
  /** A confirmation of its page is still owed. */
  confirming: boolean;
  /** The latest sentence: what happened, what to do. */
  message: string;
  deliveryId: number | null;
  url: string | null;
  webhookStatus: number | null;
  webhookMs: number | null;
  polls: Poll[];
  /** `run.events` when an event about this site last arrived. */
  lastEvent: number;
}

export interface PublishRun {
  slug: string;
  /** Taking the document down rather than publishing it: "live" means gone. */
  unpublish: boolean;
  /** Some site has not settled yet: the panel follows the publisher's events. */
  running: boolean;
  revision: string | null;
  publishId: number | null;
  sites: Record<string, SiteProgress>;
  view: PublishedView | null;
  /** Deliveries re-sent from this panel: their events come through their own stream. */
  resent: number[];
  /** Events applied so far (snapshots older than the newest event are not applied). */
  events: number;
}

/** Milliseconds without typing before the draft is saved. (The preview renders at
 * once: one render in flight at a time, the latest text next.) */
export const AUTOSAVE_DELAY = 800;

export type View = "editor" | "deliveries" | "settings";

export interface HistoryState {
  slug: string;
  revisions: RevisionInfo[];
  /** The revision whose diff against the current draft is shown. */
  selected: number | null;
  diff: DiffLine[];
}

const TARGETS_KEY = "pressroom.publish-targets";

/** Nothing more happens to the site without the user: live, stale, failed, or
 * accepted with no confirmation owed. Only "live" is ever shown as Live. */
export function isSettled(s: { stage: Stage | null; confirming: boolean }): boolean {
  switch (s.stage?.stage) {
    case "live":
    case "stale":
    case "failed":
      return true;
    case "accepted":
      return !s.confirming;
    default:
      return false;
  }
}


/** The short label of a stage. */
export function stageLabel(stage: Stage | null, now = Date.now()): string {
  switch (stage?.stage) {
    case undefined:
      return "Publishing…";
    case "queued":
    case "sending":
      return "Webhook…";
    case "retry_at":
      return `Retrying ${untilText(stage.at, now)}`;
    case "accepted":
      return "Webhook accepted";
    case "confirming":
      return "Waiting for live…";
    case "live":
      return "Live ✓";
    case "stale":
      // Some pages or instances serve it, not all: never "Live".
      return stage.partly
        ? stage.partly.of > 0
          ? `Partly live (${stage.partly.fresh} of ${stage.partly.of})`
          : "Partly live"
        : "Still stale";
    case "failed":
    default:
      return "Error";
  }
}

export function createWorkspace(api: Api) {
  // The list is replaced whole, never mutated: with 10 000 documents, a deep proxy per
  // summary would cost memory and time for rows nobody looks at.
  let documents = $state.raw<DocumentSummary[]>([]);
  const state = $state({
    info: null as WorkspaceInfo | null,
    get documents(): DocumentSummary[] {
      return documents;
    },
    set documents(list: DocumentSummary[]) {
      documents = list;
    },
    /** Where each published document's sites stand, by slug (the list's badges). */
    docSites: {} as Record<string, DocumentSites>,
    /** The site whose form Settings opens with (from an error's action button). */
    settingsSite: null as string | null,
    /** What is in the Trash (restorable for 30 days). */
    trash: [] as Trashed[],
    query: "",
    hits: null as SearchHit[] | null,
    selected: null as Document | null,
    /** The source being edited (saved or not). */
    draft: "",
    dirty: false,
    saving: false,
    previewTitle: "",
    previewTags: [] as string[],
    previewProblem: null as [number, string] | null,
    loading: true,
    error: null as IpcError | null,
    /** What runs the action that failed with `error` again ("Retry now"), if it can. */
    retry: null as (() => unknown) | null,
    publish: null as PublishRun | null,
    /** A publish is being handed to the content API (the key press is being acted on). */
    publishing: false,
    view: "editor" as View,
    help: false,
    history: null as HistoryState | null,
    /** A sentence about the last finished action (import, export, rename…). */
    notice: null as string | null,
    /** The open document's pending schedule (publish later), if it has one. */
    schedule: null as Schedule | null,
    sites: [] as Site[],
    /** Sites chosen for the next publish; null means every enabled site. */
    targets: loadTargets(),
    choosingTargets: false,
  });

  // The preview's blocks: replaced whole on each render, never mutated, so not made
  // deeply reactive (a 100 KB document has over a thousand).
  let previewBlocks: string[] = $state.raw([]);
  /** The line of the text each preview block starts on (scroll sync). */
  let previewLines: number[] = $state.raw([]);
  /** The version of the shell's preview session the blocks on screen come from. */
  let previewVersion = 0;
  /** What the shell's preview session holds: its version and the text it rendered. */
  let previewSession: { version: number; text: string } | null = null;
  let searchSeq = 0;
  let previewSeq = 0;
  let previewInFlight = false;
  let previewNext: string | null = null;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;

  const run = <T>(work: () => Promise<T>) => attempt(state, work);

  async function refresh() {
    state.loading = true;
    await run(async () => {
      state.documents = await api.listDocuments();
      state.docSites = Object.fromEntries((await api.documentsSites()).map((d) => [d.slug, d]));
      state.info ??= await api.workspaceInfo();
      state.sites = await api.listSites();
    });
    state.loading = false;
    if (!state.selected && state.documents.length > 0) {
      // The first document, opened for whoever turns to the editor: a view chosen
      // meanwhile (Settings clicked while the window was still loading) stays.
      await select(state.documents[0].slug, { keepView: true });
    }
  }

  /** Shows `source` in the preview. After the first render (of any document) only the
   * edit goes to the shell and only the changed blocks come back; anything out of
   * step (another render came between, an error) falls back to a whole render. */
  async function renderPreview(source: string) {
    const seq = ++previewSeq;
    const session = previewSession;
    let update: PreviewUpdate | undefined;
    if (session) {
      update = await api
        .previewEdit(textEdit(session.version, session.text, source))
        .catch(() => undefined);
    }
    let blocks = update && applyUpdate(previewBlocks, previewVersion, update);
    if (!update || !blocks) {
      update = await run(() => api.preview(source));
      blocks = update?.blocks;
    }
    // Only the latest text may win.
    if (!update || !blocks || seq !== previewSeq) return;
    previewSession = { version: update.version, text: source };
    previewVersion = update.version;
    previewBlocks = blocks;
    previewLines = update.lines;
    state.previewTitle = update.title;
    state.previewTags = update.tags;
    state.previewProblem = update.problem;
  }

  /** Renders `source` now, or right after the render in flight (only the latest text). */
  function schedulePreview(source: string) {
    if (previewInFlight) {
      previewNext = source;
      return;
    }
    previewInFlight = true;
    void renderPreview(source).finally(() => {
      previewInFlight = false;
      const next = previewNext;
      previewNext = null;
      if (next !== null) schedulePreview(next);
    });
  }

  async function select(slug: string, { keepView = false } = {}) {
    await save();
    if (state.selected?.slug !== slug) state.schedule = null;
    await run(async () => {
      const doc = await api.getDocument(slug);
      state.selected = doc;
      state.draft = doc.source;
      state.dirty = false;
      if (!keepView) state.view = "editor";
      if (state.history && state.history.slug !== doc.slug) state.history = null;
      await renderPreview(doc.source);
    });
    // A publish of it still under way (retries after a restart): show it.
    await showLatestPublish();
    await loadSchedule();
  }

  let scheduleTimer: ReturnType<typeof setTimeout> | undefined;

  /** The open document's pending schedule; once it falls due, looked for again (the
   * publishing service carries it out) and the list refreshed. */
  async function loadSchedule() {
    clearTimeout(scheduleTimer);
    const slug = state.selected?.slug;
    const schedule = slug ? await api.documentSchedule(slug).catch(() => null) : null;
    if (state.selected?.slug !== slug) return;
    state.schedule = schedule;
    clearTimeout(scheduleTimer);
    if (schedule) {
      const wait = Math.max(0, Date.parse(schedule.due_at) - Date.now()) + 3000;
      scheduleTimer = setTimeout(() => void scheduleFellDue(schedule.slug), Math.min(wait, 2 ** 31 - 1));
    }
  }

  /** A schedule's time has come: the list, the open document's published state and
   * its schedule read again (the publishing service has carried it out, or will). */
  async function scheduleFellDue(slug: string) {
    await refresh();
    const fresh = await api.getDocument(slug).catch(() => null);
    if (fresh && state.selected?.slug === slug) {
      state.selected = { ...state.selected, published_revision: fresh.published_revision, status: fresh.status };
    }
    await loadSchedule();
  }

  /** Publish later: the open document at `at` (a `datetime-local` value, this machine's
   * clock), to the chosen sites. */
  async function schedulePublish(at: string) {
    const doc = state.selected;
    if (!doc) return;
    await save();
    const scheduled = await attempt(state, () => api.scheduleDocument(doc.slug, at, chosenTargets()));
    if (scheduled) {
      state.choosingTargets = false;
      state.notice = withNotes(
        `“${doc.title || doc.slug}” will be published ${formatWhen(scheduled.schedule.due_at)}.`,
        scheduled.notes,
      );
      await loadSchedule();
    }
  }

  async function cancelSchedule() {
    const doc = state.selected;
    if (!doc) return;
    const cancelled = await attempt(state, () => api.cancelSchedule(doc.slug));
    if (cancelled) {
      state.notice = withNotes(`The schedule of “${doc.title || doc.slug}” is cancelled.`, cancelled.notes);
    }
    await loadSchedule();
  }

  /** The editor's text changed: preview now, save a little later. */
  function edit(source: string) {
    if (!state.selected || source === state.draft) return;
    state.draft = source;
    state.dirty = true;
    schedulePreview(source);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => void save(), AUTOSAVE_DELAY);
  }

  /** Saves run one after another, never side by side: a slow autosave of an older text
   * must not land after the save a publish makes of the newest. */
  let saving: Promise<void> = Promise.resolve();

  /** Saves the text on screen (waiting for a save under way first). */
  function save(): Promise<void> {
    saving = saving.then(saveNow, saveNow);
    return saving;
  }

  async function saveNow() {
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
        const list = state.documents.slice();
        list[i] = {
          ...list[i],
          title: saved.title,
          tags: saved.tags,
          status: saved.status,
          has_error: saved.parse_error !== null,
        };
        state.documents = list;
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

  function siteProgress(run: PublishRun, site: string): SiteProgress {
    run.sites[site] ??= {
      site,
      stage: null,
      confirming: true,
      message: "Publishing to the content API…",
      deliveryId: null,
      url: null,
      webhookStatus: null,
      webhookMs: null,
      polls: [],
      lastEvent: 0,
    };
    return run.sites[site];
  }

  /** Applies a snapshot of where a site stands — unless an event about it arrived
   * after `asOf` (the run's event count when the snapshot was asked for). */
  function standing(run: PublishRun, s: Standing, asOf = Infinity) {
    const p = siteProgress(run, s.site);
    if (p.lastEvent > asOf) return;
    p.stage = s.stage;
    p.confirming = s.confirming;
    p.message = s.message;
    p.deliveryId = s.delivery_id;
  }

  /** The handler of one run's event stream (a stream carries one publish's events
   * only): applies its events while that run is on screen. The run's own stream leaves
   * re-sent deliveries to theirs (`only`), so no event is applied twice. */
  function eventsOf(run: PublishRun, only?: number) {
    return (e: Event) => {
      // A schedule's outcome is not of a run's stream (the toolbar reads it anew).
      if (state.publish !== run || e.type === "scheduled") return;
      const id = "delivery_id" in e ? e.delivery_id : null;
      if (only === undefined && id !== null && run.resent.includes(id)) return;
      run.events += 1;
      if (e.type !== "published") siteProgress(run, e.site).lastEvent = run.events;
      onEvent(run, e);
    };
  }

  /** Applies one of the publisher's events to the publish on screen. */
  function onEvent(run: PublishRun, e: Event) {
    switch (e.type) {
      case "published":
        if (e.slug !== run.slug) return;
        run.revision = e.revision;
        run.publishId = e.publish_id;
        for (const s of e.sites) standing(run, s);
        break;
      case "attempted": {
        const s = siteProgress(run, e.site);
        s.deliveryId = e.delivery_id;
        s.webhookStatus = e.status;
        s.webhookMs = e.latency_ms;
        break;
      }
      case "confirming":
        siteProgress(run, e.site).url = e.url;
        break;
      case "polled":
        siteProgress(run, e.site).polls.push(e.poll);
        break;
      case "changed": {
        const s = siteProgress(run, e.site);
        s.stage = e.stage;
        s.confirming = e.confirming;
        s.message = e.message;
        s.deliveryId = e.delivery_id;
        break;
      }
    }
    void settle(run);
  }

  /** Once every site of the run has settled: the side-by-side view, the list. */
  async function settle(run: PublishRun) {
    if (state.publish !== run || !run.running || run.publishId === null) return;
    if (!Object.values(run.sites).every(isSettled)) return;
    run.running = false;
    await loadView(run);
    await refresh();
    await reloadSelected();
  }

  async function loadView(run: PublishRun) {
    if (run.publishId === null) return;
    const view = await api.publishedView(run.publishId).catch(() => null);
    if (view && state.publish === run) run.view = view;
  }

  /** Saves, publishes the selected document to the chosen sites (every enabled one
   * unless chosen otherwise) and follows each to live — the publisher goes on in the
   * background (retries included) and its events keep arriving. */
  function publish() {
    return runPublish(false);
  }

  /** Takes the selected document down from the content API and the chosen sites, and
   * follows each until its page is gone. Resolves once the content API has let go of
   * it (false when it refused); the sites follow in the background. */
  function unpublish() {
    return runPublish(true);
  }

  /** `overwrite`: over posts edited in a CMS since the last publish (offered by the
   * error banner when that is what stopped the publish). */
  async function runPublish(takeDown: boolean, overwrite = false): Promise<boolean> {
    const doc = state.selected;
    if (!doc || state.publishing) return false;
    state.publishing = true;
    state.choosingTargets = false;
    let report;
    let run: PublishRun;
    try {
      if (!takeDown) await save();
      state.publish = {
        slug: doc.slug,
        unpublish: takeDown,
        running: true,
        revision: null,
        publishId: null,
        sites: {},
        view: null,
        resent: [],
        events: 0,
      };
      run = state.publish;
      const targets = chosenTargets();
      report = await attempt(state, () =>
        takeDown
          ? api.unpublishDocument(doc.slug, targets, eventsOf(run))
          : api.publishDocument(doc.slug, targets, eventsOf(run), overwrite),
      );
    } finally {
      state.publishing = false;
    }
    if (!report) {
      run.running = false;
      if (state.error && state.selected?.slug === doc.slug) {
        const overwriting = !takeDown && state.error.kind === "edited_elsewhere";
        state.retry = () => runPublish(takeDown, overwriting);
      }
      return false;
    }
    run.publishId = report.publish_id;
    run.revision = report.revision;
    // Every site is on screen (not yet settled) even before its first event arrives.
    for (const site of report.sites) siteProgress(run, site);
    if (report.sites.length === 0) {
      run.running = false;
      await refresh();
      await reloadSelected();
      return true;
    }
    await settle(run);
    return true;
  }

  /** Shows where the latest publish of the selected document stands (after a
   * restart too) and follows it while the publisher is still working on it. */
  async function showLatestPublish() {
    const doc = state.selected;
    if (!doc || state.publishing || state.publish?.slug === doc.slug) return;
    const latest = await api.latestPublish(doc.slug).catch(() => null);
    if (!latest || state.selected?.slug !== doc.slug || state.publish?.slug === doc.slug) return;
    const running = latest.sites.some((s) => !isSettled(s));
    if (!running) return;
    state.publish = {
      slug: doc.slug,
      unpublish: latest.unpublished,
      running: true,
      revision: latest.revision,
      publishId: latest.publish_id,
      sites: {},
      view: null,
      resent: [],
      events: 0,
    };
    const run = state.publish;
    for (const s of latest.sites) standing(run, s);
    const asOf = run.events;
    const now = await api.watchPublish(latest.publish_id, eventsOf(run)).catch(() => null);
    if (!now) {
      run.running = false;
      return;
    }
    for (const s of now) standing(run, s, asOf);
    await settle(run);
  }

  /** The selected document's status and revisions again (its text stays as edited). */
  async function reloadSelected() {
    const slug = state.selected?.slug;
    if (!slug) return;
    const doc = await api.getDocument(slug).catch(() => null);
    if (doc && state.selected?.slug === slug) {
      state.selected = { ...doc, source: state.selected.source };
    }
  }

  /** The chosen targets that still exist and are enabled ([] = every enabled site). */
  function chosenTargets(): string[] {
    if (state.targets === null) return [];
    const enabled = new Set(state.sites.filter((s) => s.enabled).map((s) => s.name));
    const chosen = state.targets.filter((t) => enabled.has(t));
    return chosen.length > 0 ? chosen : [];
  }

  function setTargets(targets: string[] | null) {
    state.targets = targets;
    try {
      if (targets === null) localStorage.removeItem(TARGETS_KEY);
      else localStorage.setItem(TARGETS_KEY, JSON.stringify(targets));
    } catch {
      // No storage (tests): the choice lasts for this session.
    }
  }

  /** Title or tags typed into their fields: written into the front matter. */
  async function setFields(title: string, tags: string[]) {
    if (!state.selected) return;
    const source = await run(() => api.setFields(state.draft, title, tags));
    if (source !== undefined) edit(source);
  }

  /** Until the first publish the slug follows the title (the shell decides whether
   * this one still does). */
  async function followTitle(oldTitle: string, newTitle: string) {
    const doc = state.selected;
    if (!doc || doc.published_revision !== null) return;
    await save();
    const renamed = await run(() => api.followTitle(doc.slug, oldTitle, newTitle));
    if (renamed && state.selected?.slug === doc.slug) {
      state.selected = { ...renamed, source: state.draft };
      state.documents = await api.listDocuments();
      await loadSchedule();
    }
  }

  async function rename(newSlug: string) {
    const doc = state.selected;
    if (!doc || newSlug.trim() === doc.slug) return;
    await save();
    const renamed = await run(() => api.renameDocument(doc.slug, newSlug));
    if (renamed) {
      state.selected = { ...renamed, source: state.draft };
      state.documents = await api.listDocuments();
      state.notice = `Renamed to /${renamed.slug}.`;
      await loadSchedule();
    }
  }

  async function remove() {
    const doc = state.selected;
    if (!doc) return;
    // The Trash keeps the text as it is on screen, last keystrokes included.
    if (state.dirty) await save();
    clearTimeout(saveTimer);
    const done = await run(() => api.deleteDocument(doc.slug));
    if (done !== undefined) {
      state.selected = null;
      // Its schedule went with it (the shell cancels it).
      state.schedule = null;
      clearTimeout(scheduleTimer);
      state.dirty = false;
      state.history = null;
      if (state.publish?.slug === doc.slug) state.publish = null;
      state.notice = withNotes(`Moved “${doc.title || doc.slug}” to the Trash.`, done);
      await refresh();
      await loadTrash();
    }
  }

  async function loadTrash() {
    const trash = await run(() => api.trashList());
    if (trash) state.trash = trash;
  }

  /** Brings a document back from the Trash and opens it. */
  async function restoreFromTrash(slug: string) {
    const doc = await run(() => api.restoreFromTrash(slug));
    if (!doc) return;
    state.notice = `Restored “${doc.title || doc.slug}”.`;
    await refresh();
    await loadTrash();
    await select(doc.slug);
  }

  /** Deletes a document in the Trash for good. */
  async function purgeFromTrash(slug: string) {
    const done = await run(() => api.purgeFromTrash(slug));
    if (done !== undefined) await loadTrash();
  }

  async function openHistory() {
    const doc = state.selected;
    if (!doc) return;
    await save();
    const revisions = await run(() => api.documentHistory(doc.slug));
    if (revisions) state.history = { slug: doc.slug, revisions, selected: null, diff: [] };
  }

  async function showRevision(id: number) {
    const h = state.history;
    if (!h) return;
    const diff = await run(() => api.revisionDiff(h.slug, id, null));
    if (diff && state.history === h) {
      h.selected = id;
      h.diff = diff;
    }
  }

  async function restore(id: number) {
    const h = state.history;
    if (!h) return;
    const doc = await run(() => api.restoreRevision(h.slug, id));
    const version = h.revisions.length - h.revisions.findIndex((r) => r.id === id);
    if (doc && state.selected?.slug === doc.slug) {
      state.selected = doc;
      state.draft = doc.source;
      state.dirty = false;
      await renderPreview(doc.source);
      state.notice = `Restored version ${version}; the text before it is kept in the history.`;
      await openHistory();
      await refresh();
    }
  }

  async function importFolder(path: string | null = null) {
    await save();
    const report = await run(() => api.importFolder(path));
    if (report) {
      state.notice = `Imported: ${describeImport(report)}.`;
      await refresh();
    }
  }

  /** The markdown files Pressroom was started with (opened from a file manager):
   *  imported, and the first of them opened. */
  async function openStartupFiles() {
    const report = await run(() => api.openedFiles());
    if (!report) return;
    await refresh();
    const first = [...report.created, ...report.updated, ...report.unchanged][0];
    if (first) await select(first);
    state.notice = `Opened: ${describeImport(report)}.`;
  }

  function describeImport(report: ImportReport): string {
      const parts = [
        `${report.created.length} new`,
        `${report.updated.length} updated`,
        `${report.unchanged.length} unchanged`,
      ];
      if (report.failed.length) {
        parts.push(
          `${report.failed.length} failed (${report.failed.map((f) => `${f.path}: ${f.message}`).join("; ")})`,
        );
      }
      if (report.broken.length) {
        parts.push(
          `${report.broken.length} with broken front matter to fix (${report.broken
            .map((b) => `${b.slug}, line ${b.line}: ${b.message}`)
            .join("; ")})`,
        );
      }
      return parts.join(", ");
  }

  async function exportFolder(path: string | null = null) {
    await save();
    const written = await run(() => api.exportFolder(path));
    if (written) state.notice = `Exported ${written.length} documents.`;
  }

  /** Sends a site's webhook again and follows it to live. */
  async function resend(site: string) {
    const run = state.publish;
    const s = run?.sites[site];
    if (!run || !s || s.deliveryId == null) return;
    s.polls = [];
    s.webhookStatus = null;
    s.webhookMs = null;
    const id = s.deliveryId;
    // Its events come through its own stream from now on.
    if (!run.resent.includes(id)) run.resent.push(id);
    run.running = true;
    const asOf = run.events;
    const now = await attempt(state, () => api.resendDelivery(id, eventsOf(run, id)));
    if (!now) {
      run.running = Object.values(run.sites).some((x) => !isSettled(x));
      return;
    }
    standing(run, now, asOf);
    await settle(run);
  }

  /** Closes the panel; the publisher goes on with what is left in the background. */
  function closePublish() {
    state.publish = null;
  }

  function show(view: View) {
    state.view = view;
    state.help = false;
    state.notice = null;
    state.settingsSite = null;
  }

  /** Settings, with the form of `site` open: where an error about it is fixed. */
  function showSiteSettings(site: string) {
    show("settings");
    state.settingsSite = site;
  }

  /** Takes pasted, dropped or chosen image files into the workspace; answers the
   * markdown of each one taken (a refused one is said in the banner, the rest go on). */
  async function addImages(files: File[]): Promise<string[]> {
    const added: string[] = [];
    for (const file of files) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const image = await attempt(state, () => api.addImage(file.name || "image", bytes));
      if (image) added.push(image.markdown);
    }
    return added;
  }

  /** Images pasted into `slug` that were ready only once another document was open:
   * they go at the end of `slug` (saved), and the banner says so. */
  async function imagesForElsewhere(slug: string, images: string[]) {
    await saving;
    const doc = await attempt(state, () => api.getDocument(slug));
    if (!doc) return;
    const source = `${doc.source.replace(/\n*$/, "")}\n\n${images.join("\n")}\n`;
    const saved = await attempt(state, () => api.saveDocument(slug, source));
    if (saved) {
      state.notice = `The image${images.length > 1 ? "s" : ""} pasted into “${saved.title || slug}” went to its end: it was no longer open when ${images.length > 1 ? "they were" : "it was"} ready.`;
    }
  }

  /** Document ▸ Insert image: the chosen image into the workspace, its markdown to the
   * editor's caret. */
  async function insertImage() {
    if (!state.selected) return;
    const image = await attempt(state, () => api.insertImage());
    if (image) window.dispatchEvent(new CustomEvent("pressroom-insert-image", { detail: image.markdown }));
  }

  return {
    state,
    schedulePublish,
    cancelSchedule,
    addImages,
    imagesForElsewhere,
    insertImage,
    get previewLines() {
      return previewLines;
    },
    get previewBlocks() {
      return previewBlocks;
    },
    refresh,
    select,
    edit,
    save,
    create,
    search,
    publish,
    unpublish,
    showLatestPublish,
    resend,
    closePublish,
    setFields,
    rename,
    followTitle,
    remove,
    loadTrash,
    restoreFromTrash,
    purgeFromTrash,
    openHistory,
    showRevision,
    restore,
    closeHistory: () => (state.history = null),
    importFolder,
    openStartupFiles,
    exportFolder,
    setTargets,
    chosenTargets,
    show,
    showSiteSettings,
    reloadSelected,
    openInBrowser: (url: string) => run(() => api.openInBrowser(url)),
    /** A confirmed page's own styles ("" when they cannot be had: the page still shows). */
    livePageCss: (publishId: number, confirmationId: number) =>
      api.livePageCss(publishId, confirmationId).catch(() => ""),
    /** Pages to preview `slug` in each site's theme (none when no site served one). */
    themePages: (slug: string) => api.themePages(slug).catch(() => []),
    dismissNotice: () => (state.notice = null),
    dismissError: () => {
      state.error = null;
      state.retry = null;
    },
  };
}

function loadTargets(): string[] | null {
  try {
    const raw = localStorage.getItem(TARGETS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string") : null;
  } catch {
    return null;
  }
}

export type Workspace = ReturnType<typeof createWorkspace>;

/** A stored time (UTC) on this machine's clock, for people: "on Thu 24 Dec at 08:00". */
export function formatWhen(stored: string): string {
  const at = new Date(stored);
  if (Number.isNaN(at.getTime())) return stored;
  const year = at.getFullYear() === new Date().getFullYear() ? undefined : "numeric";
  const day = at.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", year });
  const time = at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return `on ${day} at ${time}`;
}

/** A notice followed by what each CMS made of it (one sentence each). */
function withNotes(notice: string, notes: string[]): string {
  return [notice, ...notes.map((n) => `${n}.`)].join(" ");
}
