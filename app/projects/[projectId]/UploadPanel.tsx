"use client";
// New case from a drop or a pick: one .nii/.nii.gz, a DICOM series (files, a folder or a .zip).
// Files go up one PUT each with real transfer progress; the worker's ingest progress follows in
// the case list through socket.io.
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type DragEvent } from "react";
import { ProgressBar } from "../../_components/Status";
import { useTRPC } from "../../_lib/trpc";
import { filesFromDrop, suggestLabel, type PickedFile } from "./upload-files";

type Phase = { kind: "idle" } | { kind: "sending"; sent: number; total: number } | { kind: "done" } | { kind: "error"; message: string };

function putFile(caseId: string, f: PickedFile, onProgress: (loaded: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/cases/${encodeURIComponent(caseId)}/files/${encodeURIComponent(f.name)}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status === 200) return resolve();
      let message = `Upload failed (${xhr.status})`;
      try {
        message = (JSON.parse(xhr.responseText) as { error?: string }).error ?? message;
      } catch {
        /* not JSON */
      }
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error("The connection dropped during the upload"));
    xhr.send(f.file);
  });
}

export function UploadPanel({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const createCase = useMutation(trpc.case.create.mutationOptions());
  const startIngest = useMutation(trpc.case.startIngest.mutationOptions());
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [label, setLabel] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [over, setOver] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const choose = (picked: PickedFile[]) => {
    setFiles(picked);
    setLabel((l) => l || suggestLabel(picked));
    setPhase({ kind: "idle" });
  };
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    choose(await filesFromDrop(e.dataTransfer));
  };
  const total = files.reduce((a, f) => a + f.file.size, 0);

  const upload = async () => {
    try {
      const { caseId } = await createCase.mutateAsync({ projectId, label });
      let done = 0;
      setPhase({ kind: "sending", sent: 0, total });
      for (const f of files) {
        await putFile(caseId, f, (loaded) => setPhase({ kind: "sending", sent: done + loaded, total }));
        done += f.file.size;
      }
      await startIngest.mutateAsync({ caseId });
      setPhase({ kind: "done" });
      setFiles([]);
      setLabel("");
    } catch (e) {
      setPhase({ kind: "error", message: (e as Error).message });
    }
  };

  const busy = phase.kind === "sending" || createCase.isPending || startIngest.isPending;
  return (
    <section className="card upload" aria-label="Add a case">
      <h2>Add a case</h2>
      <div
        className={`dropzone${over ? " over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => (e.preventDefault(), setOver(true))}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop a .nii / .nii.gz volume, DICOM files, a DICOM folder or a .zip here</p>
        <p className="small muted">
          or{" "}
          <button type="button" className="ghost" onClick={() => fileInput.current?.click()}>
            choose files
          </button>{" "}
          <button type="button" className="ghost" onClick={() => folderInput.current?.click()}>
            choose a folder
          </button>
        </p>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => choose([...(e.target.files ?? [])].map((file) => ({ name: file.name, file })))}
        />
        <input
          ref={folderInput}
          type="file"
          hidden
          // non-standard but supported by every current browser: pick a whole series folder
          webkitdirectory=""
          onChange={(e) => choose([...(e.target.files ?? [])].map((file) => ({ name: file.name, file })))}
        />
      </div>
      {files.length > 0 && (
        <div className="upload-form">
          <p className="small">
            {files.length} file{files.length === 1 ? "" : "s"}, {(total / 2 ** 20).toFixed(1)} MB
          </p>
          <label>
            Case name
            <input value={label} onChange={(e) => setLabel(e.target.value)} maxLength={200} />
          </label>
          <button type="button" onClick={upload} disabled={busy || !label.trim()}>
            Upload and import
          </button>
        </div>
      )}
      {phase.kind === "sending" && <ProgressBar percent={(100 * phase.sent) / Math.max(1, phase.total)} stage="uploading" />}
      {phase.kind === "done" && <p className="small muted">Uploaded; the import is running (progress in the case list).</p>}
      {phase.kind === "error" && (
        <p className="error" role="alert">
          {phase.message}
        </p>
      )}
    </section>
  );
}
