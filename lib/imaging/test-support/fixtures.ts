// Test support only (uses node:fs): the real CT fixtures copied into the repo at data/ct (see
// its README for sources and licences), and the JPEG 2000 decoder the workers use.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openjpegDecoder } from "../../../workers/codecs/openjpeg";
import type { DicomFile } from "../dicom-series";

/** patient B is JPEG 2000 lossless: the same OpenJPEG decoder the ingest worker injects */
export const decodeFrame = await openjpegDecoder();

const here = path.dirname(fileURLToPath(import.meta.url));
export const CT_FIXTURES = path.resolve(here, "../../../data/ct");

export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(CT_FIXTURES, rel)));
}

/** patient B's 20 DICOM files, in directory-listing order (which is not slice order). */
export function patientBDicom(): DicomFile[] {
  const dir = path.join(CT_FIXTURES, "patient-b/dicom");
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
}
