// A label map made elsewhere (a NIfTI label map or a DICOM SEG), brought onto a case's canonical
// grid for QA. Values must mean what ours mean (0 background, 1 liver, 2 tumour) unless the caller
// names the value that is the liver (TotalSegmentator's 5, say); a label that does not overlap the
// case's CT at all is refused rather than imported as an empty mask.
import { isDicomPart10 } from "./dicom-pixels";
import { decodeDicomSeg } from "./dicom-seg";
import { assertLabelValues, MASK_LABEL_VALUES } from "./label-export";
import { binarise, labelCounts, transferLabelToGrid } from "./labels";
import { readNifti } from "./nifti-read";
import { ImagingError, type Grid, type Volume } from "./types";

export interface ImportedLabel {
  format: "nifti" | "dicom-seg";
  mask: Volume<Uint8Array>;
  /** voxels per label value on the target grid */
  counts: Record<number, number>;
  /** true when the label's voxels fall exactly on the target's (no resampling) */
  aligned: boolean;
  warnings: string[];
}


function countsOf(mask: Volume<Uint8Array>): Record<number, number> {
  return Object.fromEntries([...labelCounts(mask.data)].filter(([v]) => v !== 0));
}

export function importLabel(bytes: Uint8Array, target: Grid & { spacing?: Volume["spacing"] }, opts: { sourceValue?: number } = {}): ImportedLabel {
  const warnings: string[] = [];
  if (isDicomPart10(bytes)) {
    const seg = decodeDicomSeg(bytes, target);
    const counts = countsOf(seg.volume);
    if (Object.keys(counts).length === 0) {
      throw new ImagingError("GRID_MISMATCH", "The DICOM SEG has no segment voxels inside this case's CT. Check that it was made on this series.");
    }
    return { format: "dicom-seg", mask: seg.volume, counts, aligned: seg.aligned, warnings: [...warnings, ...seg.warnings] };
  }
  const label = readNifti(bytes);
  let mask: Volume<Uint8Array>;
  if (opts.sourceValue !== undefined) {
    mask = binarise(label, opts.sourceValue, 1);
  } else {
    const data = label.data instanceof Uint8Array ? label.data : Uint8Array.from(label.data, (v) => (Number.isInteger(v) && v >= 0 && v <= 255 ? v : 255));
    assertLabelValues(data, MASK_LABEL_VALUES);
    mask = { ...label, data };
  }
  const moved = transferLabelToGrid(mask, target);
  if (moved.insideFraction === 0) {
    throw new ImagingError(
      "GRID_MISMATCH",
      "The label map does not overlap this case's CT at all (its world coordinates lie elsewhere). Check that it belongs to this case and that its header geometry was not changed.",
    );
  }
  if (moved.insideFraction < 0.99) {
    warnings.push(`Only ${(moved.insideFraction * 100).toFixed(0)}% of the CT lies inside the label map's grid; the rest is treated as background.`);
  }
  const counts = countsOf(moved);
  if (Object.keys(counts).length === 0) warnings.push("The label map is empty on this case's grid.");
  return { format: "nifti", mask: { dims: moved.dims, spacing: moved.spacing, affine: moved.affine, data: moved.data }, counts, aligned: moved.aligned, warnings };
}
