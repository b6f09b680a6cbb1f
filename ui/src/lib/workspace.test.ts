import { describe, expect, it, vi } from "vitest";
import type { Api, Document, DocumentSummary, Event, PreviewUpdate, PublishReport, SearchHit, Standing, TextEdit } from "./api";
import { createWorkspace, stageLabel } from "./workspace.svelte";

function summary(slug: string): DocumentSummary {
  return { slug, title: slug.toUpperCase(), tags: [], status: "draft", has_error: false, updated_at: "" };
}

/** What the content API took: revision r_1 of `slug`, for `sites`. */
function report(slug: string, sites: string[]): PublishReport {
  const document = {
    slug, title: slug, revision: "r_1", html: "", markdown: "", summary: "", tags: [],
    front_matter: {}, published_at: "", updated_at: "", cover: null,
  };
  return { slug, revision: "r_1", created: false, already_live: false, document, publish_id: 7, sites, unpublished: false };
}

function doc(slug: string): Document {
  return {
    slug, title: slug, source: `# ${slug}`, body: `# ${slug}`, tags: [], front_matter: {},
    parse_error: null, revision: "r_0000000000000000", published_revision: null,
    status: "draft", created_at: "", updated_at: "",
  };
}

/** Commands these tests do not reach: calling one is a test failure. */
const unused = Object.fromEntries(
  [
    "setFields", "renameDocument", "deleteDocument", "documentHistory", "revisionDiff",
    "restoreRevision", "importFolder", "exportFolder", "openInBrowser", "apiSettings",
    "setApiSettings", "checkApi", "settingsSites", "addSite", "updateSite", "removeSite",
    "setSiteEnabled", "rotateSecret", "finishRotation", "replaceSecret", "siteHandler",
    "testWebhook", "listDeliveries", "deliveryAttempts", "uiReady", "openedFiles",
    "backgroundService", "setBackgroundService",
  ].map((name) => [name, async () => { throw new Error(`unexpected call: ${name}`); }]),
) as unknown as Api;

/** The shell's preview session, as crates/core/src/preview.rs keeps it: one block a
 * paragraph; an edit against another version is refused. */
function fakePreviewSession() {
  let version = 0;
  let text = "";
  let blocks: string[] = [];
  const render = (source: string) => source.split("\n\n").map((p) => `<p>${p}</p>`);
  const answer = (base: number | null, start: number, removed: number, added: string[]): PreviewUpdate => ({
    version, base, start, removed, blocks: added, title: "", tags: [], problem: null, lines: [],
  });
  const self = {
    /** What reached the session: ["whole" | "edit", the text it then held]. */
    calls: [] as [string, string][],
    preview: async (source: string) => {
      version += 1;
      text = source;
      blocks = render(source);
      self.calls.push(["whole", text]);
      return answer(null, 0, 0, blocks);
    },
    previewEdit: async (edit: TextEdit) => {
      if (edit.base !== version) throw { kind: "preview_out_of_step", message: "out of step" };
      text = text.slice(0, edit.from) + edit.insert + text.slice(edit.to);
      expect(text.length).toBe(edit.length);
      const next = render(text);
      let start = 0;
      while (start < Math.min(blocks.length, next.length) && blocks[start] === next[start]) start++;
      const removed = blocks.length - start;
      blocks = next;
      version += 1;
      self.calls.push(["edit", text]);
      return answer(version - 1, start, removed, next.slice(start));
    },
  };
  return self;
}
let session = fakePreviewSession();

function fakeApi(overrides: Partial<Api> = {}): Api {
  session = fakePreviewSession();
  return {
    ...unused,
    listDocuments: async () => [summary("first"), summary("second")],
    documentsSites: async () => [],
    getDocument: async (slug) => doc(slug),
    searchDocuments: async () => [],
    workspaceInfo: async () => ({ data_dir: "/tmp/x", sandbox: true, api_url: null, demo_site_url: null }),
    preview: (source) => session.preview(source),
    previewEdit: (edit) => session.previewEdit(edit),
    saveDocument: async (slug, source) => ({ ...doc(slug), source, status: "modified" }),
    createDocument: async (title) => doc(title.toLowerCase()),
    listSites: async () => [],
    publishDocument: async () => {
      throw { kind: "not_configured", message: "no API" };
    },
    resendDelivery: async () => {
      throw { kind: "not_found", message: "no delivery" };
    },
    publishedView: async () => {
      throw { kind: "not_found", message: "no publish" };
    },
    latestPublish: async () => null,
    documentSchedule: async () => null,
    watchPublish: async () => [],
    onMenu: async () => () => {},
    ...overrides,
  };
}

describe("workspace store", () => {
  it("loads the list and previews the first document", async () => {
    const ws = createWorkspace(fakeApi());
    await ws.refresh();
    expect(ws.state.documents.map((d) => d.slug)).toEqual(["first", "second"]);
    expect(ws.state.selected?.slug).toBe("first");
    expect(ws.previewBlocks).toEqual(["<p># first</p>"]);
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

  it("previews at once, one render at a time with the latest text next", async () => {
    const pending: (() => void)[] = [];
    const later = <T>(answer: () => Promise<T>) =>
      new Promise<T>((resolve) => pending.push(() => void answer().then(resolve)));
    const ws = createWorkspace(
      fakeApi({
        preview: (source) => later(() => session.preview(source)),
        previewEdit: (edit) => later(() => session.previewEdit(edit)),
      }),
    );
    const loading = ws.refresh();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!();
    await loading;
    ws.edit("# first\n\na");
    ws.edit("# first\n\nab");
    ws.edit("# first\n\nabc");
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!();
    await vi.waitFor(() => expect(ws.previewBlocks).toEqual(["<p># first</p>", "<p>abc</p>"]));
    expect(session.calls).toEqual([
      ["whole", "# first"],
      ["edit", "# first\n\na"],
      ["edit", "# first\n\nabc"],
    ]);
  });

  it("sends the whole text again when the preview session is out of step", async () => {
    const ws = createWorkspace(fakeApi());
    await ws.refresh();
    ws.edit("# first\n\nmore");
    await vi.waitFor(() => expect(session.calls).toHaveLength(2));
    // Another window of the shell (or a restart) moved the session on.
    await session.preview("something else");
    ws.edit("# first\n\nmore text");
    await vi.waitFor(() => expect(ws.previewBlocks).toEqual(["<p># first</p>", "<p>more text</p>"]));
    expect(session.calls.map(([how]) => how)).toEqual(["whole", "edit", "whole", "whole"]);
    expect(ws.state.error).toBeNull();
    // And the next keystroke is an edit again.
    ws.edit("# first\n\nmore text!");
    await vi.waitFor(() => expect(ws.previewBlocks).toEqual(["<p># first</p>", "<p>more text!</p>"]));
    expect(session.calls[4]).toEqual(["edit", "# first\n\nmore text!"]);
  });

  it("writes the title and tags fields into the source and saves it", async () => {
    vi.useFakeTimers();
    const ws = createWorkspace(
      fakeApi({
        setFields: async (source, title, tags) =>
          `---\ntitle: ${title}\ntags: [${tags.join(", ")}]\n---\n${source}`,
      }),
    );
    await ws.refresh();
    await ws.setFields("Hello", ["a", "b"]);
    expect(ws.state.draft).toBe("---\ntitle: Hello\ntags: [a, b]\n---\n# first");
    expect(ws.state.dirty).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.state.dirty).toBe(false);
    vi.useRealTimers();
  });

  it("publishes to the chosen sites only, and to every enabled one when none is chosen", async () => {
    const calls: string[][] = [];
    const ws = createWorkspace(
      fakeApi({
        listSites: async () => [
          { id: 1, name: "a", webhook_url: "", page_url_template: "", tag_templates: [], path_templates: [], preset: "standard_webhooks", enabled: true, disabled_reason: null, confirm_timeout_ms: 1, secret_ref: null, created_at: "", also_confirm: [], instances: [], article_selector: null, heal: true, destination: null },
          { id: 2, name: "b", webhook_url: "", page_url_template: "", tag_templates: [], path_templates: [], preset: "standard_webhooks", enabled: true, disabled_reason: null, confirm_timeout_ms: 1, secret_ref: null, created_at: "", also_confirm: [], instances: [], article_selector: null, heal: true, destination: null },
        ],
        publishDocument: async (_slug, sites) => {
          calls.push(sites);
          throw { kind: "not_configured", message: "no API" };
        },
      }),
    );
    await ws.refresh();
    ws.setTargets(["b", "removed-since"]);
    await ws.publish();
    ws.setTargets(null);
    await ws.publish();
    expect(calls).toEqual([["b"], []]);
  });

  it("offers to retry a publish the content API did not take, and the retry publishes again", async () => {
    let calls = 0;
    const ws = createWorkspace(
      fakeApi({
        publishDocument: async () => {
          calls++;
          throw { kind: "unreachable", message: "The content API did not answer." };
        },
      }),
    );
    await ws.refresh();
    await ws.publish();
    expect(ws.state.error?.kind).toBe("unreachable");
    expect(ws.state.retry).not.toBeNull();
    await ws.state.retry!();
    expect(calls).toBe(2);
    ws.dismissError();
    expect(ws.state.error).toBeNull();
    expect(ws.state.retry).toBeNull();
  });

  it("shows a revision's diff and restores it", async () => {
    const ws = createWorkspace(
      fakeApi({
        documentHistory: async () => [
          { id: 2, content_revision: "r_2", created_at: "", bytes: 3, change: "new words" },
          { id: 1, content_revision: "r_1", created_at: "", bytes: 2, change: null },
        ],
        revisionDiff: async () => [{ op: "delete", old_line: 1, new_line: null, text: "old" }],
        restoreRevision: async (slug) => ({ ...doc(slug), source: "old" }),
      }),
    );
    await ws.refresh();
    await ws.openHistory();
    expect(ws.state.history?.revisions).toHaveLength(2);
    await ws.showRevision(1);
    expect(ws.state.history?.diff[0].text).toBe("old");
    await ws.restore(1);
    expect(ws.state.draft).toBe("old");
    expect(ws.state.notice).toContain("Restored version 1");
  });

  it("puts images that were ready only after leaving their document at its end", async () => {
    const saves: [string, string][] = [];
    const ws = createWorkspace(
      fakeApi({
        getDocument: async (slug) => ({ ...doc(slug), source: "# second\n\nText.\n\n" }),
        saveDocument: async (slug, source) => {
          saves.push([slug, source]);
          return { ...doc(slug), source };
        },
      }),
    );
    await ws.refresh();
    await ws.imagesForElsewhere("second", ["![a](asset:1)", "![b](asset:2)"]);
    expect(saves).toEqual([["second", "# second\n\nText.\n\n![a](asset:1)\n![b](asset:2)\n"]]);
    expect(ws.state.notice).toContain("went to its end");
    expect(ws.state.selected?.slug).toBe("first");
  });

  it("saves a little later while typing, and only once", async () => {
    vi.useFakeTimers();
    const saves: string[] = [];
    const ws = createWorkspace(
      fakeApi({
        saveDocument: async (slug, source) => {
          saves.push(source);
          return { ...doc(slug), source, status: "modified" };
        },
      }),
    );
    await ws.refresh();
    ws.edit("# a");
    ws.edit("# ab");
    expect(ws.state.dirty).toBe(true);
    await vi.advanceTimersByTimeAsync(150);
    expect(ws.previewBlocks).toEqual(["<p># ab</p>"]);
    expect(saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toEqual(["# ab"]);
    expect(ws.state.dirty).toBe(false);
    expect(ws.state.documents[0].status).toBe("modified");
    vi.useRealTimers();
  });

  it("re-sends two sites of a settled run, each followed on its own stream, and a late snapshot never undoes an event", async () => {
    const standing = (site: string, delivery_id: number, stage: Standing["stage"]): Standing => ({
      delivery_id, publish_id: 7, site, stage, confirming: false, message: site, attempts: 1, updated_at: "",
    });
    const streams: Record<number, (e: Event) => void> = {};
    const ws = createWorkspace(
      fakeApi({
        publishDocument: async (slug, _sites, onEvent) => {
          onEvent({ type: "published", slug, revision: "r_1", publish_id: 7, created: false, already_live: false, unpublish: false,
            sites: [standing("a", 1, { stage: "queued" }), standing("b", 2, { stage: "queued" })] });
          for (const [site, id] of [["a", 1], ["b", 2]] as const) {
            onEvent({ type: "changed", publish_id: 7, delivery_id: id, site, stage: { stage: "stale", seen: null, partly: null }, confirming: false, message: "stale" });
          }
          return report(slug, ["a", "b"]);
        },
        resendDelivery: async (id, onEvent) => {
          streams[id] = onEvent;
          const site = id === 1 ? "a" : "b";
          // The event overtakes the command's answer, which is older.
          onEvent({ type: "changed", publish_id: 7, delivery_id: id, site, stage: { stage: "confirming", polls: 0 }, confirming: true, message: "confirming" });
          return standing(site, id, { stage: "queued" });
        },
      }),
    );
    await ws.refresh();
    await ws.publish();
    const run = ws.state.publish!;
    await vi.waitFor(() => expect(run.running).toBe(false));
    await ws.resend("a");
    await ws.resend("b");
    expect(run.sites["a"].stage).toEqual({ stage: "confirming", polls: 0 });
    expect(run.sites["b"].stage).toEqual({ stage: "confirming", polls: 0 });
    expect(run.running).toBe(true);
    streams[1]({ type: "changed", publish_id: 7, delivery_id: 1, site: "a", stage: { stage: "live", method: "exact" }, confirming: false, message: "live" });
    expect(run.running).toBe(true);
    streams[2]({ type: "changed", publish_id: 7, delivery_id: 2, site: "b", stage: { stage: "live", method: "exact" }, confirming: false, message: "live" });
    await vi.waitFor(() => expect(run.running).toBe(false));
  });

  it("follows the publisher's events per site to live, never calls accepted live, and reports errors per site", async () => {
    let emit: (e: Event) => void = () => {};
    const standing = (site: string, delivery_id: number): Standing => ({
      delivery_id, publish_id: 7, site, stage: { stage: "queued" }, confirming: true, message: "Sending…", attempts: 0, updated_at: "",
    });
    const ws = createWorkspace(
      fakeApi({
        publishDocument: async (slug, _sites, onEvent) => {
          emit = onEvent;
          emit({ type: "published", slug, revision: "r_1", publish_id: 7, created: false, already_live: false, unpublish: false, sites: [standing("demo", 1), standing("broken", 2)] });
          return report(slug, ["demo", "broken"]);
        },
      }),
    );
    await ws.refresh();
    await ws.publish();
    const run = ws.state.publish!;
    expect(run.running).toBe(true);
    emit({ type: "attempted", publish_id: 7, delivery_id: 1, site: "demo", attempt: 1, status: 200, latency_ms: 3, error: null });
    emit({ type: "changed", publish_id: 7, delivery_id: 1, site: "demo", stage: { stage: "accepted" }, confirming: true, message: "demo accepted the webhook." });
    emit({ type: "changed", publish_id: 7, delivery_id: 2, site: "broken", stage: { stage: "failed", reason: "the secret does not match" }, confirming: false, message: "broken: the secret does not match" });
    // Accepted with a confirmation owed is not live, and the run goes on.
    expect(run.sites["demo"].stage).toEqual({ stage: "accepted" });
    expect(run.running).toBe(true);
    emit({ type: "confirming", publish_id: 7, delivery_id: 1, site: "demo", url: "http://127.0.0.1:1/posts/first", timeout_ms: 30000 });
    emit({ type: "polled", publish_id: 7, delivery_id: 1, site: "demo", poll: { elapsed_ms: 1, status: 200, x_nextjs_cache: "MISS", age: null, cache_control: null, etag: null, seen_revision: "r_1", verdict: "live", error: null, cf_cache_status: null, x_vercel_cache: null, x_cache: null, instance: null } });
    // Publishing again is possible while the publisher still works on this run.
    expect(ws.state.publishing).toBe(false);
    emit({ type: "changed", publish_id: 7, delivery_id: 1, site: "demo", stage: { stage: "live", method: "exact" }, confirming: false, message: "Live: demo serves r_1" });
    await vi.waitFor(() => expect(run.running).toBe(false));
    expect(run.revision).toBe("r_1");
    expect(run.sites["demo"].stage).toEqual({ stage: "live", method: "exact" });
    expect(run.sites["demo"].polls).toHaveLength(1);
    expect(run.sites["demo"].webhookStatus).toBe(200);
    expect(run.sites["broken"].stage?.stage).toBe("failed");
    expect(run.sites["broken"].message).toContain("secret");
  });
});

describe("stage labels", () => {
  it("never calls a site live when only some of its pages or instances are", () => {
    expect(stageLabel({ stage: "live", method: "exact" })).toBe("Live ✓");
    const now = Date.parse("2026-12-02T10:00:00Z");
    const retry = (at: string) => stageLabel({ stage: "retry_at", attempt: 1, at, error: "" }, now);
    expect(retry("2026-12-02T10:04:00Z")).toBe("Retrying in 4 min");
    expect(retry("2026-12-02T10:00:05Z")).toBe("Retrying in 5 s");
    expect(retry("2026-12-02T12:00:00Z")).toBe("Retrying in 2 h");
    expect(retry("2026-12-02T09:59:00Z")).toBe("Retrying now");
    expect(stageLabel({ stage: "stale", seen: "r_1", partly: null })).toBe("Still stale");
    expect(stageLabel({ stage: "stale", seen: null, partly: { fresh: 2, of: 3 } })).toBe("Partly live (2 of 3)");
    expect(stageLabel({ stage: "stale", seen: null, partly: { fresh: 1, of: 0 } })).toBe("Partly live");
  });
});
