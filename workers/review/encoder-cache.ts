// Encoder outputs per case while it is under review: every round of a case decodes new codes
// from the same features, so the encoder (the expensive half) runs once per slice per case.
// Bounded by bytes; least recently used cases go first.
import type { Volume } from "../../lib/imaging";
import { emptyEncoding, prepareVolume, type EncodedVolume, type PreparedVolume } from "../../lib/model";
import type { LoadedModel } from "../model/load";

export interface CaseEncoding {
  key: string;
  prep: PreparedVolume;
  enc: EncodedVolume;
  lastUsed: number;
}

export class EncoderCache {
  private entries = new Map<string, CaseEncoding>();

  constructor(private readonly maxBytes: number) {}

  /** The case's encoding, created (preprocessed, nothing encoded yet) when absent. */
  get(key: string, model: LoadedModel, load: () => Promise<Volume>): Promise<CaseEncoding> {
    const hit = this.entries.get(key);
    if (hit) {
      hit.lastUsed = performance.now();
      return Promise.resolve(hit);
    }
    return load().then((ct) => {
      const prep = prepareVolume(ct, model.manifest.preprocessing);
      const entry = { key, prep, enc: emptyEncoding(model.manifest, prep.nz), lastUsed: performance.now() };
      this.entries.set(key, entry);
      return entry;
    });
  }

  /** Call after encoding: evicts the least recently used cases beyond the byte budget. */
  trim(keep?: string): void {
    let size = this.bytes;
    for (const e of [...this.entries.values()].sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (size <= this.maxBytes) break;
      if (e.key === keep) continue;
      this.entries.delete(e.key);
      size -= e.enc.bytes + e.prep.hu.byteLength;
    }
  }

  get bytes(): number {
    return [...this.entries.values()].reduce((n, e) => n + e.enc.bytes + e.prep.hu.byteLength, 0);
  }
}
