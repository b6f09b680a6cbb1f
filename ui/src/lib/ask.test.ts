import { describe, expect, it } from "vitest";
import { ask, asking } from "./ask.svelte";

describe("asking before destroying", () => {
  it("answers what the user chose, once, and closes", async () => {
    const q = { title: "Delete?", body: "", confirm: "Delete", danger: true };
    const first = ask(q);
    expect(asking.current?.title).toBe("Delete?");
    asking.current!.answer(true);
    expect(await first).toBe(true);
    expect(asking.current).toBeNull();

    const second = ask(q);
    const third = ask({ ...q, title: "Other?" }); // replaces the open one, declining it
    expect(await second).toBe(false);
    expect(asking.current?.title).toBe("Other?");
    asking.current!.answer(false);
    expect(await third).toBe(false);
  });
});
