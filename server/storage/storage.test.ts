import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertKey, localStorage } from "./index";

describe("local storage", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "uair-store-"));
  const store = localStorage(root);

  it("round-trips bytes and reports their sha256", async () => {
    const bytes = new TextEncoder().encode("abc");
    const r = await store.put("volumes/x.nii.gz", bytes);
    expect(r).toEqual({ sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", size: 3 });
    expect(await store.get("volumes/x.nii.gz")).toEqual(bytes);
    expect(await store.exists("volumes/x.nii.gz")).toBe(true);
    await store.delete("volumes/x.nii.gz");
    expect(await store.exists("volumes/x.nii.gz")).toBe(false);
  });

  it("refuses keys that could escape its root", () => {
    for (const bad of ["../etc/passwd", "a/../../b", "/abs", "a//b", "", "a/./b", "a\\b"]) {
      expect(() => assertKey(bad), bad).toThrow("invalid storage key");
    }
    expect(() => assertKey("uploads/case1/CT.1.2.840.dcm")).not.toThrow();
  });
});
