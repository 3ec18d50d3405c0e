// Test support only: a minimal DICOM Part-10 writer, so tests can build edge cases (tilted,
// duplicated, two-series, big-endian, deflated ...) in memory from real fixture pixels.
import { deflateSync } from "fflate";

export type DicomValue = string | number | number[] | Uint8Array | Int16Array | Uint16Array;

export interface DicomElement {
  /** 0xGGGGEEEE */
  tag: number;
  vr: string;
  value: DicomValue;
}

export const TS_IMPLICIT_LE = "1.2.840.10008.1.2";
export const TS_EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const TS_DEFLATED_LE = "1.2.840.10008.1.2.1.99";
export const TS_EXPLICIT_BE = "1.2.840.10008.1.2.2";

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"]);
const STRING_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"]);

/** A DS value of at most 16 characters. */
export function ds(v: number): string {
  let s = String(v);
  for (let p = 15; s.length > 16 && p > 1; p--) s = String(Number(v.toPrecision(p)));
  return s;
}

function valueBytes(el: DicomElement, le: boolean): Uint8Array {
  const { vr, value } = el;
  if (STRING_VRS.has(vr)) {
    let s = String(value);
    if (s.length % 2) s += vr === "UI" ? "\0" : " ";
    return new TextEncoder().encode(s);
  }
  if (value instanceof Uint8Array) {
    if (value.length % 2) {
      const padded = new Uint8Array(value.length + 1);
      padded.set(value);
      return padded;
    }
    return value;
  }
  if (value instanceof Int16Array || value instanceof Uint16Array) {
    if (le && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
      return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    }
    const out = new Uint8Array(value.length * 2);
    const v = new DataView(out.buffer);
    for (let i = 0; i < value.length; i++) {
      if (value instanceof Int16Array) v.setInt16(i * 2, value[i], le);
      else v.setUint16(i * 2, value[i], le);
    }
    return out;
  }
  const nums = typeof value === "number" ? [value] : (value as number[]);
  const size = vr === "US" || vr === "SS" ? 2 : vr === "FD" ? 8 : 4;
  const out = new Uint8Array(nums.length * size);
  const v = new DataView(out.buffer);
  nums.forEach((n, i) => {
    if (vr === "US") v.setUint16(i * 2, n, le);
    else if (vr === "SS") v.setInt16(i * 2, n, le);
    else if (vr === "UL") v.setUint32(i * 4, n, le);
    else if (vr === "SL") v.setInt32(i * 4, n, le);
    else if (vr === "FL") v.setFloat32(i * 4, n, le);
    else if (vr === "FD") v.setFloat64(i * 8, n, le);
    else throw new Error(`test writer: unsupported VR ${vr}`);
  });
  return out;
}

function encodeElements(elements: DicomElement[], explicit: boolean, le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of [...elements].sort((a, b) => a.tag - b.tag)) {
    const body = valueBytes(el, le);
    const long = LONG_VRS.has(el.vr);
    const head = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
    const v = new DataView(head.buffer);
    v.setUint16(0, el.tag >>> 16, le);
    v.setUint16(2, el.tag & 0xffff, le);
    if (!explicit) {
      v.setUint32(4, body.length, le);
    } else {
      head[4] = el.vr.charCodeAt(0);
      head[5] = el.vr.charCodeAt(1);
      if (long) v.setUint32(8, body.length, le);
      else v.setUint16(6, body.length, le);
    }
    parts.push(head, body);
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A Part-10 file: preamble, DICM, explicit-LE meta group, then the dataset in `transferSyntax`. */
export function writeDicom(elements: DicomElement[], transferSyntax = TS_EXPLICIT_LE): Uint8Array {
  const sopClass = elements.find((e) => e.tag === 0x00080016)?.value ?? "1.2.840.10008.5.1.4.1.1.2";
  const sopInstance = elements.find((e) => e.tag === 0x00080018)?.value ?? "1.2.3.4";
  const metaBody = encodeElements(
    [
      { tag: 0x00020001, vr: "OB", value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: "UI", value: String(sopClass) },
      { tag: 0x00020003, vr: "UI", value: String(sopInstance) },
      { tag: 0x00020010, vr: "UI", value: transferSyntax },
      { tag: 0x00020012, vr: "UI", value: "1.2.826.0.1.3680043.9.7433.1" },
    ],
    true,
    true,
  );
  const groupLength = encodeElements([{ tag: 0x00020000, vr: "UL", value: metaBody.length }], true, true);
  const explicit = transferSyntax !== TS_IMPLICIT_LE;
  const le = transferSyntax !== TS_EXPLICIT_BE;
  let body = encodeElements(elements, explicit, le);
  if (transferSyntax === TS_DEFLATED_LE) body = deflateSync(body);
  const out = new Uint8Array(132 + groupLength.length + metaBody.length + body.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(groupLength, 132);
  out.set(metaBody, 132 + groupLength.length);
  out.set(body, 132 + groupLength.length + metaBody.length);
  return out;
}

export interface CtSliceSpec {
  rows: number;
  columns: number;
  /** stored values; Uint16Array for PixelRepresentation 0, Int16Array for 1 */
  pixels: Int16Array | Uint16Array;
  ipp: number[];
  iop?: number[];
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  slope?: number;
  intercept?: number;
  modality?: string;
  seriesUid?: string;
  studyUid?: string;
  sopUid?: string;
  frameOfReferenceUid?: string;
  seriesDescription?: string;
  instanceNumber?: number;
  imageType?: string;
  omitPixelData?: boolean;
  bitsStored?: number;
}

export function ctSliceElements(s: CtSliceSpec): DicomElement[] {
  const signed = s.pixels instanceof Int16Array;
  const els: DicomElement[] = [
    { tag: 0x00080008, vr: "CS", value: s.imageType ?? "ORIGINAL\\PRIMARY\\AXIAL" },
    { tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.2" },
    { tag: 0x00080018, vr: "UI", value: s.sopUid ?? "1.2.826.0.1.3680043.9.7433.2.1" },
    { tag: 0x00080060, vr: "CS", value: s.modality ?? "CT" },
    { tag: 0x0008103e, vr: "LO", value: s.seriesDescription ?? "synthetic" },
    { tag: 0x00180050, vr: "DS", value: ds(s.sliceThickness ?? 1) },
    { tag: 0x0020000d, vr: "UI", value: s.studyUid ?? "1.2.826.0.1.3680043.9.7433.3" },
    { tag: 0x0020000e, vr: "UI", value: s.seriesUid ?? "1.2.826.0.1.3680043.9.7433.4" },
    { tag: 0x00200013, vr: "IS", value: String(s.instanceNumber ?? 1) },
    { tag: 0x00200032, vr: "DS", value: s.ipp.map(ds).join("\\") },
    { tag: 0x00200037, vr: "DS", value: (s.iop ?? [1, 0, 0, 0, 1, 0]).map(ds).join("\\") },
    { tag: 0x00200052, vr: "UI", value: s.frameOfReferenceUid ?? "1.2.826.0.1.3680043.9.7433.5" },
    { tag: 0x00280002, vr: "US", value: 1 },
    { tag: 0x00280004, vr: "CS", value: "MONOCHROME2" },
    { tag: 0x00280010, vr: "US", value: s.rows },
    { tag: 0x00280011, vr: "US", value: s.columns },
    { tag: 0x00280030, vr: "DS", value: (s.pixelSpacing ?? [1, 1]).map(ds).join("\\") },
    { tag: 0x00280100, vr: "US", value: 16 },
    { tag: 0x00280101, vr: "US", value: s.bitsStored ?? 16 },
    { tag: 0x00280102, vr: "US", value: (s.bitsStored ?? 16) - 1 },
    { tag: 0x00280103, vr: "US", value: signed ? 1 : 0 },
    { tag: 0x00281052, vr: "DS", value: ds(s.intercept ?? 0) },
    { tag: 0x00281053, vr: "DS", value: ds(s.slope ?? 1) },
  ];
  if (!s.omitPixelData) els.push({ tag: 0x7fe00010, vr: "OW", value: s.pixels });
  return els;
}

export function writeCtSlice(s: CtSliceSpec, transferSyntax = TS_EXPLICIT_LE): Uint8Array {
  return writeDicom(ctSliceElements(s), transferSyntax);
}
