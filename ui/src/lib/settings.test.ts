import { describe, expect, it } from "vitest";
import type { Api, Event as PublisherEvent, SiteView } from "./api";
import { createSettings, emptyForm, validateForm } from "./settings.svelte";

function site(name: string, rotating = false): SiteView {
  return {
    id: 1, name, webhook_url: "http://127.0.0.1:1/api/revalidate",
    page_url_template: "http://127.0.0.1:1/posts/{slug}", tag_templates: [], path_templates: [],
    preset: "standard_webhooks", enabled: true, disabled_reason: null, confirm_timeout_ms: 30000,
    secret_ref: "site-1", created_at: "", also_confirm: [], instances: [], article_selector: null, heal: true, destination: null, rotating,
  };
}

function api(overrides: Partial<Api>): Api {
  return new Proxy(overrides as Api, {
    get: (target, name: string) =>
      name in target
        ? target[name as keyof Api]
        : async () => {
            throw new Error(`unexpected call: ${name}`);
          },
  });
}

describe("settings store", () => {
  it("validates the site form before anything is sent", () => {
    const bad = { ...emptyForm(), name: "has space", webhook_url: "ftp://x", page_url_template: "http://x/posts" };
    expect(Object.keys(validateForm(bad)).sort()).toEqual(["name", "page_url_template", "webhook_url"]);
    const good = { ...emptyForm(), name: "blog", webhook_url: "https://b.example/api", page_url_template: "https://b.example/p/{slug}" };
    expect(validateForm(good)).toEqual({});
    expect(validateForm({ ...good, confirm_timeout_ms: 10 })).toHaveProperty("confirm_timeout_ms");
    const reach = { ...good, also_confirm: ["/", "/tags/{tag}", "https://b.example/feed.xml"], instances: ["http://10.0.0.2:3000", "https://c.example/"] };
    expect(validateForm(reach)).toEqual({});
    expect(Object.keys(validateForm({ ...good, also_confirm: ["tags/{tag}"], instances: ["http://10.0.0.2:3000/api"] })).sort())
      .toEqual(["also_confirm", "instances"]);
  });

  it("shows a generated secret once, and rotation state from the shell", async () => {
    let sites = [site("blog")];
    const st = createSettings(
      api({
        apiSettings: async () => null,
        imageSettings: async () => ({ keep_metadata: false, api_max_width: 2560 }),
        backgroundService: async () => ({ enabled: false, active: false, unavailable: null }),
        settingsSites: async () => sites,
        addSite: async (form) => ({ site: { ...site(form.name) }, new_secret: "whsec_new" }),
        rotateSecret: async (name) => {
          sites = [site(name, true)];
          return { site: site(name), new_secret: "whsec_rotated" };
        },
      }),
    );
    await st.load();
    expect(st.state.sites.map((s) => s.name)).toEqual(["blog"]);
    expect(st.state.images).toEqual({ keep_metadata: false, api_max_width: 2560 });
    expect(await st.addSite({ ...emptyForm(), name: "docs" }, "")).toBe(true);
    expect(st.state.revealed).toEqual({ site: "docs", secret: "whsec_new" });
    st.forgetSecret();
    expect(st.state.revealed).toBeNull();
    await st.rotate("blog");
    expect(st.state.revealed?.secret).toBe("whsec_rotated");
    expect(st.state.sites[0].rotating).toBe(true);
  });

  it("keeps the shell's error and the form when adding fails", async () => {
    const st = createSettings(
      api({
        addSite: async () => {
          throw { kind: "invalid_secret", message: "invalid secret: it must start with `whsec_`" };
        },
      }),
    );
    expect(await st.addSite({ ...emptyForm(), name: "x" }, "nope")).toBe(false);
    expect(st.state.error?.kind).toBe("invalid_secret");
    expect(st.state.revealed).toBeNull();
  });

  it("shows a redelivery that failed as a failure, not in green", async () => {
    const failed = { stage: "failed" as const, reason: "401" };
    const st = createSettings(
      api({
        listDeliveries: async () => [],
        resendDelivery: async (id, onEvent) => {
          onEvent({ type: "changed", publish_id: 1, delivery_id: id, site: "blog", stage: failed, confirming: false, message: "blog refused it (401)." });
          return { delivery_id: id, publish_id: 1, site: "blog", stage: failed, confirming: false, message: "blog refused it (401).", attempts: 2, updated_at: "" };
        },
      }),
    );
    await st.redeliver({ id: 5 } as never);
    expect(st.state.notice).toBe("blog refused it (401).");
    expect(st.state.noticeBad).toBe(true);
    expect(st.state.resending).toBeNull();
  });

  it("says a redelivery is under way until its site settles", async () => {
    let later: ((e: PublisherEvent) => void) | undefined;
    const confirming = { stage: "confirming" as const, polls: 0 };
    const st = createSettings(
      api({
        listDeliveries: async () => [],
        resendDelivery: async (id, onEvent) => {
          later = onEvent;
          return { delivery_id: id, publish_id: 1, site: "blog", stage: confirming, confirming: true, message: "waiting", attempts: 2, updated_at: "" };
        },
      }),
    );
    await st.redeliver({ id: 5 } as never);
    expect(st.state.resending).toBe(5);
    later!({ type: "changed", publish_id: 1, delivery_id: 5, site: "blog", stage: { stage: "live", method: "exact" }, confirming: false, message: "live" });
    expect(st.state.resending).toBeNull();
    expect(st.state.noticeBad).toBe(false);
  });
});
