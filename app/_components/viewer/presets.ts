// Pure viewer constants and helpers: CT window presets, the label LUT for masks, W/L maths.
import type { NVImage } from "@niivue/niivue";
import { LABEL, LABEL_COLOURS } from "../../../lib/imaging/labels";

type ColorMap = Parameters<NVImage["setColormapLabel"]>[0];

export type WindowLevel = { width: number; level: number };
export type WindowPreset = WindowLevel & { id: string; label: string };

/**
 * Standard CT windows (HU). Liver uses a narrow window centred for contrast-enhanced parenchyma
 * (≈40–110 HU) so that hypodense lesions stand out; the others are the usual textbook values.
 */
export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: "liver", label: "Liver", width: 150, level: 60 },
  { id: "abdomen", label: "Abdomen", width: 400, level: 50 },
  { id: "bone", label: "Bone", width: 1800, level: 400 },
  { id: "lung", label: "Lung", width: 1500, level: -600 },
];

export const DEFAULT_PRESET = WINDOW_PRESETS[0];

export function windowToRange({ width, level }: WindowLevel): [number, number] {
  return [level - width / 2, level + width / 2];
}

export function rangeToWindow(min: number, max: number): WindowLevel {
  return { width: Math.max(1, Math.round(max - min)), level: Math.round((max + min) / 2) };
}

/** The preset with exactly this window, if any. */
export function presetFor(w: WindowLevel): WindowPreset | undefined {
  return WINDOW_PRESETS.find((p) => p.width === w.width && p.level === w.level);
}

/** Next (or previous) preset in the cycle; a custom window starts the cycle over. */
export function cyclePreset(current: WindowLevel, step = 1): WindowPreset {
  const i = WINDOW_PRESETS.findIndex((p) => p.width === current.width && p.level === current.level);
  const n = WINDOW_PRESETS.length;
  return WINDOW_PRESETS[i < 0 ? 0 : (((i + step) % n) + n) % n];
}

/** Label values in the mask files: 0 background, 1 liver, 2 tumour. */
export const LABELS = [
  { value: LABEL.liver, name: "Liver", rgb: LABEL_COLOURS[LABEL.liver] },
  { value: LABEL.tumour, name: "Tumour", rgb: LABEL_COLOURS[LABEL.tumour] },
];

export function labelName(value: number): string | null {
  return LABELS.find((l) => l.value === Math.round(value))?.name ?? null;
}

/** Discrete colour table for niivue's `setColormapLabel` (0 is transparent). */
export function labelColormap(): ColorMap {
  return {
    R: [0, ...LABELS.map((l) => l.rgb[0])],
    G: [0, ...LABELS.map((l) => l.rgb[1])],
    B: [0, ...LABELS.map((l) => l.rgb[2])],
    A: [0, ...LABELS.map(() => 255)],
    I: [0, ...LABELS.map((l) => l.value)],
    labels: ["Background", ...LABELS.map((l) => l.name)],
  };
}

export type Layout = "axial" | "coronal" | "sagittal" | "render" | "mpr";

export const LAYOUTS: { id: Layout; label: string; title: string }[] = [
  { id: "mpr", label: "2×2", title: "Axial, coronal, sagittal and 3-D" },
  { id: "axial", label: "Axial", title: "Axial only" },
  { id: "coronal", label: "Coronal", title: "Coronal only" },
  { id: "sagittal", label: "Sagittal", title: "Sagittal only" },
  { id: "render", label: "3-D", title: "Volume rendering only" },
];
