// Generated from the Rust types (crates/core/tests/ipc_types.rs); do not edit.
// PRESSROOM_WRITE_TYPES=1 cargo test -p pressroom-core --test ipc_types

/**
 * How "live" was decided.
 */
export type Method = "exact" | "heuristic";

/**
 * How a confirmation ended — and what one poll saw (the last poll's verdict is the
 * outcome).
 */
export type Outcome = "live" | "stale" | "http_error" | "unreachable";

/**
 * One fetch of the page, as a visitor would make it.
 */
export type Poll = { 
/**
 * Since the confirmation started.
 */
elapsed_ms: number, status: number | null, x_nextjs_cache: string | null, age: string | null, cache_control: string | null, etag: string | null, 
/**
 * Cache layers in front of the site (a CDN, a caching proxy): Cloudflare's,
 * Vercel's, and the common `x-cache`/`x-cache-status`.
 */
cf_cache_status: string | null, x_vercel_cache: string | null, x_cache: string | null, 
/**
 * The instance that answered, as it names itself (`x-instance-id`).
 */
instance: string | null, 
/**
 * The revision marker the page carried, if any.
 */
seen_revision: string | null, verdict: Outcome, error: string | null, };

/**
 * How much of a site serves the new revision when not all of it does: `fresh` of
 * `of` places (a URL on one instance), or one URL answered both ways (`of` 0: the
 * instances behind it are not told apart).
 */
export type Partly = { fresh: number, of: number, };

export type Stage = { "stage": "queued" } | { "stage": "sending", attempt: number, } | { "stage": "retry_at", attempt: number, at: string, error: string, } | { "stage": "accepted" } | { "stage": "confirming", polls: number, } | { "stage": "live", method: Method, } | { "stage": "stale", seen: string | null, partly: Partly | null, } | { "stage": "failed", reason: string, };

/**
 * A site's stage in one word, ordered from best to worst: a document list shows the
 * worst of its sites, so one failed site is never hidden behind "published".
 */
export type Health = "live" | "sent" | "pending" | "scheduled" | "partly" | "stale" | "failed";

/**
 * One site of one publish, as the window and the CLI show it.
 */
export type Standing = { delivery_id: number, publish_id: number, site: string, stage: Stage, 
/**
 * A confirmation is still owed (the stage will move on by itself).
 */
confirming: boolean, 
/**
 * What the stage means for the user, in one sentence.
 */
message: string, attempts: number, updated_at: string, };

/**
 * What became of a scheduled publish when it fell due.
 */
export type ScheduleOutcome = { "outcome": "published", publish_id: number, late: string | null, } | { "outcome": "retrying", error: string, at: string, attempt: number, } | { "outcome": "failed", error: string, };

/**
 * What the publisher reports, as it happens (after it is committed).
 */
export type Event = { "type": "published", publish_id: number, slug: string, revision: string, created: boolean, already_live: boolean, 
/**
 * It was taken down (an unpublish), not published.
 */
unpublish: boolean, sites: Array<Standing>, } | { "type": "changed", publish_id: number, delivery_id: number, site: string, stage: Stage, 
/**
 * A confirmation of its page is (still) owed: the stage will move on.
 */
confirming: boolean, message: string, } | { "type": "attempted", publish_id: number, delivery_id: number, site: string, attempt: number, status: number | null, latency_ms: number, error: string | null, } | { "type": "confirming", publish_id: number, delivery_id: number, site: string, url: string, timeout_ms: number, } | { "type": "polled", publish_id: number, delivery_id: number, site: string, poll: Poll, } | { "type": "scheduled", slug: string, outcome: ScheduleOutcome, };

export type DeliveryState = "pending" | "delivered" | "failed" | "config_error" | "cancelled";

export type Delivery = { id: number, publish_id: number, site_id: number | null, site_name: string | null, slug: string, revision: string, 
/**
 * `webhook-id`: the same on every attempt and redelivery.
 */
message_id: string, body: string, state: DeliveryState, 
/**
 * Where this site stands in this publish (the one state machine).
 */
stage: Stage, 
/**
 * A confirmation of the page is still owed, for this long.
 */
confirm_timeout_ms: number | null, attempt_count: number, next_attempt_at: string | null, last_error: string | null, last_status: number | null, created_at: string, updated_at: string, };

export type Attempt = { id: number, delivery_id: number, started_at: string, status: number | null, latency_ms: number | null, response_headers: Record<string, string>, 
/**
 * The first 2 KB of the response body.
 */
response_body: string | null, error: string | null, };
