// One axial slice of a round's mask over the CT, as a small PNG: the gallery a reader compares
// candidates with, side by side, at the slice in view. CT volumes and masks never change once
// written, so the last few are kept decoded in memory and every picture is cacheable forever.
import { encode as encodePng } from "fast-png";
import { LABEL_COLOURS } from "../../lib/imaging/labels";
import { readNifti } from "../../lib/imaging/nifti-read";
import { drawSegment, labelledSlice, voxelToPixel } from "../../lib/imaging/thumbnail";
import type { Volume } from "../../lib/imaging/types";
import type { Storage } from "../storage";

/** A tiny least-recently-used map of decoded files by storage key. */
function lru<T>(max: number) {
  const items = new Map<string, Promise<T>>();
  return (key: string, load: () => Promise<T>): Promise<T> => {
    let hit = items.get(key);
    if (hit) items.delete(key);
    else {
      hit = load();
      hit.catch(() => items.delete(key));
    }
    items.set(key, hit);
    while (items.size > max) items.delete(items.keys().next().value!);
    return hit;
  };
}

export function sliceRenderer(storage: Storage) {
  const volumes = lru<Volume>(2);
  const masks = lru<Uint8Array>(32);
  /** `lines` in continuous voxel coordinates of the slice (x, y), e.g. a lesion's RECIST diameters */
  return async (volumeKey: string, maskKey: string, slice: number, size = 160, lines: { from: readonly number[]; to: readonly number[]; rgb: readonly [number, number, number] }[] = []): Promise<Uint8Array> => {
    const [ct, mask] = await Promise.all([
      volumes(volumeKey, async () => readNifti(await storage.get(volumeKey))),
      masks(maskKey, async () => readNifti(await storage.get(maskKey)).data as Uint8Array),
    ]);
    const img = labelledSlice(ct, mask, slice, { size, colors: LABEL_COLOURS, alpha: 0.5 });
    for (const l of lines) drawSegment(img, voxelToPixel(ct.dims, img, l.from[0], l.from[1]), voxelToPixel(ct.dims, img, l.to[0], l.to[1]), l.rgb);
    return encodePng({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 });
  };
}
