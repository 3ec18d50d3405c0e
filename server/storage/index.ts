// Object storage for voxel data behind one small interface. Local files under the data
// directory by default; other back ends implement the same five calls.
import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

export class TooLargeError extends Error {}

export interface Storage {
  put(key: string, bytes: Uint8Array): Promise<{ sha256: string; size: number }>;
  /** streams `source` into `key`, failing with TooLargeError (and storing nothing) past maxBytes */
  putStream(key: string, source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }>;
  /** keys under a prefix ("uploads/<caseId>/") */
  list(prefix: string): Promise<string[]>;
  /** total bytes under a prefix, in one listing (upload quotas) */
  usage(prefix: string): Promise<number>;
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  size(key: string): Promise<number>;
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
  const store: Storage = {
    async put(key, bytes) {
      const file = abs(key);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      // write then rename, so a reader never sees half a file
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await fsp.writeFile(tmp, bytes);
      await fsp.rename(tmp, file);
      return { sha256: sha256Hex(bytes), size: bytes.byteLength };
    },
    async putStream(key, source, maxBytes) {
      const file = abs(key);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      const hash = createHash("sha256");
      const out = fs.createWriteStream(tmp);
      let size = 0;
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new TooLargeError(`more than ${maxBytes} bytes`);
          hash.update(chunk);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        }
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
        await fsp.rename(tmp, file);
        return { sha256: hash.digest("hex"), size };
      } catch (e) {
        out.destroy();
        await fsp.rm(tmp, { force: true });
        throw e;
      }
    },
    async list(prefix) {
      const dir = abs(prefix.replace(/\/+$/, ""));
      if (!fs.existsSync(dir)) return [];
      const found: string[] = [];
      const walk = async (d: string, rel: string): Promise<void> => {
        for (const e of await fsp.readdir(d, { withFileTypes: true })) {
          if (e.name.endsWith(".tmp")) continue;
          if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}${e.name}/`);
          else found.push(`${rel}${e.name}`);
        }
      };
      await walk(dir, prefix.endsWith("/") ? prefix : `${prefix}/`);
      return found.sort();
    },
    async usage(prefix) {
      let total = 0;
      for (const key of await store.list(prefix)) total += (await fsp.stat(abs(key))).size;
      return total;
    },
    async get(key) {
      return new Uint8Array(await fsp.readFile(abs(key)));
    },
    async size(key) {
      return (await fsp.stat(abs(key))).size;
    },
    async exists(key) {
      return fs.existsSync(abs(key));
    },
    async delete(key) {
      await fsp.rm(abs(key), { force: true, recursive: true });
    },
    localPath: abs,
  };
  return store;
}

/** Local files under <dataDir>/objects, or an S3-compatible bucket when UAIR_STORAGE=s3. */
export async function storageFromEnv(env: {
  dataDir: string;
  UAIR_STORAGE: "local" | "s3";
  UAIR_S3_ENDPOINT?: string;
  UAIR_S3_BUCKET?: string;
  UAIR_S3_REGION: string;
  UAIR_S3_ACCESS_KEY_ID?: string;
  UAIR_S3_SECRET_ACCESS_KEY?: string;
  UAIR_S3_PREFIX: string;
}): Promise<Storage> {
  if (env.UAIR_STORAGE === "local") return localStorage(path.join(env.dataDir, "objects"));
  const { s3Storage } = await import("./s3");
  return s3Storage({
    endpoint: env.UAIR_S3_ENDPOINT!,
    bucket: env.UAIR_S3_BUCKET!,
    region: env.UAIR_S3_REGION,
    accessKeyId: env.UAIR_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.UAIR_S3_SECRET_ACCESS_KEY!,
    prefix: env.UAIR_S3_PREFIX,
  });
}
