"use client";
// One row per annotation: show/hide its label map, its opacity, and the label colour legend.
import { LABELS } from "./presets";
import styles from "./viewer.module.css";

export type OverlayAnnotation = {
  id: string;
  name: string;
  /** the loaded label map's cache key (an annotation version, or a round's mask) */
  versionId: string | null;
  version: number | null;
  /** where the label map is; default: the annotation version's mask */
  url?: string;
  /** "heat": a 0..100 % map (e.g. the samples' disagreement) drawn in a warm colour scale, not labels */
  kind?: "labels" | "heat";
};
export type OverlayState = { visible: boolean; opacity: number; status: "idle" | "loading" | "ready" | "error"; error?: string };

export const DEFAULT_OVERLAY: OverlayState = { visible: false, opacity: 0.5, status: "idle" };

type Props = {
  annotations: OverlayAnnotation[];
  state: Record<string, OverlayState>;
  outline: boolean;
  disabled: boolean;
  onToggle: (a: OverlayAnnotation, visible: boolean) => void;
  onOpacity: (a: OverlayAnnotation, opacity: number) => void;
  onOutline: (outline: boolean) => void;
};

export function OverlayList({ annotations, state, outline, disabled, onToggle, onOpacity, onOutline }: Props) {
  return (
    <div className={styles.group}>
      <div className={styles.groupTitle}>Labels</div>
      {annotations.length === 0 && <p className={styles.dim}>No annotations on this case.</p>}
      <ul className={styles.overlays}>
        {annotations.map((a) => {
          const s = state[a.id] ?? DEFAULT_OVERLAY;
          const noVersion = !a.versionId;
          return (
            <li key={a.id} data-testid="overlay-row">
              <label className={styles.check} title={noVersion ? "No saved version yet" : `version ${a.version}`}>
                <input
                  type="checkbox"
                  checked={s.visible}
                  disabled={disabled || noVersion}
                  onChange={(e) => onToggle(a, e.target.checked)}
                  aria-label={`Show ${a.name}`}
                />
                <span className={styles.overlayName}>{a.name}</span>
                {a.version !== null && <span className={styles.dim}>v{a.version}</span>}
                {s.status === "loading" && <span className={styles.dim}>loading…</span>}
              </label>
              {a.kind === "heat" && <div className={styles.dim}>yellow: samples split evenly; red: most agree; clear: all agree</div>}
              {s.status === "error" && <div className={styles.error}>{s.error}</div>}
              <div className={styles.opacityRow}>
                <input
                  className={styles.opacity}
                  type="range"
                  min={0}
                  max={1}
                  step={0.05}
                  value={s.opacity}
                  disabled={disabled || !s.visible}
                  onChange={(e) => onOpacity(a, Number(e.target.value))}
                  aria-label={`Opacity of ${a.name}`}
                  title={`Opacity ${Math.round(s.opacity * 100)}%`}
                />
                <span className={styles.dim}>{Math.round(s.opacity * 100)}%</span>
              </div>
            </li>
          );
        })}
      </ul>
      {annotations.length > 0 && (
        <>
          <div className={styles.legend}>
            {LABELS.map((l) => (
              <span key={l.value}>
                <i style={{ background: `rgb(${l.rgb.join(",")})` }} /> {l.name}
              </span>
            ))}
          </div>
          <label className={styles.check} title="Draw label borders at full strength; the opacity slider sets the fill (0 = outline only)">
            <input type="checkbox" checked={outline} disabled={disabled} onChange={(e) => onOutline(e.target.checked)} /> Outline borders
          </label>
        </>
      )}
    </div>
  );
}
