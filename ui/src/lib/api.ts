// The one typed wrapper over the Rust commands. Every call to the shell goes through
// here, so the rest of the UI never sees `invoke` or untyped payloads.
import { Channel, invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";

// Every type the shell sends or takes is generated from its Rust type (ts-rs), never
// written by hand: `generated/core.ts` and `generated/publisher.ts` from the core
// (crates/core/tests/ipc_types.rs), `generated/app.ts` from the shell
// (src-tauri/ipc_types.rs). Each test fails when its file drifts from the Rust types.
import type {
  Account,
  ApiDocument,
  ApiSettings,
  BodyFormat,
  Destination,
  FieldMapping,
  ImageSettings,
  Schedule,
  ServiceStatus,
  PullReport,
  BrokenFrontMatter,
  ConfirmationRecord,
  Confirmed,
  DiffLine,
  Document,
  DocumentSites,
  DocumentSummary,
  ImportFailure,
  ImportReport,
  LatestPublish,
  ParseProblem,
  Preset,
  PreviewUpdate,
  PublishedView,
  PublishRecord,
  PublishReport,
  RevisionInfo,
  SearchHit,
  Site,
  Trashed,
  SnippetPart,
  Status,
  TextEdit,
} from "./generated/core";
import type {
  Attempt,
  Delivery,
  DeliveryState,
  Event,
  Health,
  Method,
  Outcome,
  Poll,
  Stage,
  Standing,
} from "./generated/publisher";
import type {
  AddedImage,
  DestinationForm,
  IpcError,
  Scheduled,
  Keyed,
  SiteForm,
  SiteView,
  TestResult,
  ThemePage,
  WorkspaceInfo,
} from "./generated/app";
export type {
  Account,
  AddedImage,
  ImageSettings,
  Schedule,
  ServiceStatus,
  BodyFormat,
  Destination,
  DestinationForm,
  FieldMapping,
  PullReport,
  DocumentSites,
  Health,
  ApiDocument,
  ApiSettings,
  Attempt,
  BrokenFrontMatter,
  ConfirmationRecord,
  Confirmed,
  Delivery,
  DeliveryState,
  DiffLine,
  Document,
  DocumentSummary,
  Event,
  ImportFailure,
  ImportReport,
  IpcError,
  Keyed,
  LatestPublish,
  Method,
  Outcome,
  ParseProblem,
  Poll,
  Preset,
  PreviewUpdate,
  PublishedView,
  PublishRecord,
  PublishReport,
  RevisionInfo,
  SearchHit,
  Site,
  SiteForm,
  SiteView,
  SnippetPart,
  Stage,
  Standing,
  Status,
  TestResult,
  Trashed,
  TextEdit,
  ThemePage,
  WorkspaceInfo,
};
export type Verdict = Poll["verdict"];

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as IpcError).kind === "string" &&
    typeof (e as IpcError).message === "string"
  );
}

/** Runs one call into the shell for a store: its error (if any) lands in
 * `state.error`, cleared first (with what would retry the last failure); the result,
 * or undefined after an error, comes back. */
export async function attempt<T>(
  state: { error: IpcError | null; retry?: (() => unknown) | null },
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    state.error = null;
    if (state.retry) state.retry = null;
    return await work();
  } catch (e) {
    state.error = isIpcError(e) ? e : { kind: "ipc", message: String(e) };
    return undefined;
  }
}

type Invoke = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;

/** Bytes as base64 (IPC is JSON), in chunks: one call per byte would overflow the
 * argument list of a large image. */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** The preview's HTML with the workspace's images (`asset:<sha256>`) loaded from the
 * app's `pressroom-asset:` scheme (the renderer made these attributes itself). */
export function localImages(html: string): string {
  return html.replaceAll('src="asset:', 'src="pressroom-asset://localhost/');
}

/** A per-call IPC channel that hands each message to `handler`. */
function channel<T>(handler: (message: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = handler;
  return ch;
}
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
    /** The first document is on screen (logged for the start-up benchmark), with the
     * window's start-up marks: a name and a wall-clock time (ms since the epoch). */
    uiReady: (marks: [string, number][]) => call<void>("ui_ready", { marks }),
    listDocuments: () => call<DocumentSummary[]>("list_documents"),
    getDocument: (slug: string) => call<Document>("get_document", { slug }),
    searchDocuments: (query: string) => call<SearchHit[]>("search_documents", { query }),
    workspaceInfo: () => call<WorkspaceInfo>("workspace_info"),
    /** Renders the whole text and starts the preview session from it. */
    preview: (source: string) => call<PreviewUpdate>("preview", { source }),
    /** The changed blocks after an edit; `preview_out_of_step` when the session's
     * version is not the edit's base (then send the whole text). */
    previewEdit: (edit: TextEdit) => call<PreviewUpdate>("preview_edit", { edit }),
    saveDocument: (slug: string, source: string) =>
      call<Document>("save_document", { slug, source }),
    createDocument: (title: string) => call<Document>("create_document", { title }),
    listSites: () => call<Site[]>("list_sites"),
    /** Publishes to every destination the sites read from (`overwrite`: over a post
     * edited in a CMS meanwhile); the run's events then arrive through `onEvent` until
     * every site has settled (also after this returns). */
    publishDocument: (
      slug: string,
      sites: string[],
      onEvent: (e: Event) => void,
      overwrite = false,
    ) =>
      call<PublishReport>("publish_document", {
        slug,
        sites,
        overwrite,
        onEvent: channel(onEvent),
      }),
    /** Takes the document down from its destinations and sites, each confirmed gone. */
    unpublishDocument: (slug: string, sites: string[], onEvent: (e: Event) => void) =>
      call<PublishReport>("unpublish_document", { slug, sites, onEvent: channel(onEvent) }),
    /** Sends one delivery again; its events arrive through `onEvent`. */
    resendDelivery: (deliveryId: number, onEvent: (e: Event) => void) =>
      call<Standing>("resend_delivery", { deliveryId, onEvent: channel(onEvent) }),
    /** Follows an earlier publish (e.g. after a restart) until its sites settle. */
    watchPublish: (publishId: number, onEvent: (e: Event) => void) =>
      call<Standing[]>("watch_publish", { publishId, onEvent: channel(onEvent) }),
    publishedView: (publishId: number) =>
      call<PublishedView>("published_view", { publishId }),
    /** A confirmed page's own stylesheets, inlinable (fetched by the shell, now). */
    livePageCss: (publishId: number, confirmationId: number) =>
      call<string>("live_page_css", { publishId, confirmationId }),
    /** Per enabled site, a page of it to preview `slug` in the site's theme. */
    themePages: (slug: string) => call<ThemePage[]>("theme_pages", { slug }),
    /** Where the sites of the latest publish of `slug` stand, if it was published. */
    latestPublish: (slug: string) => call<LatestPublish | null>("latest_publish", { slug }),
    setFields: (source: string, title: string, tags: string[]) =>
      call<string>("set_fields", { source, title, tags }),
    /** Renames the document to follow its new title, if it still does (never published,
     * its slug made from the old title); the renamed document or null. */
    followTitle: (slug: string, oldTitle: string, newTitle: string) =>
      call<Document | null>("follow_title", { slug, oldTitle, newTitle }),
    renameDocument: (slug: string, newSlug: string) =>
      call<Document>("rename_document", { slug, newSlug }),
    /** Moves the document to the Trash (restorable for 30 days). */
    /** Answers what each CMS that held it as scheduled made of it. */
    deleteDocument: (slug: string) => call<string[]>("delete_document", { slug }),
    trashList: () => call<Trashed[]>("trash_list"),
    /** Per published document, where its sites stand and the worst of them. */
    documentsSites: () => call<DocumentSites[]>("documents_sites"),
    restoreFromTrash: (slug: string) => call<Document>("restore_from_trash", { slug }),
    /** Deletes a document in the Trash for good. */
    purgeFromTrash: (slug: string) => call<void>("purge_from_trash", { slug }),
    documentHistory: (slug: string) => call<RevisionInfo[]>("document_history", { slug }),
    revisionDiff: (slug: string, from: number, to: number | null) =>
      call<DiffLine[]>("revision_diff", { slug, from, to }),
    restoreRevision: (slug: string, revision: number) =>
      call<Document>("restore_revision", { slug, revision }),
    /** Without a path the system's folder picker asks; null when cancelled. */
    openedFiles: () => call<ImportReport | null>("opened_files"),
    importFolder: (path: string | null = null) =>
      call<ImportReport | null>("import_folder", { path }),
    exportFolder: (path: string | null = null) =>
      call<string[] | null>("export_folder", { path }),
    openInBrowser: (url: string) => call<void>("open_in_browser", { url }),
    apiSettings: () => call<ApiSettings | null>("api_settings"),
    setApiSettings: (url: string, token: string | null) =>
      call<ApiSettings>("set_api_settings", { url, token }),
    checkApi: () => call<string | null>("check_api"),
    settingsSites: () => call<SiteView[]>("settings_sites"),
    /** Takes an image into the workspace (type from its bytes, metadata stripped
     * unless kept); answers it and the markdown that shows it. */
    /** Its metadata kept or not as Settings ▸ Images says. */
    addImage: (name: string, bytes: Uint8Array) =>
      call<AddedImage>("add_image", { name, data: toBase64(bytes) }),
    /** Document ▸ Insert image: an image file chosen in a dialog; null when cancelled. */
    insertImage: () => call<AddedImage | null>("insert_image"),
    /** Publish later: at `at` (this machine's clock, `2026-12-24T08:00`), to `sites`
     * (every enabled one when empty); moves a pending schedule. */
    scheduleDocument: (slug: string, at: string, sites: string[]) =>
      call<Scheduled>("schedule_document", { slug, at, sites }),
    cancelSchedule: (slug: string) => call<Scheduled>("cancel_schedule", { slug }),
    documentSchedule: (slug: string) => call<Schedule | null>("document_schedule", { slug }),
    imageSettings: () => call<ImageSettings>("image_settings"),
    backgroundService: () => call<ServiceStatus>("background_service"),
    setBackgroundService: (on: boolean) => call<ServiceStatus>("set_background_service", { on }),
    setImageSettings: (settings: ImageSettings) =>
      call<ImageSettings>("set_image_settings", { settings }),
    listDestinations: () => call<Destination[]>("list_destinations"),
    addDestination: (form: DestinationForm) => call<Destination>("add_destination", { form }),
    /** An empty secret keeps the one in the keyring. */
    updateDestination: (name: string, form: DestinationForm) =>
      call<Destination>("update_destination", { name, form }),
    /** `forgetPosts`: also while documents have posts there (their ids are lost). */
    removeDestination: (name: string, forgetPosts: boolean) =>
      call<void>("remove_destination", { name, forgetPosts }),
    /** Logs in: who, and whether they may publish. */
    testDestination: (name: string) => call<Account>("test_destination", { name }),
    /** The destination's posts into drafts; drafts changed here are kept unless
     * `replaceChanged`. */
    pullDestination: (name: string, replaceChanged: boolean) =>
      call<PullReport>("pull_destination", { name, replaceChanged }),
    addSite: (form: SiteForm, secret: string | null) =>
      call<Keyed>("add_site", { form, secret }),
    updateSite: (name: string, form: SiteForm) => call<Site>("update_site", { name, form }),
    removeSite: (name: string) => call<void>("remove_site", { name }),
    setSiteEnabled: (name: string, enabled: boolean) =>
      call<Site>("set_site_enabled", { name, enabled }),
    rotateSecret: (name: string, secret: string | null) =>
      call<Keyed>("set_secret", { name, secret, rotate: true }),
    finishRotation: (name: string) => call<void>("finish_rotation", { name }),
    replaceSecret: (name: string, secret: string | null) =>
      call<Keyed>("set_secret", { name, secret, rotate: false }),
    siteHandler: (name: string) => call<string>("site_handler", { name }),
    testWebhook: (name: string) => call<TestResult>("test_webhook", { name }),
    listDeliveries: (failedOnly: boolean) =>
      call<Delivery[]>("list_deliveries", { failedOnly }),
    deliveryAttempts: (deliveryId: number) =>
      call<Attempt[]>("delivery_attempts", { deliveryId }),
    /** Native menu choices (src-tauri/menu.rs); returns the unsubscribe. */
    onMenu: (handler: (id: string) => void) =>
      listen ? listen<string>("menu", handler) : Promise.resolve(() => {}),
  };
}

export type Api = ReturnType<typeof createApi>;

export const api: Api = createApi(tauriInvoke, (event, handler) =>
  tauriListen(event, (e) => handler(e.payload as never)),
);
