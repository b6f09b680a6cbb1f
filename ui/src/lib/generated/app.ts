// Generated from the Rust types (src-tauri/ipc_types.rs); do not edit.
// PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-app --bin pressroom-app ipc_types

import type { Asset, ConfirmationRecord, FieldMapping, Preset, Schedule, Site } from "./core";

/**
 * What the window shows about where it publishes.
 */
export type WorkspaceInfo = { data_dir: string, 
/**
 * The built-in sandbox (content API + demo site on loopback).
 */
sandbox: boolean, api_url: string | null, demo_site_url: string | null, };

/**
 * A site as settings show it.
 */
export type SiteView = { 
/**
 * Two secrets sign until the rotation is finished.
 */
rotating: boolean, id: number, name: string, webhook_url: string, 
/**
 * Page URL with `{slug}`, fetched to confirm a publish is live.
 */
page_url_template: string, tag_templates: Array<string>, path_templates: Array<string>, preset: Preset, enabled: boolean, disabled_reason: string | null, confirm_timeout_ms: number, 
/**
 * Name of the site's entry in the secret store.
 */
secret_ref: string | null, created_at: string, 
/**
 * URL templates confirmed besides the page: paths on the page's origin (`/`,
 * `/tags/{tag}`, `/feed.xml`) or full URLs; `{slug}`, and `{tag}` once per tag.
 */
also_confirm: Array<string>, 
/**
 * Origins of the site's instances (self-hosted replicas without a shared cache):
 * the webhook goes to each, and each is confirmed through its own origin.
 */
instances: Array<string>, 
/**
 * Where the site's pages hold the article (a CSS selector), for "preview in the
 * site's theme"; none: `article, main, [role=main]`.
 */
article_selector: string | null, 
/**
 * A page still stale at the timeout gets the webhook once more (every instance)
 * and is fetched again (warmed) for one more timeout before it is reported.
 */
heal: boolean, 
/**
 * The destination the site reads its content from; none: the content API.
 */
destination: string | null, };

/**
 * The site form: what a user types.
 */
export type SiteForm = { name: string, webhook_url: string, page_url_template: string, tag_templates: Array<string>, path_templates: Array<string>, preset: string, confirm_timeout_ms: number | null, 
/**
 * Pages confirmed besides the document's (paths on its origin or full URLs).
 */
also_confirm: Array<string>, 
/**
 * Instance origins: the webhook goes to each, each is confirmed on its own.
 */
instances: Array<string>, 
/**
 * Where the site's pages hold the article ("" or none: the default).
 */
article_selector: string | null, 
/**
 * Still stale at the timeout: re-send and fetch again before reporting it.
 */
heal: boolean, 
/**
 * The destination the site reads from; none (or ""): the content API.
 */
destination: string | null, };

/**
 * The destination form: what a user types. The secret (Application Password or
 * token) goes to the keyring; left empty when editing, the kept one stays.
 */
export type DestinationForm = { name: string, 
/**
 * "wordpress" or "directus".
 */
kind: string, url: string, 
/**
 * WordPress's user name (not used by Directus).
 */
user: string, secret: string | null, 
/**
 * Directus: the collection and its fields.
 */
mapping: FieldMapping | null, 
/**
 * The widest image it takes (0: as they are); kept as it was when absent.
 */
image_max_width: number | null, };

/**
 * An image just taken in, and the markdown that shows it.
 */
export type AddedImage = { asset: Asset, 
/**
 * `![alt](asset:<sha256>)`, the alt text from its file name.
 */
markdown: string, };

/**
 * A site just added or re-keyed; `new_secret` is shown once, then only the site has it.
 */
export type Keyed = { site: Site, new_secret: string | null, };

/**
 * What a test webhook got back.
 */
export type TestResult = { ok: boolean, status: number | null, latency_ms: number, 
/**
 * What happened and what to do, in a sentence.
 */
message: string, };

/**
 * What every failed command rejects with.
 */
export type IpcError = { kind: string, message: string, };

/**
 * A page of a site to show a draft in the site's theme (the preview's "In the site's
 * theme"), with the site's article region.
 */
export type ThemePage = { site: string, article_selector: string | null, page: ConfirmationRecord, };

/**
 * A schedule set or cancelled, and what each CMS that keeps scheduled posts itself
 * made of it (one sentence each).
 */
export type Scheduled = { schedule: Schedule, notes: Array<string>, };
