// The awareness protocol's update message (y-protocols/awareness): a count, then per client its
// id, clock and state as JSON. Decoded here so the server can check whose state a socket sends
// and rewrite it before relaying.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

export interface AwarenessEntry {
  clientId: number;
  clock: number;
  /** null = the client's state was removed */
  state: unknown;
}

export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const dec = decoding.createDecoder(update);
  const n = decoding.readVarUint(dec);
  if (n > 64) throw new Error(`awareness update with ${n} states`);
  const out: AwarenessEntry[] = [];
  for (let i = 0; i < n; i++) {
    const clientId = decoding.readVarUint(dec);
    const clock = decoding.readVarUint(dec);
    out.push({ clientId, clock, state: JSON.parse(decoding.readVarString(dec)) });
  }
  return out;
}

export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(enc, e.clientId);
    encoding.writeVarUint(enc, e.clock);
    encoding.writeVarString(enc, JSON.stringify(e.state));
  }
  return encoding.toUint8Array(enc);
}
