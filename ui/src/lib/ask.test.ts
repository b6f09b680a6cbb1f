import { describe, expect, it } from "vitest";
import { ask, asking, choose } from "./ask.svelte";

describe("asking before destroying", () => {
  it("answers what the user chose, once, and closes", async () => {
    const q = { title: "Delete?", body: "", confirm: "Delete", danger: true };
    const first = ask(q);
    expect(asking.current?.title).toBe("Delete?");
    asking.current!.answer("go");
    expect(await first).toBe(true);
    expect(asking.current).toBeNull();

    const second = ask(q);
    const third = ask({ ...q, title: "Other?" }); // replaces the open one, declining it
    expect(await second).toBe(false);
    expect(asking.current?.title).toBe("Other?");
    asking.current!.answer(null);
    expect(await third).toBe(false);
  });

  it("says which of several ways the user took", async () => {
    const chosen = choose({ title: "Delete?", body: "", actions: [{ id: "trash", label: "Trash" }, { id: "down", label: "Unpublish", danger: true }] });
    asking.current!.answer("down");
    expect(await chosen).toBe("down");
  });
});
