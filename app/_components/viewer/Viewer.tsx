"use client";
// CT viewer: niivue (WebGL2) in one canvas with axial / coronal / sagittal / 3-D views and a 2×2
// layout, CT window presets and free W/L, label-map overlays per annotation, and a crosshair
// readout (RAS mm + HU). Voxels live in niivue (GPU textures), never in React state.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { NiiVueLocation, Niivue, NVImage } from "@niivue/niivue";
import { fetchWithProgress, formatMB, VolumeFetchError } from "./fetchVolume";
import { DEFAULT_OVERLAY, OverlayList, type OverlayAnnotation, type OverlayState } from "./OverlayList";
import {
  cyclePreset,
  DEFAULT_PRESET,
  labelColormap,
  labelName,
  LAYOUTS,
  rangeToWindow,
  windowToRange,
  type Layout,
  type WindowLevel,
} from "./presets";
import { StatusLine } from "./StatusLine";
import { createStore, type CursorInfo, type Store } from "./store";
import { TouchUp, type TouchUpRequest } from "./TouchUp";
import { WindowControls } from "./WindowControls";
import styles from "./viewer.module.css";

type NiivueModule = typeof import("@niivue/niivue");
type Vec4 = Parameters<Niivue["setPan2Dxyzmm"]>[0];

export type ViewerVolume = { sha256: string; dims: number[]; metadata?: unknown };
export type { OverlayAnnotation };

type Phase = { kind: "loading"; stage: string; percent: number | null } | { kind: "ready" } | { kind: "error"; message: string };

/** niivue view axis codes (SLICE_TYPE): 0 axial, 1 coronal, 2 sagittal, 4 render. */
const AXIS: Record<Exclude<Layout, "mpr">, number> = { axial: 0, coronal: 1, sagittal: 2, render: 4 };
const SLICE_TYPE_TO_LAYOUT: Layout[] = ["axial", "coronal", "sagittal", "mpr", "render"];

export type { CursorInfo, Store };

interface ViewerProps {
  caseId: string;
  volume: ViewerVolume | null;
  annotations: OverlayAnnotation[];
  /** the crosshair, for pages that act on the slice in view (e.g. the review's focus slice) */
  cursor?: Store<CursorInfo | null>;
  /** show exactly this one of the overlays whose id starts with "round:" (null: none of them) */
  roundOverlay?: string | null;
  /** set to move the crosshair to a position, world mm (following a reader, opening a comment) */
  goTo?: Store<[number, number, number] | null>;
  /** brush/eraser on a saved label map */
  touchUp?: TouchUpRequest | null;
}

export function Viewer({ caseId, volume, annotations, cursor, roundOverlay, goTo, touchUp }: ViewerProps) {
  if (!volume) {
    return (
      <div className={styles.empty} data-testid="viewer-empty">
        No CT volume yet: the viewer opens once the import has finished.
      </div>
    );
  }
  return <ViewerForVolume caseId={caseId} volume={volume} annotations={annotations} cursor={cursor} roundOverlay={roundOverlay} goTo={goTo} touchUp={touchUp} />;
}

function ViewerForVolume({ caseId, volume, annotations, cursor, roundOverlay, goTo, touchUp }: ViewerProps & { volume: ViewerVolume }) {
  const [forceFull, setForceFull] = useState(false);
  const base = `/api/cases/${encodeURIComponent(caseId)}`;
  const meta = (volume.metadata ?? {}) as { previewKey?: string; displayKey?: string | null };
  // a new volume (other case or re-import) gets a fresh niivue instance
  return (
    <ViewerCore
      key={`${caseId}:${volume.sha256}:${forceFull}`}
      url={`${base}/volume.nii.gz`}
      previewUrl={meta.previewKey ? `${base}/preview.nii.gz` : null}
      displayUrl={meta.displayKey && !forceFull ? `${base}/display.nii.gz` : null}
      onLoadFull={() => setForceFull(true)}
      annotations={annotations}
      cursorStore={cursor}
      goTo={goTo}
      touchUp={touchUp}
      roundOverlay={roundOverlay}
    />
  );
}

interface CoreProps {
  url: string;
  previewUrl: string | null;
  /** half-resolution volume shown instead of the full one under software WebGL */
  displayUrl: string | null;
  onLoadFull: () => void;
  annotations: OverlayAnnotation[];
  cursorStore?: Store<CursorInfo | null>;
  goTo?: Store<[number, number, number] | null>;
  touchUp?: TouchUpRequest | null;
  roundOverlay?: string | null;
}

function ViewerCore({ url, previewUrl, displayUrl, onLoadFull, annotations, cursorStore, roundOverlay, goTo, touchUp }: CoreProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const modRef = useRef<NiivueModule | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  /** loaded label maps by annotation version id, and annotation names by niivue image id */
  const masks = useRef(new Map<string, NVImage>());
  const maskNames = useRef(new Map<string, string>());
  const pending = useRef(new Set<string>());
  /** the 2-D view last hovered or clicked in the 2×2 layout: arrow keys page through it */
  const activeAxis = useRef(0);
  const ownCursor = useMemo(() => createStore<CursorInfo | null>(null), []);
  const cursor = cursorStore ?? ownCursor;

  const [phase, setPhase] = useState<Phase>({ kind: "loading", stage: "Starting viewer", percent: null });
  const [layout, setLayout] = useState<Layout>("mpr");
  const [win, setWin] = useState<WindowLevel>({ width: DEFAULT_PRESET.width, level: DEFAULT_PRESET.level });
  const [overlays, setOverlays] = useState<Record<string, OverlayState>>({});
  const [outline, setOutline] = useState(false);
  /** the first slice is drawn (from the preview when there is one) */
  const ready = phase.kind === "ready";
  /** the full-resolution CT is in: overlays and exact HU readouts wait for it */
  const [full, setFull] = useState(false);
  /** software WebGL: the 2×2 layout leaves out the 3-D tile */
  const [software, setSoftware] = useState(false);
  /** showing the half-resolution display volume (software WebGL) instead of the full one */
  const [reduced, setReduced] = useState(false);

  // latest values for the native listeners and the loader
  const latest = useRef({ layout, win });
  useEffect(() => {
    latest.current = { layout, win };
  }, [layout, win]);

  /** Copy a window changed inside niivue (right-drag, double-click) back into React. */
  const pullWindow = useCallback(() => {
    const ct = nvRef.current?.volumes[0];
    if (!ct || ct.cal_min === undefined || ct.cal_max === undefined) return;
    const w = rangeToWindow(ct.cal_min, ct.cal_max);
    setWin((prev) => (prev.width === w.width && prev.level === w.level ? prev : w));
  }, []);

  // ── create niivue, download and show the CT ────────────────────────────────────────────
  useEffect(() => {
    const canvas = canvasRef.current!;
    const abort = new AbortController();
    abortRef.current = abort;
    const maskMap = masks.current;
    let nv: Niivue | null = null;
    let gone = false;

    const onLocation = (loc: NiiVueLocation) => {
      const ct = nv?.volumes[0];
      if (!ct) return;
      const d = ct.dimsRAS ?? [3, 0, 0, 0];
      const hu = loc.values[0]?.value;
      cursor.set({
        mm: [loc.mm[0], loc.mm[1], loc.mm[2]],
        vox: [Math.round(loc.vox[0]), Math.round(loc.vox[1]), Math.round(loc.vox[2])],
        dims: [d[1], d[2], d[3]],
        hu: typeof hu === "number" && Number.isFinite(hu) ? hu : null,
        labels: loc.values.slice(1).flatMap((v) => {
          const label = labelName(v.value);
          const annotation = maskNames.current.get(v.id);
          return label && annotation ? [{ annotation, label }] : [];
        }),
      });
      if (loc.axCorSag >= 0 && loc.axCorSag <= 2) activeAxis.current = loc.axCorSag;
    };

    (async () => {
      try {
        const mod = await import("@niivue/niivue");
        if (gone) return;
        modRef.current = mod;
        const D = mod.DRAG_MODE;
        nv = new mod.Niivue({
          backColor: [0, 0, 0, 1],
          crosshairColor: [0.3, 0.62, 1, 0.75],
          // thin crosshair whatever the voxel size: 0.3 % of the field of view (~1–2 screen px)
          crosshairWidth: 0.3,
          crosshairWidthUnit: "percent",
          show3Dcrosshair: true,
          // radiological convention: patient's right on the image left; sagittal anterior left
          isRadiologicalConvention: true,
          sagittalNoseLeft: true,
          showAllOrientationMarkers: true,
          // clicks land on voxel centres, so mm, HU and keyboard steps refer to whole voxels
          isForceMouseClickToVoxelCenters: true,
          multiplanarLayout: mod.MULTIPLANAR_TYPE.GRID,
          multiplanarShowRender: mod.SHOW_RENDER.ALWAYS,
          multiplanarPadPixels: 4,
          dragMode: D.windowing,
          mouseEventConfig: {
            leftButton: { primary: D.crosshair, withShift: D.pan, withCtrl: D.windowing },
            rightButton: D.windowing,
            centerButton: D.pan,
          },
          touchEventConfig: { singleTouch: D.crosshair, doubleTouch: D.pan },
          loadingText: "",
          logLevel: "warn",
        });
        nv.onLocationChange = (loc) => onLocation(loc as NiiVueLocation);
        nv.onIntensityChange = () => pullWindow();
        nv.onSliceTypeChange = (st) => setLayout(SLICE_TYPE_TO_LAYOUT[st] ?? "mpr");
        await nv.attachToCanvas(canvas);
        if (gone) return;
        // without a GPU (SwiftShader, llvmpipe: common on hospital VDI desktops) the ray-cast
        // 3-D tile costs seconds per redraw; keep it on demand (3-D layout) and the planes fast
        const soft = isSoftwareRenderer(nv._gl);
        if (soft) {
          nv.opts.multiplanarShowRender = mod.SHOW_RENDER.NEVER;
          setSoftware(true);
        }
        // and a 512×512×300 CT re-windows in seconds there: show half resolution unless asked
        const mainUrl = soft && displayUrl ? displayUrl : url;
        setReduced(mainUrl !== url);

        // a small block-mean preview (made at import) paints the first slices within a second or
        // two even for a 512×512×300 CT in software WebGL; the full volume replaces it when in
        const setDownload = (stage: string) => !gone && setPhase((p) => (p.kind === "ready" ? p : { kind: "loading", stage, percent: null }));
        const downloadFull = () =>
          fetchWithProgress(mainUrl, abort.signal, ({ loaded, total }) =>
            setDownload(`Downloading full resolution · ${formatMB(loaded)}${total ? ` of ${formatMB(total)}` : ""}`),
          );
        // without a preview, start at once; with one, after its first paint (no contention)
        let fullDownload = previewUrl ? null : downloadFull();
        const loadCt = async (source: string, buffer: ArrayBuffer, name: string) => {
          const [lo, hi] = windowToRange(latest.current.win);
          const img = await mod.NVImage.loadFromUrl({ url: source, buffer, name, colormap: "gray", cal_min: lo, cal_max: hi });
          // window first: addVolume uploads and renders the volume once, with these values
          img.cal_min = lo;
          img.cal_max = hi;
          return img;
        };
        let preview: NVImage | null = null;
        if (previewUrl) {
          setPhase({ kind: "loading", stage: "Downloading preview", percent: null });
          // a preview that fails is skipped: the full volume still follows
          preview = await fetchWithProgress(previewUrl, abort.signal)
            .then((buffer) => loadCt(previewUrl, buffer, "preview.nii.gz"))
            .catch(() => null);
          if (gone) return;
          fullDownload ??= downloadFull();
        }
        if (preview) {
          nv.addVolume(preview);
          nvRef.current = nv;
          applyLayout(nv, mod, latest.current.layout);
          nv.moveCrosshairInVox(0, 0, 0); // emits the first location for the status line
          nv.drawScene();
          await nextFrame();
          if (gone) return;
          setPhase({ kind: "ready" });
        }
        const buffer = await (fullDownload ?? downloadFull());
        if (gone) return;
        if (!preview) setPhase({ kind: "loading", stage: "Decoding volume", percent: null });
        await nextFrame();
        const ct = await loadCt(mainUrl, buffer, "ct.nii.gz");
        if (gone) return;
        // keep the window the reader may have set on the preview
        const [lo, hi] = windowToRange(latest.current.win);
        ct.cal_min = lo;
        ct.cal_max = hi;
        nv.addVolume(ct);
        if (preview) nv.removeVolume(preview);
        nvRef.current = nv;
        if (!preview) applyLayout(nv, mod, latest.current.layout);
        nv.moveCrosshairInVox(0, 0, 0);
        nv.drawScene();
        await nextFrame();
        if (gone) return;
        setPhase({ kind: "ready" });
        setFull(true);
      } catch (e) {
        if (gone || abort.signal.aborted) return;
        console.error("[viewer]", e);
        setPhase({ kind: "error", message: describeError(e) });
      }
    })();

    return () => {
      gone = true;
      abort.abort();
      nv?.cleanup();
      nvRef.current = null;
      maskMap.clear();
      pending.current.clear();
      // free the GPU textures now (hundreds of MB for a large CT) once the canvas is really gone,
      // not when React merely re-runs the effect on the same canvas (strict mode, fast refresh)
      const gl = nv?._gl;
      setTimeout(() => {
        if (!canvas.isConnected) gl?.getExtension("WEBGL_lose_context")?.loseContext();
      }, 0);
    };
  }, [url, previewUrl, displayUrl, cursor, pullWindow]);

  // ── push React state into niivue ───────────────────────────────────────────────────────
  useEffect(() => {
    const nv = nvRef.current;
    const mod = modRef.current;
    if (ready && nv && mod) applyLayout(nv, mod, layout);
  }, [layout, ready]);

  // a window change re-renders the whole CT texture: coalesce rapid changes to one per frame
  useEffect(() => {
    if (!ready) return;
    const frame = requestAnimationFrame(() => {
      const nv = nvRef.current;
      const ct = nv?.volumes[0];
      if (!nv || !ct) return;
      const [lo, hi] = windowToRange(win);
      // skip the echo of a window that niivue itself just set (mouse windowing)
      if (Math.abs((ct.cal_min ?? NaN) - lo) < 1 && Math.abs((ct.cal_max ?? NaN) - hi) < 1) return;
      ct.cal_min = lo;
      ct.cal_max = hi;
      nv.refreshLayers(ct, 0);
      nv.drawScene();
    });
    return () => cancelAnimationFrame(frame);
  }, [win, ready]);

  // the review panel shows one round mask at a time: switch it on, the other round masks off
  useEffect(() => {
    if (roundOverlay === undefined) return;
    setOverlays((s) => {
      const next = { ...s };
      for (const a of annotations) {
        if (!a.id.startsWith("round:")) continue;
        const visible = a.id === roundOverlay;
        if ((next[a.id]?.visible ?? false) !== visible) next[a.id] = { ...(next[a.id] ?? DEFAULT_OVERLAY), visible };
      }
      return next;
    });
  }, [roundOverlay, annotations]);

  // load label maps that are switched on but not yet here (also a new version of a shown one)
  useEffect(() => {
    const mod = modRef.current;
    const signal = abortRef.current?.signal;
    if (!full || !mod || !signal) return;
    for (const a of annotations) {
      const vid = a.versionId;
      if (!vid || !overlays[a.id]?.visible || masks.current.has(vid) || pending.current.has(vid)) continue;
      pending.current.add(vid);
      const patch = (p: Partial<OverlayState>) => setOverlays((s) => ({ ...s, [a.id]: { ...(s[a.id] ?? DEFAULT_OVERLAY), ...p } }));
      patch({ status: "loading", error: undefined });
      const maskUrl = a.url ?? `/api/masks/${encodeURIComponent(vid)}.nii.gz`;
      fetchWithProgress(maskUrl, signal)
        .then((buffer) =>
          a.kind === "heat"
            ? // a percentage map: clear below 10 %, warm colours up to an even split
              mod.NVImage.loadFromUrl({ url: maskUrl, buffer, name: `heat-${vid}.nii.gz`, opacity: DEFAULT_OVERLAY.opacity, colormap: "warm", cal_min: 10, cal_max: 100 })
            : mod.NVImage.loadFromUrl({ url: maskUrl, buffer, name: `mask-${vid}.nii.gz`, opacity: DEFAULT_OVERLAY.opacity }),
        )
        .then((img) => {
          if (signal.aborted) return;
          if (a.kind !== "heat") {
            img.setColormapLabel(labelColormap());
            // mark it a label map (NIFTI_INTENT_LABEL): niivue then draws borders in outline mode
            if (img.hdr) img.hdr.intent_code = 1002;
          }
          masks.current.set(vid, img);
          maskNames.current.set(img.id, a.name);
          patch({ status: "ready" });
        })
        .catch((e: unknown) => {
          if (signal.aborted) return;
          console.error("[viewer] mask", e);
          patch({ status: "error", visible: false, error: describeError(e, "label map") });
        })
        .finally(() => pending.current.delete(vid));
    }
  }, [annotations, overlays, full]);

  // keep niivue's overlay list equal to the shown, loaded label maps (in annotation order).
  // Every GL refresh re-renders whole volumes, so do only the one that is needed, once a frame.
  const restyle = useRef(false);
  useEffect(() => {
    const nv = nvRef.current;
    if (!full || !nv) return;
    const outlineValue = outline ? 1 : 0;
    if (nv.opts.atlasOutline !== outlineValue) {
      nv.opts.atlasOutline = outlineValue;
      restyle.current = true;
    }
    const wanted: NVImage[] = [];
    for (const a of annotations) {
      const s = overlays[a.id];
      const img = a.versionId ? masks.current.get(a.versionId) : undefined;
      if (!s?.visible || !img) continue;
      if (img.opacity !== s.opacity) {
        img.opacity = s.opacity;
        restyle.current = true;
      }
      wanted.push(img);
    }
    let restacked = false;
    for (const v of nv.volumes.slice(1))
      if (!wanted.includes(v)) {
        nv.removeVolume(v); // re-renders all layers
        restacked = true;
      }
    for (const img of wanted)
      if (!nv.volumes.includes(img)) {
        nv.addVolume(img); // re-renders all layers
        restacked = true;
      }
    if (restacked) restyle.current = false;
    const frame = requestAnimationFrame(() => {
      if (restyle.current) {
        // opacity / outline only: re-render the overlay layers, not the CT
        restyle.current = false;
        nv.volumes.forEach((v, i) => i > 0 && nv.refreshLayers(v, i));
        nv.drawScene();
      }
      nv.moveCrosshairInVox(0, 0, 0); // refresh the label readout
    });
    return () => cancelAnimationFrame(frame);
  }, [annotations, overlays, outline, full]);

  // ── zoom / view helpers ────────────────────────────────────────────────────────────────
  const zoomBy = useCallback((factor: number) => {
    const nv = nvRef.current;
    if (!nv?.back) return;
    const p = nv.scene.pan2Dxyzmm;
    const z0 = p[3];
    const z1 = Math.min(20, Math.max(0.3, z0 * factor));
    // keep the crosshair where it is on screen (same maths as niivue's own wheel zoom)
    const mm = nv.frac2mm(nv.scene.crosshairPos);
    const dz = z0 - z1;
    nv.setPan2Dxyzmm([p[0] + dz * mm[0], p[1] + dz * mm[1], p[2] + dz * mm[2], z1] as Vec4);
  }, []);

  const resetView = useCallback(() => {
    const nv = nvRef.current;
    if (!nv?.back) return;
    nv.setPan2Dxyzmm([0, 0, 0, 1] as Vec4);
    nv.setScale(1);
    nv.setRenderAzimuthElevation(110, 10);
  }, []);

  // ── moves asked for from outside (follow a reader, jump to a comment) ────────────────────
  useEffect(
    () =>
      goTo?.subscribe(() => {
        const nv = nvRef.current;
        const mm = goTo.get();
        if (!nv?.back || !mm) return;
        nv.scene.crosshairPos = nv.mm2frac(mm);
        nv.drawScene();
        nv.createOnLocationChange();
      }),
    [goTo],
  );

  // ── keyboard, wheel and mouse glue on the native elements ──────────────────────────────
  useEffect(() => {
    const wrap = wrapRef.current!;
    const stage = stageRef.current!;
    const canvas = canvasRef.current!;

    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest("input, select, textarea") || e.altKey || e.metaKey || e.ctrlKey) return;
      const nv = nvRef.current;
      if (!nv?.back) return;
      if (e.code === "KeyW") {
        setWin((w) => cyclePreset(w, e.shiftKey ? -1 : 1));
        return consume(e);
      }
      const step = STEP[e.key];
      if (!step) return;
      consume(e); // also keeps niivue's own arrow handling (4-D frames) and page scrolling out
      const l = latest.current.layout;
      const axis = l === "mpr" ? activeAxis.current : AXIS[l];
      if (axis === 4) {
        const horizontal = e.key === "ArrowLeft" || e.key === "ArrowRight";
        nv.setRenderAzimuthElevation(nv.scene.renderAzimuth + (horizontal ? 5 * step : 0), nv.scene.renderElevation + (horizontal ? 0 : 5 * Math.sign(step)));
      } else {
        nv.moveCrosshairInVox(axis === 2 ? step : 0, axis === 1 ? step : 0, axis === 0 ? step : 0);
      }
    };

    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey) return; // plain wheel: niivue scrolls slices
      consume(e);
      zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15);
    };

    let raf = 0;
    const onMove = (e: MouseEvent) => {
      const nv = nvRef.current;
      if (!nv?.back) return;
      // remember which tile is under the mouse so keys page through that view
      const r = canvas.getBoundingClientRect();
      const dpr = nv.uiData.dpr ?? window.devicePixelRatio ?? 1;
      const tile = nv.tileIndex((e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr);
      const ax = tile >= 0 ? nv.screenSlices[tile]?.axCorSag : undefined;
      if (ax !== undefined && ax !== 3) activeAxis.current = ax;
      if (e.buttons && !raf) raf = requestAnimationFrame(() => ((raf = 0), pullWindow()));
    };
    const onDown = () => canvas.focus({ preventScroll: true });

    wrap.addEventListener("keydown", onKey, true);
    stage.addEventListener("wheel", onWheel, { capture: true, passive: false });
    canvas.addEventListener("mousemove", onMove);
    canvas.addEventListener("mouseup", pullWindow);
    canvas.addEventListener("pointerdown", onDown);
    return () => {
      cancelAnimationFrame(raf);
      wrap.removeEventListener("keydown", onKey, true);
      stage.removeEventListener("wheel", onWheel, { capture: true });
      canvas.removeEventListener("mousemove", onMove);
      canvas.removeEventListener("mouseup", pullWindow);
      canvas.removeEventListener("pointerdown", onDown);
    };
  }, [pullWindow, zoomBy]);

  return (
    <div ref={wrapRef} className={styles.viewer} data-testid="viewer" data-ready={ready ? "true" : "false"} data-full={full ? "true" : "false"} data-state={phase.kind}>
      <div className={styles.main}>
        <div className={styles.toolbar}>
          <div className={styles.segmented} role="group" aria-label="Layout">
            {LAYOUTS.map((l) => (
              <button key={l.id} type="button" aria-pressed={layout === l.id} title={l.title} onClick={() => setLayout(l.id)} disabled={!ready}>
                {l.label}
              </button>
            ))}
          </div>
          <span className={styles.spacer} />
          <div className={styles.segmented} role="group" aria-label="Zoom">
            <button type="button" title="Zoom in (Ctrl + wheel)" aria-label="Zoom in" onClick={() => zoomBy(1.25)} disabled={!ready}>
              +
            </button>
            <button type="button" title="Zoom out (Ctrl + wheel)" aria-label="Zoom out" onClick={() => zoomBy(0.8)} disabled={!ready}>
              −
            </button>
            <button type="button" title="Reset zoom, pan and 3-D angle" onClick={resetView} disabled={!ready}>
              Reset view
            </button>
          </div>
        </div>
        <div ref={stageRef} className={styles.stage}>
          <canvas ref={canvasRef} data-testid="viewer-canvas" tabIndex={0} aria-label="CT image: click to place the crosshair, wheel to scroll slices" />
          {phase.kind === "loading" && (
            <div className={styles.veil} data-testid="viewer-loading">
              <div className={styles.veilBox}>
                <div>{phase.stage}…</div>
                <div className={styles.bar} role="progressbar" aria-label="Loading CT" aria-valuenow={phase.percent ?? undefined} aria-valuemin={0} aria-valuemax={100}>
                  <div className={phase.percent === null ? styles.barIndeterminate : styles.barFill} style={phase.percent === null ? undefined : { width: `${phase.percent}%` }} />
                </div>
              </div>
            </div>
          )}
          {reduced && full && (
            <div className={styles.reducedBadge} data-testid="viewer-reduced">
              Half resolution (no GPU){" "}
              <button type="button" onClick={onLoadFull}>
                Load full resolution
              </button>
            </div>
          )}
          {software && layout === "mpr" && (
            <div className={styles.softwareNote} data-testid="viewer-software">
              No GPU: 3-D view on demand
            </div>
          )}
          {ready && !full && (
            <div className={styles.previewBadge} data-testid="viewer-preview">
              Preview · loading full resolution…
            </div>
          )}
          {phase.kind === "error" && (
            <div className={styles.veil}>
              <div className={`${styles.veilBox} ${styles.error}`} role="alert" data-testid="viewer-error">
                {phase.message}
              </div>
            </div>
          )}
        </div>
        <StatusLine store={cursor} windowText={`W ${win.width} / L ${win.level} HU`} />
      </div>
      <aside className={styles.side}>
        <WindowControls value={win} onChange={setWin} />
        {touchUp && ready && full && nvRef.current && <TouchUp nv={nvRef.current} request={touchUp} reduced={reduced} />}
        <OverlayList
          annotations={annotations}
          state={overlays}
          outline={outline}
          disabled={!ready}
          onToggle={(a, visible) => setOverlays((s) => ({ ...s, [a.id]: { ...(s[a.id] ?? DEFAULT_OVERLAY), visible } }))}
          onOpacity={(a, opacity) => setOverlays((s) => ({ ...s, [a.id]: { ...(s[a.id] ?? DEFAULT_OVERLAY), opacity } }))}
          onOutline={setOutline}
        />
        <details className={styles.help}>
          <summary>Mouse &amp; keys</summary>
          <ul>
            <li>Left click / drag: crosshair (3-D view: rotate)</li>
            <li>Right drag or Ctrl + left drag: window / level; double-click: auto window</li>
            <li>Middle drag or Shift + left drag: pan</li>
            <li>Wheel: scroll slices; Ctrl + wheel: zoom</li>
            <li>↑ ↓ ← →: next / previous slice of the view under the mouse; PgUp / PgDn: 10 slices</li>
            <li>W / Shift + W: next / previous window preset</li>
          </ul>
        </details>
      </aside>
    </div>
  );
}

const STEP: Record<string, number> = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 };

function consume(e: Event) {
  e.preventDefault();
  e.stopPropagation();
}

function nextFrame() {
  return new Promise<void>((r) => requestAnimationFrame(() => r()));
}

function isSoftwareRenderer(gl: WebGL2RenderingContext | null | undefined): boolean {
  if (!gl) return false;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

function applyLayout(nv: Niivue, mod: NiivueModule, layout: Layout) {
  const T = mod.SLICE_TYPE;
  const st = { axial: T.AXIAL, coronal: T.CORONAL, sagittal: T.SAGITTAL, render: T.RENDER, mpr: T.MULTIPLANAR }[layout];
  if (nv.opts.sliceType !== st) nv.setSliceType(st);
}

function describeError(e: unknown, what = "CT"): string {
  if (e instanceof VolumeFetchError) {
    if (e.status === 401) return "Your session has ended: sign in again to view images.";
    if (e.status === 404) return e.message; // e.g. "This case has no volume yet"
    return `Could not download the ${what}: ${e.message}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (/webgl/i.test(msg)) return "This browser cannot show the viewer: WebGL2 is not available (enable hardware acceleration or use a current Chrome, Edge, Firefox or Safari).";
  return `Could not show the ${what}: ${msg}`;
}
