// What an editor can do about an error: every error the banner shows comes with one
// action, chosen by its kind (the core error's stable tag) and by what was being done.
import type { IpcError } from "./api";

export type ErrorAction =
  /** Settings, at the content API's form. */
  | "api-settings"
  /** Settings, at the sites. */
  | "site-settings"
  /** Settings, at the destinations (WordPress, Directus). */
  | "destination-settings"
  /** Run again what failed (a publish or unpublish the content API did not take). */
  | "retry"
  /** Publish again over a post edited in a CMS since Pressroom last published it. */
  | "overwrite"
  /** The editor, at the line the problem is on. */
  | "go-to-line"
  /** The slug field. */
  | "slug"
  /** The list again (the document changed under us). */
  | "refresh";

const LABELS: Record<ErrorAction, string> = {
  "api-settings": "Content API settings",
  "site-settings": "Site settings",
  "destination-settings": "Destination settings",
  retry: "Retry now",
  overwrite: "Publish over their edit",
  "go-to-line": "Go to the line",
  slug: "Change the slug",
  refresh: "Reload the list",
};

/** The action for `error`; `canRetry` when what failed can simply be run again. */
export function errorAction(
  error: IpcError,
  canRetry: boolean,
): { action: ErrorAction; label: string } | null {
  const action = ((): ErrorAction | null => {
    switch (error.kind) {
      case "unreachable":
      case "server_error":
        // Often passing (the API restarting): try again; else its address.
        return canRetry ? "retry" : "api-settings";
      case "unauthorized":
      case "token_missing":
      case "not_configured":
      case "invalid_url":
        return "api-settings";
      case "edited_elsewhere":
        return canRetry ? "overwrite" : null;
      case "rejected":
      case "conflict":
      case "ipc":
        return canRetry ? "retry" : null;
      case "destination_unreachable":
      case "destination_failed":
        return canRetry ? "retry" : "destination-settings";
      case "destination_rejected":
      case "destination_refused":
      case "invalid_destination":
        return "destination-settings";
      case "secret_missing":
      case "invalid_secret":
      case "keyring":
      case "invalid_site":
        return "site-settings";
      case "front_matter":
      case "missing_title":
        return "go-to-line";
      case "invalid_slug":
      case "duplicate_slug":
        return "slug";
      case "not_found":
        return "refresh";
      default:
        return canRetry ? "retry" : null;
    }
  })();
  return action ? { action, label: LABELS[action] } : null;
}
