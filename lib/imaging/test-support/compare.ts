// Test support only: fast exact comparison of voxel arrays (vitest's deep equality takes
// seconds on multi-megabyte typed arrays).
export function sameVoxels(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}
