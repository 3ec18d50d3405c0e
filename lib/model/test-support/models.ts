// Test support only (node:fs): the model folders under models/ and their reference tensors.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifest, type ModelManifest } from "../manifest";
import { readNpy, type NpyArray } from "../npy";

const here = path.dirname(fileURLToPath(import.meta.url));
export const MODELS_ROOT = path.resolve(here, "../../../models");
/** the model the product ships and the workers load by default */
export const SHIPPED_MODEL = path.join(MODELS_ROOT, "uair-liver-v1");

/** Every exported model folder in the repo (a folder with a manifest.json). */
export function modelDirs(): string[] {
  return readdirSync(MODELS_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(MODELS_ROOT, d.name, "manifest.json")))
    .map((d) => path.join(MODELS_ROOT, d.name));
}

export function manifestOf(dir: string): ModelManifest {
  return parseManifest(JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")));
}

export function npy(dir: string, rel: string): NpyArray {
  return readNpy(new Uint8Array(readFileSync(path.join(dir, rel))));
}
