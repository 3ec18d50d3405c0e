// The repo's CT fixtures (data/ct, see its README for licences) as canonical RAS volumes with
// their silver liver masks on the same grid: what the model scripts evaluate and benchmark on.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TOTALSEG_LIVER, binarise, loadDicomSeries, readNifti, toCanonicalCT, transferLabelToGrid } from "../lib/imaging";
import type { Volume } from "../lib/imaging";
import { openjpegDecoder } from "../workers/codecs/openjpeg";

export const CT_ROOT = path.resolve(import.meta.dirname, "../data/ct");

export interface FixtureCase {
  id: string;
  ct: Volume<Int16Array>;
  /** silver liver mask (TotalSegmentator label 5) on the CT grid; all zero for the no-liver case */
  liver: Uint8Array;
  note: string;
}

const nifti = (rel: string) => readNifti(new Uint8Array(readFileSync(path.join(CT_ROOT, rel))));

function liverOn(ct: Volume, labelRel: string): Uint8Array {
  const onGrid = transferLabelToGrid(nifti(labelRel), ct);
  return binarise(onGrid, TOTALSEG_LIVER).data;
}

export const FIXTURE_IDS = ["patient-a", "patient-b", "no-liver"] as const;

export async function loadFixture(id: string): Promise<FixtureCase> {
  switch (id) {
    case "patient-a": {
      const ct = toCanonicalCT(nifti("patient-a/ct.nii.gz"));
      return { id, ct, liver: liverOn(ct, "patient-a/totalseg-v1.nii.gz"), note: "NIfTI 3 mm, TotalSegmentator v1 liver" };
    }
    case "patient-b": {
      const dir = path.join(CT_ROOT, "patient-b/dicom");
      const files = readdirSync(dir).map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
      const ct = toCanonicalCT(loadDicomSeries(files, { decodeFrame: await openjpegDecoder() }).volume);
      return { id, ct, liver: liverOn(ct, "patient-b/totalseg-v2.nii.gz"), note: "DICOM JPEG 2000, 2 mm, TotalSegmentator v2 liver" };
    }
    case "no-liver": {
      const ct = toCanonicalCT(nifti("no-liver/ct.nii.gz"));
      return { id, ct, liver: new Uint8Array(ct.data.length), note: "DeepLesion slab without liver (negative case)" };
    }
    default:
      throw new Error(`unknown fixture "${id}" (one of ${FIXTURE_IDS.join(", ")})`);
  }
}
