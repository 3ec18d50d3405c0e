import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { expectCode } from "./test-support/expect-code";
import { unzipUpload } from "./zip";

const enc = (s: string) => new TextEncoder().encode(s);
const random = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);

describe("unzipUpload", () => {
  it("flattens folders and drops desktop junk", () => {
    const zip = zipSync({ "series/IM1.dcm": random(1000), "series/sub/IM2.dcm": random(900), "__MACOSX/series/._IM1.dcm": enc("x"), "series/.DS_Store": enc("y") });
    expect(unzipUpload(zip).map((f) => [f.name, f.bytes.length])).toEqual([
      ["IM1.dcm", 1000],
      ["IM2.dcm", 900],
    ]);
  });

  it("refuses an entry that climbs out of its folder", () => {
    const zip = zipSync({ "ok.dcm": random(10), "../../etc/cron.d/evil": enc("x") });
    expectCode(() => unzipUpload(zip), "ZIP_UNSAFE_PATH");
    expectCode(() => unzipUpload(zipSync({ "/abs/path.dcm": random(10) })), "ZIP_UNSAFE_PATH");
  });

  it("refuses a zip bomb by ratio and by total size, before inflating", () => {
    const bomb = zipSync({ "zeros.dcm": new Uint8Array(20 * 2 ** 20) }, { level: 9 });
    expect(bomb.length).toBeLessThan(2 ** 20 / 10);
    expectCode(() => unzipUpload(bomb), "ZIP_BOMB");
    const big = zipSync({ "a.dcm": random(4000) }, { level: 0 });
    expectCode(() => unzipUpload(big, { maxExpandedBytes: 3000, maxRatio: 100 }), "ZIP_BOMB");
  });

  it("says a damaged or empty zip is damaged", () => {
    const zip = zipSync({ "a.dcm": random(5000) });
    expectCode(() => unzipUpload(zip.subarray(0, zip.length - 30)), "ZIP_CORRUPT");
    expectCode(() => unzipUpload(zipSync({ "folder/": new Uint8Array(0) })), "ZIP_CORRUPT");
  });
});
