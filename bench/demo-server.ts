// The real product on a throwaway data directory (embedded PostgreSQL, demo seed, one worker)
// for the end-to-end benchmarks, signed in as the demo admin, with a CT uploaded and ingested.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import type { Volume } from "../lib/imaging/types";
import { encodeNifti } from "../lib/imaging/nifti-write";
import { startUair, type UairServer } from "../server/app";
import { loadEnv } from "../server/env";
import { httpClient } from "../tests/helpers/http-client";

export interface DemoServer {
  app: UairServer;
  admin: ReturnType<typeof httpClient>;
  projectId: string;
  /** upload a CT (.nii.gz) as a new case of the demo project and wait until it is READY */
  ingest(label: string, ct: Volume): Promise<{ caseId: string; uploadBytes: number }>;
}

export async function withDemoServer<T>(name: string, env: Record<string, string>, withNext: boolean, fn: (s: DemoServer) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `uair-bench-${name}-`));
  const app = await startUair({
    env: loadEnv({ PORT: "0", UAIR_DATA_DIR: dataDir, UAIR_EMBEDDED_PG_PORT: "0", UAIR_WORKERS: "1", ...env }),
    withNext,
    log: () => undefined,
  });
  try {
    const admin = httpClient(app.url);
    await admin.client.auth.signIn.mutate({ email: "admin@demo.uair", password: "uair-demo" });
    const [project] = await admin.client.project.list.query();
    const ingest = async (label: string, ct: Volume) => {
      const { caseId } = await admin.client.case.create.mutate({ projectId: project.id, label });
      const gz = zlib.gzipSync(encodeNifti(ct), { level: 1 });
      const put = await fetch(`${app.url}/api/cases/${caseId}/files/ct.nii.gz`, { method: "PUT", body: gz, headers: { cookie: admin.cookie() } });
      if (put.status !== 200) throw new Error(`upload failed: ${put.status}`);
      await admin.client.case.startIngest.mutate({ caseId });
      for (let i = 0; (await admin.client.case.byId.query({ caseId })).status !== "READY"; i++) {
        if (i > 1200) throw new Error("ingest did not finish");
        await new Promise((r) => setTimeout(r, 100));
      }
      return { caseId, uploadBytes: gz.length };
    };
    return await fn({ app, admin, projectId: project.id, ingest });
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
