import zlib from "node:zlib";
import { gunzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { gzipParts } from "./gzip-chunks";

describe("gzipParts", () => {
  it("is one valid gzip stream of the parts in order, for zlib and fflate alike", () => {
    const a = Uint8Array.from({ length: 9 * 2 ** 20 + 17 }, (_, i) => (i * 7) % 251);
    const b = new TextEncoder().encode("header-ish bytes");
    const gz = gzipParts([b, a, new Uint8Array(0)]);
    const expected = new Uint8Array(b.length + a.length);
    expected.set(b);
    expected.set(a, b.length);
    expect(Buffer.compare(zlib.gunzipSync(gz), expected)).toBe(0);
    expect(Buffer.compare(Buffer.from(gunzipSync(gz)), Buffer.from(expected))).toBe(0);
    expect(gz.length).toBeLessThan(expected.length / 5);
  });
});
