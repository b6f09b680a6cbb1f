import { describe, expect, it } from "vitest";
import { createApi, isIpcError, localImages, toBase64 } from "./api";

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

describe("images in the window", () => {
  it("loads the workspace's images from the app's scheme and nothing else", () => {
    const sha = "ab".repeat(32);
    expect(localImages(`<p><img src="asset:${sha}" alt="x"></p>`)).toBe(
      `<p><img src="pressroom-asset://localhost/${sha}" alt="x"></p>`,
    );
    const other = '<img src="https://example.com/a.png">';
    expect(localImages(other)).toBe(other);
  });

  it("encodes bytes as base64 in chunks, large ones included", () => {
    expect(toBase64(new Uint8Array([0, 1, 2, 253, 254, 255]))).toBe("AAEC/f7/");
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    const back = Uint8Array.from(atob(toBase64(big)), (c) => c.charCodeAt(0));
    expect(back).toEqual(big);
  });
});
