// Object storage for voxel data behind one small interface. Local files under the data
// directory by default; other back ends implement the same five calls.
import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

export interface Storage {
  put(key: string, bytes: Uint8Array): Promise<{ sha256: string; size: number }>;
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** absolute path when the back end is the local disk (lets big reads stream) */
  localPath?(key: string): string;
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;

export function assertKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split("/").some((p) => p === ".." || p === "." || p === "")) {
    throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  }
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function localStorage(root: string): Storage {
  const abs = (key: string) => (assertKey(key), path.join(root, key));
  return {
    async put(key, bytes) {
      const file = abs(key);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      // write then rename, so a reader never sees half a file
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await fsp.writeFile(tmp, bytes);
      await fsp.rename(tmp, file);
      return { sha256: sha256Hex(bytes), size: bytes.byteLength };
    },
    async get(key) {
      return new Uint8Array(await fsp.readFile(abs(key)));
    },
    async exists(key) {
      return fs.existsSync(abs(key));
    },
    async delete(key) {
      await fsp.rm(abs(key), { force: true });
    },
    localPath: abs,
  };
}

export function storageFromEnv(dataDir: string): Storage {
  return localStorage(path.join(dataDir, "objects"));
}
