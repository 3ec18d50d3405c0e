"use client";
// A case's annotations: versions with provenance, exports (NIfTI on the source grid, DICOM SEG for
// DICOM cases), and import of contours made elsewhere (NIfTI label map or DICOM SEG) for QA.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useRoomEvents } from "../_lib/socket";
import { useTRPC } from "../_lib/trpc";

interface Props {
  caseId: string;
  canImport: boolean;
  dicomSource: boolean;
  /** mL per voxel of the case's grid, for volumes in the list */
  voxelMl: number | null;
  /** open the brush/eraser on an annotation's newest version */
  onTouchUp?: (a: { name: string; versionId: string }) => void;
}

type Provenance = {
  format?: string;
  counts?: Record<string, number>;
  importedFrom?: string;
  warnings?: string[];
  edit?: { basedOn: number; by: string; changedVoxels: number };
};

async function uploadLabel(caseId: string, file: File): Promise<string> {
  const res = await fetch(`/api/cases/${encodeURIComponent(caseId)}/label-files/${encodeURIComponent(file.name.replace(/[^A-Za-z0-9._ ()+-]/g, "_"))}`, {
    method: "PUT",
    body: file,
  });
  const body = (await res.json().catch(() => ({}))) as { key?: string; error?: string };
  if (!res.ok || !body.key) throw new Error(body.error ?? `Upload failed (${res.status})`);
  return body.key;
}

export function AnnotationsPanel({ caseId, canImport, dicomSource, voxelMl, onTouchUp }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.annotation.list.queryOptions({ caseId }));
  const importLabel = useMutation(trpc.annotation.importLabel.mutationOptions());
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [liverValue, setLiverValue] = useState("");
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null);

  useRoomEvents("case", caseId, {
    // a review accepted by anyone on the case adds a consensus version
    round: (e) => e.stage === "accepted" && void qc.invalidateQueries({ queryKey: trpc.annotation.list.queryKey({ caseId }) }),
    job: (e) => {
      if (e.job.kind !== "import-label") return;
      if (e.job.status === "FAILED") setStatus({ text: e.job.error ?? "Import failed", error: true });
      else if (e.job.status === "SUCCEEDED") {
        setStatus({ text: "Imported." });
        void qc.invalidateQueries({ queryKey: trpc.annotation.list.queryKey({ caseId }) });
      } else setStatus({ text: `Importing: ${e.job.stage} ${Math.round(e.job.percent)}%` });
    },
  });

  const submit = async () => {
    if (!file) return;
    try {
      setStatus({ text: "Uploading…" });
      const key = await uploadLabel(caseId, file);
      await importLabel.mutateAsync({ caseId, key, name: name.trim(), sourceValue: liverValue ? Number(liverValue) : null });
      setStatus({ text: "Queued for import…" });
      setFile(null);
    } catch (e) {
      setStatus({ text: (e as Error).message, error: true });
    }
  };

  return (
    <section aria-label="annotations">
      <h2>Annotations</h2>
      {list.data?.length === 0 && <p className="muted">None yet.</p>}
      <ul className="plain">
        {list.data?.map((a) => {
          const v = a.versions[0];
          const p = (v?.provenance ?? {}) as Provenance;
          const liver = p.counts?.["1"];
          const tumour = p.counts?.["2"];
          return (
            <li key={a.id} data-testid="annotation">
              <strong>{a.name}</strong>{" "}
              <span className="muted small">
                {a.source.toLowerCase()} · v{v?.version ?? 0}
                {p.format ? ` · from ${p.format}` : ""}
              </span>
              {voxelMl !== null && (liver !== undefined || tumour !== undefined) && (
                <div className="small">
                  {liver !== undefined && <>liver {(liver * voxelMl).toFixed(0)} mL</>}
                  {tumour !== undefined && <> · tumour {(tumour * voxelMl).toFixed(1)} mL</>}
                </div>
              )}
              {p.edit && (
                <div className="small muted">
                  touched up by {p.edit.by}: {p.edit.changedVoxels} voxel{p.edit.changedVoxels === 1 ? "" : "s"} changed from v{p.edit.basedOn}
                </div>
              )}
              {p.warnings?.map((w) => (
                <div key={w} className="small muted">
                  ⚠ {w}
                </div>
              ))}
              {v && (
                <div className="small">
                  Export:{" "}
                  <a href={`/api/annotations/versions/${v.id}/export.nii.gz`} download>
                    NIfTI
                  </a>
                  {dicomSource && (
                    <>
                      {" · "}
                      <a href={`/api/annotations/versions/${v.id}/export.seg.dcm`} download>
                        DICOM SEG
                      </a>
                    </>
                  )}
                  {onTouchUp && (
                    <>
                      {" · "}
                      <button className="link" onClick={() => onTouchUp({ name: a.name, versionId: v.id })}>
                        Touch up
                      </button>
                    </>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {canImport && (
        <div className="import-label">
          <h2>Import contours</h2>
          <input type="file" aria-label="Label file" accept=".nii,.nii.gz,.gz,.dcm,application/dicom" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Reader 2 contours" maxLength={120} />
          </label>
          <label>
            Liver value in the file (if not 1)
            <input value={liverValue} onChange={(e) => setLiverValue(e.target.value.replace(/\D/g, ""))} placeholder="e.g. 5 for TotalSegmentator" inputMode="numeric" />
          </label>
          <button type="button" onClick={submit} disabled={!file || !name.trim() || importLabel.isPending}>
            Import
          </button>
        </div>
      )}
      {status && (
        <p className={status.error ? "error small" : "small muted"} role={status.error ? "alert" : undefined}>
          {status.text}
        </p>
      )}
    </section>
  );
}
