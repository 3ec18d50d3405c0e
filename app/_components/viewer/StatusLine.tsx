"use client";
// One-line readout of the crosshair: RAS world position (mm), voxel, HU and labels under it.
import { useSyncExternalStore } from "react";
import type { CursorInfo, Store } from "./store";
import styles from "./viewer.module.css";

const mm = (v: number) => v.toFixed(1);

export function StatusLine({ store, windowText }: { store: Store<CursorInfo | null>; windowText: string }) {
  const c = useSyncExternalStore(store.subscribe, store.get, () => null);
  return (
    <div className={styles.status} data-testid="viewer-status" aria-live="off">
      {c ? (
        <>
          <span title="Crosshair in world millimetres, RAS+ (x grows to the patient's right, y anterior, z superior)">
            R/A/S <b data-testid="viewer-mm">{`${mm(c.mm[0])}, ${mm(c.mm[1])}, ${mm(c.mm[2])} mm`}</b>
          </span>
          <span title="Voxel index (RAS order) and grid size">
            voxel {c.vox.join(", ")} <span className={styles.dim}>of {c.dims.join("×")}</span>
          </span>
          <span>
            <b data-testid="viewer-hu">{c.hu === null ? "— HU" : `${Math.round(c.hu)} HU`}</b>
          </span>
          {c.labels.map((l) => (
            // name the annotation only when several shown ones could be meant
            <span key={l.annotation} className={styles.labelHit} title={l.annotation}>
              {l.label}
              {c.labels.length > 1 && <span className={styles.dim}> ({l.annotation})</span>}
            </span>
          ))}
        </>
      ) : (
        <span className={styles.dim}>Click the image to place the crosshair.</span>
      )}
      <span className={styles.statusRight}>{windowText}</span>
    </div>
  );
}
