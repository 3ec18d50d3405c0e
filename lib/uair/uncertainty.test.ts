import { describe, expect, it } from "vitest";
import { UairError } from "./errors";
import { disagreementMap } from "./uncertainty";
import { expectCoded } from "../test-support/expect-code";

const u8 = (...v: number[]) => Uint8Array.from(v);

describe("disagreementMap", () => {
  it("is 0 where the samples agree and 100 where they split evenly, per structure", () => {
    // voxel 0: all background; 1: all tumour; 2: 2 of 4 tumour (the others liver); 3: 1 of 4 liver
    const samples = [u8(0, 2, 2, 1), u8(0, 2, 2, 0), u8(0, 2, 1, 0), u8(0, 2, 1, 0)];
    expect(Array.from(disagreementMap(samples, "tumour"))).toEqual([0, 0, 100, 0]);
    expect(Array.from(disagreementMap(samples, "liver"))).toEqual([0, 0, 0, 50]);
  });

  it("refuses no samples, mixed grids and an unknown structure", () => {
    expectCoded(() => disagreementMap([], "tumour"), UairError, "EMPTY_SAMPLES");
    expectCoded(() => disagreementMap([u8(0, 1), u8(0)], "tumour"), UairError, "DIMS_MISMATCH");
    expectCoded(() => disagreementMap([u8(0)], "spleen" as never), UairError, "BAD_INPUT");
  });
});
