import { describe, expect, it } from "vitest";
import { ago } from "./time";

describe("times in an editor's words", () => {
  it("says how long ago", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(ago("2026-12-02T11:59:40Z", now)).toBe("just now");
    expect(ago("2026-12-02T11:57:00Z", now)).toBe("3 min ago");
    expect(ago("2026-12-02T10:00:00Z", now)).toBe("2 h ago");
    expect(ago("2026-11-28T12:00:00Z", now)).toBe("4 days ago");
    expect(ago("2026-12-01T12:00:00Z", now)).toBe("1 day ago");
    expect(ago("not a time", now)).toBe("not a time");
  });
});
