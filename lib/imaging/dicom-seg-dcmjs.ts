// A small typed facade over the parts of dcmjs that dicom-seg.ts uses (dcmjs ships no TypeScript
// types). dcmjs is pure JavaScript (no fs, no network), so it runs in the browser as well.
//
// "Naturalized" datasets are dcmjs's JSON-like form: keys are DICOM keywords (e.g. "SOPClassUID"),
// sequences are arrays of datasets, single values are scalars, multiple values arrays, PN values
// { Alphabetic }, and binary values (PixelData) arrays of ArrayBuffers.
// @ts-ignore -- no declaration file for dcmjs; the surface used is typed below
import dcmjsModule from "dcmjs";

/** A dataset in dcmjs's naturalized form. */
export type NaturalDataset = Record<string, unknown>;

/** dcmjs's tag-keyed ("denaturalized", DICOM JSON-like) form. */
export type TagDataset = Record<string, { vr: string; Value?: unknown[] }>;

interface DicomDictLike {
  meta: TagDataset;
  dict: TagDataset;
  write(opts?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}

interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDictLike };
    DicomMetaDictionary: {
      naturalizeDataset(dataset: TagDataset): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): TagDataset;
    };
    DicomDict: new (meta: TagDataset) => DicomDictLike;
    Colors: { rgb2DICOMLAB(rgb: readonly number[]): number[]; dicomlab2RGB(lab: readonly number[]): number[] };
    /** 1-bit packing as dcmjs does it (least significant bit first): an independent check in tests */
    BitArray: { pack(pixels: ArrayLike<number>): Uint8Array; unpack(bits: ArrayBuffer | Uint8Array): Uint8Array };
  };
}

export const dcmjs = dcmjsModule as Dcmjs;

/** Parse Part-10 bytes; returns the naturalized dataset and the naturalized file meta group. */
export function readPart10(bytes: Uint8Array): { dataset: NaturalDataset; meta: NaturalDataset } {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(buffer);
  const { naturalizeDataset } = dcmjs.data.DicomMetaDictionary;
  return { dataset: naturalizeDataset(dict.dict), meta: naturalizeDataset(dict.meta) };
}

export const IMPLEMENTATION_CLASS_UID = "2.25.76750737969732546151484443959240831028";

/** Part-10 bytes (128-byte preamble, DICM, explicit VR little endian meta group, dataset). */
export function writePart10(dataset: NaturalDataset, transferSyntaxUid = "1.2.840.10008.1.2.1", implementationVersionName = "UAIR_IMAGING"): Uint8Array {
  const { denaturalizeDataset } = dcmjs.data.DicomMetaDictionary;
  const meta: NaturalDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: implementationVersionName,
    _vrMap: { FileMetaInformationVersion: "OB" },
  };
  const dict = new dcmjs.data.DicomDict(denaturalizeDataset(meta));
  dict.dict = denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
