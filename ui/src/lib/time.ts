// Times as an editor reads them: relative ("3 min ago") and in the user's own time zone
// on hover, never raw UTC timestamps.

/** How long ago `at` (RFC 3339) was: "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(at: string, now = Date.now()): string {
  const minutes = Math.round((now - Date.parse(at)) / 60000);
  if (!Number.isFinite(minutes)) return at;
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? "" : "s"} ago`;
}

/** `at` in the user's time zone and locale, for a tooltip. */
export function local(at: string): string {
  const t = Date.parse(at);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : at;
}

/** How long until `at` (RFC 3339), in an editor's words: "in 4 min", "in 2 h", "now". */
export function untilText(at: string, now = Date.now()): string {
  const ms = Date.parse(at) - now;
  if (!Number.isFinite(ms)) return "later";
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return ms > 0 ? `in ${Math.max(1, Math.round(ms / 1000))} s` : "now";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 24 ? `in ${hours} h` : `on ${new Date(at).toLocaleString()}`;
}
