// Settings and the delivery log: the content API, the sites with their secrets, and
// every webhook attempt. Like the workspace store, views only read this and call it.
import { attempt } from "./api";
import { isSettled } from "./workspace.svelte";
import type {
  Api,
  ApiSettings,
  ImageSettings,
  ServiceStatus,
  Destination,
  DestinationForm,
  PullReport,
  Attempt,
  Delivery,
  IpcError,
  SiteForm,
  SiteView,
  Stage,
  TestResult,
} from "./api";

export const PRESETS: { id: string; label: string; secret: "signing" | "token" | "none" }[] = [
  { id: "standard_webhooks", label: "Standard Webhooks (signed, recommended)", secret: "signing" },
  { id: "plain_secret", label: "?secret= query (Next.js examples; weaker)", secret: "token" },
  { id: "vercel_deploy_hook", label: "Vercel deploy hook", secret: "none" },
  { id: "netlify_build_hook", label: "Netlify build hook", secret: "none" },
  { id: "cloudflare_purge_tags", label: "Cloudflare purge by tags", secret: "token" },
  { id: "cloudflare_purge_urls", label: "Cloudflare purge by URLs", secret: "token" },
  { id: "vercel_isr_bypass", label: "Vercel ISR bypass (x-prerender-revalidate)", secret: "token" },
];

export function emptyForm(): SiteForm {
  return {
    name: "",
    webhook_url: "",
    page_url_template: "",
    tag_templates: ["documents", "document:{slug}"],
    path_templates: ["/posts/{slug}"],
    preset: "standard_webhooks",
    confirm_timeout_ms: 30000,
    also_confirm: [],
    instances: [],
    article_selector: null,
    heal: true,
    destination: null,
  };
}

export function formOf(site: SiteView): SiteForm {
  return {
    name: site.name,
    webhook_url: site.webhook_url,
    page_url_template: site.page_url_template,
    tag_templates: [...site.tag_templates],
    path_templates: [...site.path_templates],
    preset: site.preset,
    confirm_timeout_ms: site.confirm_timeout_ms,
    also_confirm: [...site.also_confirm],
    instances: [...site.instances],
    article_selector: site.article_selector,
    heal: site.heal,
    destination: site.destination,
  };
}

/** What is wrong with a site form before it is sent, per field (empty when fine). */
export function validateForm(form: SiteForm): Partial<Record<keyof SiteForm, string>> {
  const errors: Partial<Record<keyof SiteForm, string>> = {};
  const isHttp = (u: string) => /^https?:\/\/[^\s/]+/.test(u.trim());
  if (!/^[a-z0-9][a-z0-9-_.]*$/i.test(form.name.trim())) {
    errors.name = "Use letters, digits, dashes, dots or underscores.";
  }
  if (!isHttp(form.webhook_url)) errors.webhook_url = "An http:// or https:// URL.";
  if (!isHttp(form.page_url_template)) {
    errors.page_url_template = "An http:// or https:// URL.";
  } else if (!form.page_url_template.includes("{slug}")) {
    errors.page_url_template = "Put {slug} where the document's slug goes.";
  }
  const badAlso = form.also_confirm.find((t) => !/^(\/|https?:\/\/)\S*$/.test(t.trim()));
  if (badAlso !== undefined) {
    errors.also_confirm = `"${badAlso}": a path such as /tags/{tag}, or an http(s) URL.`;
  }
  const badInstance = form.instances.find((o) => !/^https?:\/\/[^\s/?#]+\/?$/.test(o.trim()));
  if (badInstance !== undefined) {
    errors.instances = `"${badInstance}": an origin such as http://10.0.0.2:3000, without a path.`;
  }
  if (form.confirm_timeout_ms !== null && !(form.confirm_timeout_ms >= 1000)) {
    errors.confirm_timeout_ms = "At least 1 second.";
  }
  return errors;
}

export const DESTINATION_KINDS = [
  { id: "wordpress", label: "WordPress" },
  { id: "directus", label: "Directus" },
] as const;

export function emptyDestination(kind = "wordpress"): DestinationForm {
  return {
    name: "",
    kind,
    url: "",
    user: "",
    secret: "",
    mapping:
      kind === "directus"
        ? {
            collection: "posts",
            title: "title",
            slug: "slug",
            body: "content",
            body_format: "markdown",
            summary: "summary",
            tags: "tags",
            status: "status",
            modified: "date_updated",
            cover: null,
          }
        : null,
    image_max_width: 2560,
  };
}

export function destinationFormOf(d: Destination): DestinationForm {
  return {
    name: d.name,
    kind: d.kind,
    url: d.url,
    user: d.user,
    secret: "",
    mapping: d.mapping ? { ...d.mapping } : null,
    image_max_width: d.image_max_width,
  };
}

/** What is wrong with a destination form before it is sent (empty when fine). */
export function validateDestination(
  form: DestinationForm,
  adding: boolean,
): Partial<Record<"name" | "url" | "user" | "secret" | "image_max_width", string>> {
  const errors: Partial<Record<"name" | "url" | "user" | "secret" | "image_max_width", string>> = {};
  if (adding && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(form.name.trim())) {
    errors.name = "Lowercase letters, digits and dashes.";
  } else if (adding && form.name.trim() === "api") {
    errors.name = "\"api\" names the content API; choose another name.";
  }
  if (!/^https?:\/\/[^\s/]+/.test(form.url.trim())) errors.url = "An http:// or https:// URL.";
  const width = form.image_max_width;
  if (width != null && !(Number.isInteger(width) && width >= 0 && width <= 12000)) {
    errors.image_max_width = "A number of pixels from 0 (images as they are) to 12000.";
  }
  if (form.kind === "wordpress" && form.user.trim() === "") errors.user = "The WordPress user name.";
  if (adding && (form.secret ?? "").trim() === "") {
    errors.secret = form.kind === "wordpress" ? "An Application Password." : "A static token.";
  }
  return errors;
}

/** A pull's outcome in a sentence. */
export function pullSummary(r: PullReport): string {
  const parts = [
    `${r.created.length} new`,
    `${r.updated.length} updated`,
    `${r.unchanged} unchanged`,
  ];
  if (r.kept.length > 0) parts.push(`${r.kept.length} kept (changed here too)`);
  return `Pulled ${r.destination}: ${parts.join(", ")}.`;
}

export function createSettings(api: Api) {
  const state = $state({
    api: null as ApiSettings | null,
    images: null as ImageSettings | null,
    /** The systemd user service that publishes while the app is closed. */
    background: null as ServiceStatus | null,
    apiCheck: null as { ok: boolean; message: string } | null,
    sites: [] as SiteView[],
    /** A secret just generated: shown once, then only the site has it. */
    revealed: null as { site: string; secret: string } | null,
    tests: {} as Record<string, TestResult>,
    handler: null as { site: string; code: string } | null,
    error: null as IpcError | null,
    notice: null as string | null,
    /** The notice reports a failure (shown in red, not green). */
    noticeBad: false,
    deliveries: [] as Delivery[],
    failedOnly: false,
    attempts: null as { delivery: Delivery; list: Attempt[] } | null,
    busy: false,
    /** The delivery being re-sent, until its site settles (the button says so). */
    resending: null as number | null,
    destinations: [] as Destination[],
    /** The last connection test of each destination. */
    destinationTests: {} as Record<string, { ok: boolean; message: string }>,
    /** The last pull, with the drafts it kept. */
    pulled: null as PullReport | null,
  });

  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    state.busy = true;
    try {
      return await attempt(state, work);
    } finally {
      state.busy = false;
    }
  }

  async function load() {
    await run(async () => {
      state.api = await api.apiSettings();
      state.images = await api.imageSettings();
      state.background = await api.backgroundService();
      state.sites = await api.settingsSites();
      state.destinations = await api.listDestinations();
    });
  }

  async function saveApi(url: string, token: string) {
    const saved = await run(() => api.setApiSettings(url, token.trim() === "" ? null : token));
    if (saved) {
      state.api = saved;
      state.notice = "Content API saved.";
      await checkApi();
    }
  }

  /** Saves how images go in and out; a refused value is said, the saved one shown. */
  async function saveImages(images: ImageSettings) {
    const saved = await run(() => api.setImageSettings(images));
    if (saved) {
      state.images = saved;
      state.notice = "Image settings saved.";
    } else {
      state.images = await api.imageSettings().catch(() => state.images);
    }
  }

  /** Turns the background service on or off; what it then is, is shown. */
  async function setBackground(on: boolean) {
    const status = await run(() => api.setBackgroundService(on));
    if (status) {
      state.background = status;
      state.notice = on
        ? "The background service is on: it publishes while Pressroom is closed."
        : "The background service is off.";
    } else {
      state.background = await api.backgroundService().catch(() => state.background);
    }
  }

  async function checkApi() {
    const problem = await run(() => api.checkApi());
    if (problem !== undefined) {
      state.apiCheck =
        problem === null
          ? { ok: true, message: "The content API answers." }
          : { ok: false, message: problem };
    }
  }

  function keep(secret: string | null, site: string) {
    state.revealed = secret ? { site, secret } : null;
  }

  async function addSite(form: SiteForm, secret: string) {
    const added = await run(() => api.addSite(form, secret.trim() === "" ? null : secret));
    if (added) {
      keep(added.new_secret, added.site.name);
      state.notice = `Added ${added.site.name}.`;
      await load();
      return true;
    }
    return false;
  }

  async function updateSite(name: string, form: SiteForm) {
    const site = await run(() => api.updateSite(name, form));
    if (site) {
      state.notice = `Saved ${site.name}.`;
      await load();
      return true;
    }
    return false;
  }

  async function removeSite(name: string) {
    if ((await run(() => api.removeSite(name))) !== undefined) {
      state.notice = `Removed ${name} and its secret.`;
      await load();
    }
  }

  async function setEnabled(name: string, enabled: boolean) {
    if (await run(() => api.setSiteEnabled(name, enabled))) await load();
  }

  async function rotate(name: string) {
    const keyed = await run(() => api.rotateSecret(name, null));
    if (keyed) {
      keep(keyed.new_secret, name);
      state.notice = `${name}: the new secret signs together with the old one until you finish the rotation.`;
      await load();
    }
  }

  async function finishRotation(name: string) {
    if ((await run(() => api.finishRotation(name))) !== undefined) {
      state.notice = `${name}: only the new secret signs now.`;
      await load();
    }
  }

  /** Replaces the secret with the one given, or a generated one when empty. */
  async function replaceSecret(name: string, secret: string) {
    const keyed = await run(() => api.replaceSecret(name, secret.trim() === "" ? null : secret));
    if (keyed) {
      keep(keyed.new_secret, name);
      state.notice = `${name}: secret replaced.`;
      await load();
      return true;
    }
    return false;
  }

  async function showHandler(name: string) {
    const code = await run(() => api.siteHandler(name));
    if (code !== undefined) state.handler = { site: name, code };
  }

  async function testWebhook(name: string) {
    const result = await run(() => api.testWebhook(name));
    if (result) state.tests[name] = result;
  }

  async function addDestination(form: DestinationForm) {
    const added = await run(() => api.addDestination(form));
    if (!added) return false;
    state.notice = `Added ${added.name}; testing the connection…`;
    await load();
    await testDestination(added.name);
    return true;
  }

  async function updateDestination(name: string, form: DestinationForm) {
    const saved = await run(() => api.updateDestination(name, form));
    if (!saved) return false;
    state.notice = `Saved ${saved.name}.`;
    await load();
    return true;
  }

  async function removeDestination(name: string) {
    if ((await run(() => api.removeDestination(name, true))) !== undefined) {
      state.notice = `Removed ${name} and its secret; its posts stay where they are.`;
      delete state.destinationTests[name];
      await load();
    }
  }

  async function testDestination(name: string) {
    try {
      const account = await api.testDestination(name);
      state.destinationTests[name] = account.can_publish
        ? { ok: true, message: `Logged in as ${account.name}, who may publish.` }
        : {
            ok: false,
            message: `Logged in as ${account.name}, who may not publish: give them a role that may.`,
          };
    } catch (e) {
      state.destinationTests[name] = {
        ok: false,
        message: (e as { message?: string }).message ?? String(e),
      };
    }
  }

  /** Pulls the destination's posts; `onPulled` reloads the document list. */
  async function pull(name: string, replaceChanged: boolean, onPulled?: () => unknown) {
    const report = await run(() => api.pullDestination(name, replaceChanged));
    if (!report) return;
    state.pulled = report;
    state.notice = pullSummary(report);
    await onPulled?.();
  }

  async function loadDeliveries(failedOnly = state.failedOnly) {
    state.failedOnly = failedOnly;
    const list = await run(() => api.listDeliveries(failedOnly));
    if (list) state.deliveries = list;
  }

  async function openAttempts(delivery: Delivery) {
    const list = await run(() => api.deliveryAttempts(delivery.id));
    if (list) state.attempts = { delivery, list };
  }

  /** Queues the delivery again; the notice follows it until its site settles. */
  async function redeliver(delivery: Delivery) {
    const refreshLog = async () => {
      await loadDeliveries();
      const again = state.deliveries.find((d) => d.id === delivery.id);
      if (again) await openAttempts(again);
    };
    // Done for this button once the site settled, or the send is left to a retry.
    const done = (s: { stage: Stage; confirming: boolean }) => isSettled(s) || s.stage.stage === "retry_at";
    const bad = (s: { stage: Stage }) => ["failed", "stale", "retry_at"].includes(s.stage.stage);
    state.resending = delivery.id;
    const queued = await run(() =>
      api.resendDelivery(delivery.id, (e) => {
        if (e.type !== "changed") return;
        state.notice = e.message;
        state.noticeBad = bad(e);
        if (done(e) && state.resending === delivery.id) state.resending = null;
        if (done(e) || e.stage.stage === "accepted") void refreshLog();
      }),
    );
    if (!queued || done(queued)) state.resending = null;
    if (queued) {
      state.notice = queued.message;
      state.noticeBad = bad(queued);
      await refreshLog();
    }
  }

  return {
    state,
    load,
    saveApi,
    saveImages,
    setBackground,
    checkApi,
    addSite,
    updateSite,
    removeSite,
    setEnabled,
    rotate,
    finishRotation,
    replaceSecret,
    showHandler,
    testWebhook,
    addDestination,
    updateDestination,
    removeDestination,
    testDestination,
    pull,
    loadDeliveries,
    openAttempts,
    redeliver,
    forgetSecret: () => (state.revealed = null),
    closeHandler: () => (state.handler = null),
    dismiss: () => ((state.notice = null), (state.noticeBad = false), (state.error = null)),
  };
}

export type Settings = ReturnType<typeof createSettings>;
