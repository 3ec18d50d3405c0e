// JPEG 2000 frame decoder for compressed DICOM (transfer syntaxes .4.90 / .4.91), backed by the
// WASM build of OpenJPEG. Loaded once per process; lib/imaging receives it as a plain function.
import { createRequire } from "node:module";
import type { DecodedFrame, FrameDecoder } from "../../lib/imaging/dicom-pixels";

const require = createRequire(import.meta.url);

interface J2KDecoder {
  getEncodedBuffer(n: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

let codec: Promise<{ J2KDecoder: new () => J2KDecoder }> | null = null;

export function openjpegDecoder(): Promise<FrameDecoder> {
  codec ??= (async () => {
    const factory = require("@cornerstonejs/codec-openjpeg/decodewasmjs") as (o: object) => Promise<{ J2KDecoder: new () => J2KDecoder }>;
    const wasm = require.resolve("@cornerstonejs/codec-openjpeg/decodewasm");
    // OpenJPEG prints an [INFO] line per header; keep the worker's log for real events
    return factory({ locateFile: () => wasm, print: () => undefined, printErr: () => undefined });
  })();
  return codec.then((c) => (frame: Uint8Array) => {
    const dec = new c.J2KDecoder();
    try {
      dec.getEncodedBuffer(frame.length).set(frame);
      dec.decode();
      const info = dec.getFrameInfo();
      if (info.componentCount !== 1) throw new Error(`JPEG 2000 frame has ${info.componentCount} components; CT has one`);
      const out = dec.getDecodedBuffer();
      const copy = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
      const pixels =
        info.bitsPerSample <= 8 ? new Uint8Array(copy) : info.isSigned ? new Int16Array(copy) : new Uint16Array(copy);
      return { width: info.width, height: info.height, precision: info.bitsPerSample, signed: info.isSigned, data: pixels } satisfies DecodedFrame;
    } finally {
      dec.delete();
    }
  });
}
