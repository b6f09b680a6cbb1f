// Generated from the Rust types (crates/core/tests/ipc_types.rs); do not edit.
// PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types

import type { Health, Method, Outcome, Poll, Standing } from "./publisher";

export type Status = "draft" | "published" | "modified";

/**
 * A line of the front matter that does not parse, and why.
 */
export type ParseProblem = { line: number, message: string, };

export type Document = { slug: string, title: string, source: string, body: string, tags: Array<string>, front_matter: Record<string, unknown>, 
/**
 * Set while the source's front matter does not parse (the draft is saved anyway).
 */
parse_error: ParseProblem | null, 
/**
 * Content revision id of the draft; `None` while it does not parse.
 */
revision: string | null, published_revision: string | null, status: Status, created_at: string, updated_at: string, };

export type DocumentSummary = { slug: string, title: string, tags: Array<string>, status: Status, has_error: boolean, updated_at: string, };

/**
 * A document in the Trash.
 */
export type Trashed = { slug: string, title: string, deleted_at: string, };

export type RevisionInfo = { id: number, content_revision: string | null, created_at: string, bytes: number, 
/**
 * The first words this save changed (`diff::first_changed_words`); none for the
 * first save, and for saves from before history kept them.
 */
change: string | null, };

export type DiffLine = { 
/**
 * "equal", "insert" or "delete".
 */
op: "equal" | "insert" | "delete", old_line: number | null, new_line: number | null, text: string, };

export type SnippetPart = { text: string, hit: boolean, };

export type SearchHit = { slug: string, title: string, snippet: Array<SnippetPart>, };

/**
 * What changed in the preview: blocks `start..start + removed` of version `base`
 * (all of them when `base` is `None`) become `blocks`. Joined, the blocks are the
 * content API's html.
 */
export type PreviewUpdate = { version: number, base: number | null, start: number, removed: number, blocks: Array<string>, title: string, tags: Array<string>, 
/**
 * Malformed front matter: (line, message). The body still renders.
 */
problem: [number, string] | null, 
/**
 * The line of the text (1-based, front matter included) each block of the whole
 * preview starts on, every block: what keeps the editor and the preview level
 * when scrolling.
 */
lines: Array<number>, };

/**
 * A change of the previewed text: UTF-16 code units `from..to` of the text at version
 * `base` replaced by `insert`, giving a text of `length` UTF-16 code units.
 */
export type TextEdit = { base: number, from: number, to: number, insert: string, length: number, };

/**
 * How a site is told to revalidate.
 */
export type Preset = "standard_webhooks" | "plain_secret" | "vercel_deploy_hook" | "netlify_build_hook" | "cloudflare_purge_tags" | "cloudflare_purge_urls" | "vercel_isr_bypass";

export type Site = { id: number, name: string, webhook_url: string, 
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
 * Where this workspace publishes.
 */
export type ApiSettings = { url: string, 
/**
 * Name of the environment variable holding the write token.
 */
token_env: string | null, 
/**
 * The token is in the secret store (keyring).
 */
token_stored: boolean, 
/**
 * The widest image it takes, in pixels: wider ones go as a downscaled copy (0: as
 * they are).
 */
image_max_width: number, };

/**
 * A published document as the content API returns it.
 */
export type ApiDocument = { slug: string, title: string, revision: string, html: string, markdown: string, summary: string, tags: Array<string>, front_matter: Record<string, unknown>, published_at: string, updated_at: string, 
/**
 * The cover image the front matter names (`cover:`), at an address readers can
 * fetch; `null` without one.
 */
cover: string | null, };

/**
 * A publish as the content API took it.
 */
export type PublishReport = { slug: string, revision: string, 
/**
 * The slug was new on the content API.
 */
created: boolean, 
/**
 * The API already had exactly this revision (e.g. an earlier attempt got through).
 */
already_live: boolean, document: ApiDocument, 
/**
 * The local publish record; its deliveries are in the outbox.
 */
publish_id: number, 
/**
 * The sites told to revalidate.
 */
sites: Array<string>, 
/**
 * It was an unpublish: the revision was taken down.
 */
unpublished: boolean, };

/**
 * One publish (or unpublish) of a document, as recorded locally.
 */
export type PublishRecord = { id: number, slug: string, revision: string, unpublished: boolean, source: string, created_at: string, };

/**
 * A page's styles: the stylesheets it links (absolute http(s) URLs, at most
 * `MAX_STYLESHEETS`) and the text of its `<style>` elements (capped at 64 KB).
 * `Confirmer::page_css` fetches and inlines them.
 */
export type PageStyles = { links: Array<string>, inline: string, };

/**
 * A finished confirmation of one site.
 */
export type ConfirmationRecord = { id: number, publish_id: number, site_id: number | null, site_name: string, url: string, 
/**
 * The instance origin the URL was fetched through (none: as the public reaches it).
 */
instance: string | null, revision: string, outcome: Outcome, method: Method | null, message: string, 
/**
 * Visible text of the last page fetched (for the side-by-side view).
 */
page_text: string | null, 
/**
 * The last page fetched, sanitized (no scripts, no handlers), capped.
 */
page_html: string | null, 
/**
 * Its styles: stylesheet links and inline `<style>` text (`Confirmer::page_css`
 * turns them into one stylesheet for the side-by-side view).
 */
page_styles: PageStyles | null, started_at: string, finished_at: string, polls: Array<Poll>, };

/**
 * A site's confirmation, with the local render's text against its page's.
 */
export type Confirmed = { 
/**
 * The local render's text → the live page's text.
 */
diff: Array<DiffLine>, id: number, publish_id: number, site_id: number | null, site_name: string, url: string, 
/**
 * The instance origin the URL was fetched through (none: as the public reaches it).
 */
instance: string | null, revision: string, outcome: Outcome, method: Method | null, message: string, 
/**
 * Visible text of the last page fetched (for the side-by-side view).
 */
page_text: string | null, 
/**
 * The last page fetched, sanitized (no scripts, no handlers), capped.
 */
page_html: string | null, 
/**
 * Its styles: stylesheet links and inline `<style>` text (`Confirmer::page_css`
 * turns them into one stylesheet for the side-by-side view).
 */
page_styles: PageStyles | null, started_at: string, finished_at: string, polls: Array<Poll>, };

export type PublishedView = { publish: PublishRecord, local_html: string, title: string, confirmations: Array<Confirmed>, 
/**
 * Lines of text this publish changed since the one before (all of them for a
 * first publish): highlighted in the local render and on each live page.
 */
changed: Array<string>, 
/**
 * Where each site of this publish stands now.
 */
sites: Array<Standing>, };

/**
 * Where the sites of a document's latest publish stand: what the window asks on
 * opening a document (cheap: no pages, no render).
 */
export type LatestPublish = { publish_id: number, revision: string, 
/**
 * It took the document down.
 */
unpublished: boolean, sites: Array<Standing>, };

/**
 * Where a document's sites stand after its latest publish, and the worst of them:
 * what the document list shows.
 */
export type DocumentSites = { slug: string, health: Health, sites: Array<Standing>, };

export type ImportFailure = { path: string, kind: string, message: string, };

/**
 * A file imported with malformed front matter: which, where, and what is wrong.
 */
export type BrokenFrontMatter = { path: string, slug: string, line: number, message: string, };

export type ImportReport = { created: Array<string>, updated: Array<string>, unchanged: Array<string>, failed: Array<ImportFailure>, 
/**
 * Imported, but their front matter is broken (kept as drafts to fix).
 */
broken: Array<BrokenFrontMatter>, 
/**
 * Images taken in with the files.
 */
images: number, 
/**
 * Images a file shows that could not be taken in (its reference kept as it was).
 */
missing_images: Array<ImportFailure>, };

/**
 * An image of the workspace.
 */
export type Asset = { 
/**
 * Hex SHA-256 of the stored bytes: its name, and what the markdown refers to.
 */
sha256: string, 
/**
 * The file name it came with (no folders), for alt text and exports.
 */
name: string, 
/**
 * `image/png`, `image/jpeg`, `image/gif` or `image/webp`, from its bytes.
 */
mime: string, bytes: number, width: number, height: number, };

/**
 * How the workspace takes images in and sends them out (Settings ▸ Images).
 */
export type ImageSettings = { 
/**
 * Keep EXIF (GPS positions, camera serials), XMP and the rest in images added
 * from now on. Off unless the editor turns it on.
 */
keep_metadata: boolean, 
/**
 * The widest image the content API takes (0: as they are).
 */
api_max_width: number, };

/**
 * How the body is stored in its field.
 */
export type BodyFormat = "markdown" | "html";

/**
 * Which collection holds the posts and which of its fields hold what. Optional fields
 * left out are not written (nor read by a pull).
 */
export type FieldMapping = { collection: string, title: string, slug: string, body: string, body_format: BodyFormat, summary: string | null, 
/**
 * A `csv` or `json` field: the tags as a list.
 */
tags: string | null, 
/**
 * Written "published" or "draft" (Directus's own status values).
 */
status: string | null, 
/**
 * The field Directus sets on every change (special `date-updated`): what tells a
 * post edited there since.
 */
modified: string, 
/**
 * A file field (a UUID of `directus_files`): set to the cover image's file when
 * the front matter names one (`cover:`).
 */
cover: string | null, };

/**
 * A CMS to publish to. The password is in the secret store under `secret_ref`.
 */
export type Destination = { id: number, name: string, 
/**
 * "wordpress" or "directus".
 */
kind: string, 
/**
 * The REST root (WordPress) or the server's address (Directus).
 */
url: string, 
/**
 * WordPress's user name; empty for Directus (a token alone).
 */
user: string, 
/**
 * Directus: the collection and which of its fields hold what.
 */
mapping: FieldMapping | null, 
/**
 * The widest image it takes, in pixels: wider ones go as a downscaled copy (0: as
 * they are).
 */
image_max_width: number, created_at: string, };

export type Schedule = { id: number, slug: string, 
/**
 * When it is due (UTC, `2026-12-24T07:00:00.000Z`).
 */
due_at: string, 
/**
 * The sites it goes to; empty: every enabled one.
 */
sites: Array<string>, 
/**
 * `pending`, `done`, `failed` or `cancelled`.
 */
state: string, 
/**
 * How long after its due time it started, when it did (in ms).
 */
late_ms: number | null, publish_id: number | null, 
/**
 * Why the last try failed (a pending one is tried again), or why it gave up.
 */
error: string | null, 
/**
 * Tries made so far.
 */
attempts: number, 
/**
 * The destinations (ids) that hold it as their own scheduled post (WordPress's
 * `future`): removed there when it is cancelled while still held.
 */
staged: number[], created_at: string, updated_at: string, };

/**
 * A document's publish set for a time.
 * What a workspace still has to do by itself (`Store::pending_work`).
 */
export type PendingWork = { 
/**
 * Scheduled publishes not yet carried out.
 */
scheduled: number, 
/**
 * Webhooks to send (queued, or waiting for their next attempt).
 */
sending: number, 
/**
 * Pages still to be confirmed.
 */
confirming: number, };

/**
 * Where the service stands, for Settings.
 */
export type ServiceStatus = { 
/**
 * Enabled: it starts with the user's session.
 */
enabled: boolean, 
/**
 * Running now.
 */
active: boolean, 
/**
 * Why it cannot be turned on here (no systemd user manager, no `pressroom`
 * command), when it cannot.
 */
unavailable: string | null, };

/**
 * Who the secret logs in as, and whether they may publish.
 */
export type Account = { name: string, can_publish: boolean, };

/**
 * Why a post was not taken in.
 */
export type Why = "changed_on_both_sides" | "slug_taken" | "in_trash" | "failed";

export type Kept = { slug: string, why: Why, 
/**
 * `why` in a sentence, with what to do.
 */
reason: string, };

/**
 * What a pull did, post by post.
 */
export type PullReport = { destination: string, 
/**
 * New drafts (slugs).
 */
created: Array<string>, 
/**
 * Drafts replaced by the post's newer text.
 */
updated: Array<string>, 
/**
 * Posts unchanged since the last publish or pull.
 */
unchanged: number, 
/**
 * Posts not taken in, each with why.
 */
kept: Array<Kept>, };
