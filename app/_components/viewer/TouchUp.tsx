"use client";
// Brush and eraser on a saved label map (niivue's drawing layer): the map is loaded as the
// drawing, the reader paints liver or tumour or erases, and Save hands the edited voxels (the
// CT's canonical grid, x fastest) to the page, which stores them as the annotation's next version.
import type { Niivue } from "@niivue/niivue";
import { useEffect, useState } from "react";
import { labelColormap } from "./presets";
import styles from "./viewer.module.css";

export interface TouchUpRequest {
  name: string;
  /** the label map to start from */
  url: string;
  /** stores the edit; resolves to a message for the reader */
  onSave: (labels: Uint8Array) => Promise<string>;
  onClose: () => void;
}

const PENS = [
  { value: 1, label: "Liver" },
  { value: 2, label: "Tumour" },
  { value: 0, label: "Eraser" },
];

export function TouchUp({ nv, request, reduced }: { nv: Niivue; request: TouchUpRequest; reduced: boolean }) {
  const [pen, setPen] = useState(2);
  const [size, setSize] = useState(3);
  const [state, setState] = useState<{ kind: "loading" | "ready" | "saving" } | { kind: "error" | "saved"; message: string }>({ kind: "loading" });

  useEffect(() => {
    if (reduced) return;
    let gone = false;
    nv.addColormap("uair-draw", labelColormap());
    nv.setDrawColormap("uair-draw");
    void nv.loadDrawingFromUrl(request.url).then(
      (ok) => {
        if (gone) return;
        if (!ok) return setState({ kind: "error", message: "The label map does not fit this CT's grid." });
        nv.setDrawingEnabled(true);
        setState({ kind: "ready" });
      },
      (e: Error) => !gone && setState({ kind: "error", message: e.message }),
    );
    return () => {
      gone = true;
      nv.setDrawingEnabled(false);
      nv.closeDrawing();
    };
  }, [nv, request.url, reduced]);

  useEffect(() => {
    nv.setPenValue(pen, false);
    nv.opts.penSize = size;
  }, [nv, pen, size]);

  const save = async () => {
    const bitmap = nv.drawBitmap;
    if (!bitmap) return;
    setState({ kind: "saving" });
    try {
      setState({ kind: "saved", message: await request.onSave(bitmap.slice()) });
    } catch (e) {
      setState({ kind: "error", message: (e as Error).message });
    }
  };

  return (
    <div className={styles.group} data-testid="touch-up" aria-label="touch-up">
      <div className={styles.groupTitle}>Touch up: {request.name}</div>
      {reduced ? (
        <p className={styles.dim}>Edits need the full-resolution CT: use “Load full resolution” first.</p>
      ) : (
        <>
          <div role="radiogroup" aria-label="Pen">
            {PENS.map((p) => (
              <button key={p.value} type="button" role="radio" aria-checked={pen === p.value} onClick={() => setPen(p.value)} disabled={state.kind === "loading"}>
                {p.label}
              </button>
            ))}
          </div>
          <label className={styles.dim}>
            Size <input type="range" min={1} max={15} value={size} onChange={(e) => setSize(Number(e.target.value))} aria-label="Pen size" /> {size}
          </label>
          <div>
            <button type="button" onClick={() => nv.drawUndo()} disabled={state.kind !== "ready" && state.kind !== "saved" && state.kind !== "error"}>
              Undo
            </button>
            <button type="button" onClick={save} disabled={state.kind === "loading" || state.kind === "saving"}>
              Save as new version
            </button>
            <button type="button" className="ghost" onClick={request.onClose}>
              Close
            </button>
          </div>
          <p className={styles.dim}>Drag on a 2-D view to paint; the crosshair does not move while drawing.</p>
        </>
      )}
      {state.kind === "loading" && !reduced && <p className={styles.dim}>loading the label map…</p>}
      {(state.kind === "saved" || state.kind === "error") && <p className={state.kind === "error" ? styles.error : styles.dim}>{state.message}</p>}
    </div>
  );
}
