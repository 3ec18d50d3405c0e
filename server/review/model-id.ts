// The model the workers run, as the server needs it: its name (profiles are per model) and latent
// size (round 0's mixture). Read from the same manifest the workers load, once.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { parseManifest } from "../../lib/model/manifest";
import type { Env } from "../env";

export interface ModelId {
  /** "name version": the key of institution profiles and the round's model */
  key: string;
  latentSize: number;
}

let cached: { dir: string; id: Promise<ModelId> } | undefined;

export function reviewModel(env: Pick<Env, "UAIR_MODEL_DIR">): Promise<ModelId> {
  const dir = path.resolve(env.UAIR_MODEL_DIR);
  if (cached?.dir !== dir) {
    const id = readFile(path.join(dir, "manifest.json"), "utf8")
      .then((text) => parseManifest(JSON.parse(text)))
      .then((m) => ({ key: `${m.name} ${m.version}`, latentSize: m.latent_size }));
    id.catch(() => (cached = undefined));
    cached = { dir, id };
  }
  return cached.id.catch((e: Error) => {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: `No segmentation model to review with (${e.message})` });
  });
}
