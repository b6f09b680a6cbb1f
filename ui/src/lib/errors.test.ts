import { describe, expect, it } from "vitest";
import { errorAction } from "./errors";

const err = (kind: string) => ({ kind, message: "m" });

describe("errorAction", () => {
  it("sends content API trouble to its settings, or retries what can be retried", () => {
    expect(errorAction(err("unauthorized"), true)?.action).toBe("api-settings");
    expect(errorAction(err("unreachable"), true)).toEqual({ action: "retry", label: "Retry now" });
    expect(errorAction(err("unreachable"), false)?.action).toBe("api-settings");
  });

  it("points at the place to fix a document or a site", () => {
    expect(errorAction(err("front_matter"), false)?.action).toBe("go-to-line");
    expect(errorAction(err("destination_refused"), true)?.action).toBe("destination-settings");
    expect(errorAction(err("edited_elsewhere"), true)).toEqual({
      action: "overwrite",
      label: "Publish over their edit",
    });
    expect(errorAction(err("missing_title"), true)?.action).toBe("go-to-line");
    expect(errorAction(err("duplicate_slug"), false)?.label).toBe("Change the slug");
    expect(errorAction(err("secret_missing"), true)?.action).toBe("site-settings");
    expect(errorAction(err("not_found"), false)?.action).toBe("refresh");
  });

  it("offers nothing it cannot do", () => {
    expect(errorAction(err("too_large"), false)).toBeNull();
    expect(errorAction(err("database"), false)).toBeNull();
  });
});
