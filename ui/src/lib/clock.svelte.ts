// The time relative times ("3 min ago", "in 4 min") are read against: one clock for
// the whole window, moving every 30 s, so what is on screen stays true.
const clock = $state({ now: Date.now() });
let ticking = false;

/** Now, as a reactive value: a view that shows it is drawn again as time passes. */
export function now(): number {
  if (!ticking) {
    ticking = true;
    setInterval(() => (clock.now = Date.now()), 30_000);
  }
  return clock.now;
}
