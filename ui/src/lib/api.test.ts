import { describe, expect, it } from "vitest";
import { createApi, isIpcError } from "./api";

describe("createApi", () => {
  it("passes command names and arguments through unchanged", async () => {
    const calls: [string, unknown][] = [];
    const api = createApi(async <T>(cmd: string, args?: Record<string, unknown>) => {
      calls.push([cmd, args]);
      return [] as T;
    });
    await api.listDocuments();
    await api.getDocument("hello");
    await api.searchDocuments("garden");
    expect(calls).toEqual([
      ["list_documents", undefined],
      ["get_document", { slug: "hello" }],
      ["search_documents", { query: "garden" }],
    ]);
  });

  it("keeps typed errors from the shell", async () => {
    const api = createApi(async () => {
      throw { kind: "not_found", message: "no document with the slug \"x\"" };
    });
    await expect(api.getDocument("x")).rejects.toEqual({
      kind: "not_found",
      message: "no document with the slug \"x\"",
    });
  });

  it("turns any other rejection into an ipc error", async () => {
    const api = createApi(async () => {
      throw "window closed";
    });
    const err = await api.listDocuments().catch((e: unknown) => e);
    expect(isIpcError(err)).toBe(true);
    expect(err).toEqual({ kind: "ipc", message: "window closed" });
  });
});
