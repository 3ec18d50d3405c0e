// Exports of an annotation version: a NIfTI label map on the exact grid of the uploaded source
// volume, and a DICOM SEG for DICOM-sourced cases that references the source series' instances.
import { encodeDicomSeg, type SegAlgorithmType } from "../lib/imaging/dicom-seg";
import { exportLabelNifti } from "../lib/imaging/label-export";
import { readNifti } from "../lib/imaging/nifti-read";
import type { Vec3, Volume } from "../lib/imaging/types";
import type { Db } from "./db/client";
import type { Storage } from "./storage";

export class ExportError extends Error {}

interface VolumeMeta {
  sourceAffine: number[];
  sourceDims: Vec3;
  dicom?: { studyInstanceUid: string; seriesInstanceUid: string; frameOfReferenceUid: string; sopInstanceUids: string[]; sliceThickness: number | null };
}

const SOURCE_ALGORITHM: Record<string, SegAlgorithmType> = { MANUAL: "MANUAL", IMPORTED: "MANUAL", MODEL: "AUTOMATIC", CONSENSUS: "SEMIAUTOMATIC" };

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60) || "case";

export async function exportAnnotation(db: Db, storage: Storage, versionId: string, format: "nifti" | "seg") {
  const version = await db.annotationVersion.findUniqueOrThrow({
    where: { id: versionId },
    include: { annotation: { include: { case: { include: { volume: true } } } } },
  });
  const { annotation } = version;
  const volume = annotation.case.volume;
  if (!volume) throw new ExportError("The case has no CT volume");
  const meta = volume.metadata as unknown as VolumeMeta;
  const mask = readNifti(await storage.get(version.maskKey)) as Volume<Uint8Array>;
  const fileBase = `${safe(annotation.case.label)}-${safe(annotation.name)}-v${version.version}`;
  if (format === "nifti") {
    const bytes = exportLabelNifti(mask, {
      source: { dims: meta.sourceDims, affine: meta.sourceAffine },
      description: `UAIR ${annotation.name} v${version.version}`,
    });
    return { bytes, fileName: `${fileBase}.nii.gz`, contentType: "application/gzip" };
  }
  if (volume.sourceFormat !== "dicom" || !meta.dicom) throw new ExportError("DICOM SEG export needs a case imported from DICOM; use the NIfTI export");
  const seg = encodeDicomSeg(
    mask,
    { grid: { dims: meta.sourceDims, affine: meta.sourceAffine }, ...meta.dicom },
    {
      algorithmType: SOURCE_ALGORITHM[annotation.source] ?? "MANUAL",
      algorithmName: annotation.source === "MANUAL" || annotation.source === "IMPORTED" ? undefined : "UAIR",
      seriesDescription: `${annotation.name} v${version.version}`.slice(0, 64),
      contentLabel: "UAIR_SEG",
    },
  );
  return { bytes: seg.bytes, fileName: `${fileBase}.seg.dcm`, contentType: "application/dicom", warnings: seg.warnings };
}
