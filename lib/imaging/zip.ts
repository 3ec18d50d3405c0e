// Safe expansion of an uploaded .zip (a DICOM series, usually). Everything is checked from the
// central directory before a byte is inflated: entry names that could escape a folder, and the
// declared expanded size (total limit and ratio). fflate then inflates each entry into a buffer
// of exactly its declared size, so a lying header cannot make it allocate more.
import { unzipSync, type UnzipFileInfo } from "fflate";
import { ImagingError } from "./types";

export interface ZipLimits {
  /** largest total expanded size accepted, bytes */
  maxExpandedBytes: number;
  /** largest expanded/compressed ratio accepted (zip bombs compress far better than CT) */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxExpandedBytes: 2048 * 2 ** 20, maxRatio: 100 };

export const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

function unsafeName(name: string): boolean {
  const n = name.replace(/\\/g, "/");
  return n.startsWith("/") || /^[A-Za-z]:/.test(n) || n.split("/").includes("..");
}

/** Folder entries, macOS resource forks and desktop junk carry no image data. */
const junk = (name: string) => name.endsWith("/") || name.startsWith("__MACOSX/") || /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini)$/i.test(name);

export function unzipUpload(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): { name: string; bytes: Uint8Array }[] {
  const entries: UnzipFileInfo[] = [];
  let out: Record<string, Uint8Array>;
  try {
    // the filter sees every entry's header first; it only records, the checks run below
    unzipSync(bytes, { filter: (f) => (entries.push(f), false) });
  } catch (e) {
    throw new ImagingError("ZIP_CORRUPT", `The zip file cannot be read (${(e as Error).message}); it is damaged or cut off. Create the zip again and upload it.`);
  }
  const bad = entries.find((f) => unsafeName(f.name));
  if (bad) {
    throw new ImagingError("ZIP_UNSAFE_PATH", `The zip contains an entry named "${bad.name}" that points outside its folder; such archives are refused. Zip the series folder itself and upload that.`, { entry: bad.name });
  }
  const wanted = entries.filter((f) => !junk(f.name));
  const expanded = wanted.reduce((a, f) => a + f.originalSize, 0);
  const compressed = Math.max(1, wanted.reduce((a, f) => a + f.size, 0));
  if (expanded > limits.maxExpandedBytes) {
    throw new ImagingError("ZIP_BOMB", `The zip would expand to ${(expanded / 2 ** 20).toFixed(0)} MB, more than the ${(limits.maxExpandedBytes / 2 ** 20).toFixed(0)} MB limit. Upload a smaller series or ask an admin to raise UAIR_MAX_UPLOAD_MB.`, { expanded });
  }
  if (expanded / compressed > limits.maxRatio) {
    throw new ImagingError("ZIP_BOMB", `The zip expands ${(expanded / compressed).toFixed(0)}-fold (more than ${limits.maxRatio}:1); CT does not compress like that, so it is refused as a zip bomb.`, { expanded, compressed });
  }
  const keep = new Set(wanted.map((f) => f.name));
  try {
    out = unzipSync(bytes, { filter: (f) => keep.has(f.name) });
  } catch (e) {
    throw new ImagingError("ZIP_CORRUPT", `The zip file cannot be expanded (${(e as Error).message}); it is damaged. Create the zip again and upload it.`);
  }
  const files = Object.entries(out).map(([name, b]) => ({ name: name.split("/").pop() || name, bytes: b }));
  if (files.length === 0) throw new ImagingError("ZIP_CORRUPT", "The zip holds no files. Zip the series folder with its DICOM files and upload it again.");
  return files;
}
