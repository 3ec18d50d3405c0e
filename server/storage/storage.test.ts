// One contract, two back ends: local files and an S3-compatible server (s3rver, in-process).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertKey, localStorage, TooLargeError, type Storage } from "./index";
import { s3Storage } from "./s3";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "uair-store-"));
let s3server: S3rver;
let s3: Storage;

beforeAll(async () => {
  s3server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: tmp(), configureBuckets: [{ name: "uair", configs: [] }] });
  const { port } = await s3server.run();
  s3 = s3Storage({ endpoint: `http://127.0.0.1:${port}`, bucket: "uair", region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", prefix: "test/" });
});
afterAll(() => s3server?.close());

async function* chunks(total: number, size: number) {
  for (let o = 0; o < total; o += size) yield new Uint8Array(Math.min(size, total - o)).fill(o % 251);
}

const backends: [string, () => Storage][] = [
  ["local", () => localStorage(tmp())],
  ["s3", () => s3],
];

describe.each(backends)("%s storage", (_, make) => {
  it("round-trips bytes and reports their sha256", async () => {
    const store = make();
    const bytes = new TextEncoder().encode("abc");
    expect(await store.put("volumes/x.nii.gz", bytes)).toEqual({ sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", size: 3 });
    expect(await store.get("volumes/x.nii.gz")).toEqual(bytes);
    expect(await store.exists("volumes/x.nii.gz")).toBe(true);
    expect(await store.size("volumes/x.nii.gz")).toBe(3);
    await store.delete("volumes/x.nii.gz");
    expect(await store.exists("volumes/x.nii.gz")).toBe(false);
  });

  it("streams large uploads (multipart on S3), lists and deletes by prefix", async () => {
    const store = make();
    const total = 40 * 2 ** 20 + 123;
    const r = await store.putStream("uploads/c1/big.dcm", chunks(total, 1 << 20), 64 * 2 ** 20);
    expect(r.size).toBe(total);
    await store.put("uploads/c1/small.dcm", new Uint8Array(5));
    expect(await store.list("uploads/c1/")).toEqual(["uploads/c1/big.dcm", "uploads/c1/small.dcm"]);
    expect(await store.usage("uploads/c1/")).toBe(total + 5);
    const back = await store.get("uploads/c1/big.dcm");
    expect(back.length).toBe(total);
    expect(back[2 ** 20 * 3]).toBe((2 ** 20 * 3) % 251);
    await store.delete("uploads/c1");
    expect(await store.list("uploads/c1/")).toEqual([]);
  }, 60_000);

  it("a stream past its limit fails with TooLargeError and stores nothing", async () => {
    const store = make();
    await expect(store.putStream("uploads/c2/x.dcm", chunks(20 * 2 ** 20, 1 << 20), 18 * 2 ** 20)).rejects.toBeInstanceOf(TooLargeError);
    expect(await store.exists("uploads/c2/x.dcm")).toBe(false);
  }, 60_000);
});

describe("storage keys", () => {
  it("refuses keys that could escape the store", () => {
    for (const bad of ["../etc/passwd", "a/../../b", "/abs", "a//b", "", "a/./b", "a\\b"]) {
      expect(() => assertKey(bad), bad).toThrow("invalid storage key");
    }
    expect(() => assertKey("uploads/case1/CT.1.2.840.dcm")).not.toThrow();
  });
});
