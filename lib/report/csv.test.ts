import { describe, expect, it } from "vitest";
import { parseCsv, toCsv } from "./csv";

describe("toCsv / parseCsv", () => {
  it("round-trips awkward text and full-precision numbers", () => {
    const rows = [
      { label: 'Patient "A", abdomen', ml: 1234.5678901234, note: "two\nlines", flag: true },
      { label: "plain", ml: 0.1 + 0.2, note: null, flag: false },
    ];
    const csv = toCsv(["label", "ml", "note", "flag"], rows);
    expect(csv.split("\r\n")[0]).toBe("label,ml,note,flag");
    const back = parseCsv(csv);
    expect(back).toEqual([
      { label: 'Patient "A", abdomen', ml: "1234.5678901234", note: "two\nlines", flag: "true" },
      { label: "plain", ml: String(0.1 + 0.2), note: "", flag: "false" },
    ]);
    expect(Number(back[1].ml)).toBe(0.1 + 0.2);
  });

  it("writes empty fields for missing values and non-finite numbers", () => {
    expect(toCsv(["a", "b"], [{ a: Number.NaN }])).toBe("a,b\r\n,\r\n");
    expect(parseCsv("a,b\r\n,\r\n")).toEqual([{ a: "", b: "" }]);
  });
});
