// NumPy .npy (format 1.0-3.0, little-endian float32/float64/int/uint, C order): the reference
// tensors the training pipeline exports for the conformance test.
import { ModelError } from "./errors";

export interface NpyArray {
  shape: number[];
  dtype: string;
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
}

const CTORS = {
  "<f4": Float32Array,
  "<f8": Float64Array,
  "|i1": Int8Array,
  "|u1": Uint8Array,
  "<i2": Int16Array,
  "<u2": Uint16Array,
  "<i4": Int32Array,
  "<u4": Uint32Array,
} as const;

export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== "\x93NUMPY") throw new ModelError("BAD_NPY", "not a .npy file (bad magic).");
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new ModelError("BAD_NPY", `.npy header is unreadable: ${header.trim()}`);
  if (fortran === "True") throw new ModelError("BAD_NPY", ".npy in Fortran order is not supported.");
  const Ctor = CTORS[descr as keyof typeof CTORS];
  if (!Ctor) throw new ModelError("BAD_NPY", `.npy dtype ${descr} is not supported.`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < count * Ctor.BYTES_PER_ELEMENT) throw new ModelError("BAD_NPY", `.npy is truncated: ${count} values of ${descr} declared.`);
  // copy: the payload offset is rarely aligned to the element size
  const data = new Ctor(count);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + count * Ctor.BYTES_PER_ELEMENT));
  return { shape, dtype: descr, data };
}
