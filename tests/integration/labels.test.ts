// Label maps in and out of a DICOM-sourced case: import (NIfTI, DICOM SEG), export on the source
// grid (NIfTI) and as DICOM SEG, each round trip voxel-identical; a bad label file changes nothing.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dcmjs } from "../../lib/imaging/dicom-seg-dcmjs";
import { binarise, transferLabelToGrid } from "../../lib/imaging/labels";
import { readNifti } from "../../lib/imaging/nifti-read";
import { startUair, type UairServer } from "../../server/app";
import { fixture } from "../helpers/bad-inputs";
import { freshDatabase } from "../helpers/db";
import { httpClient } from "../helpers/http-client";
import { until } from "../helpers/poll";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let admin: ReturnType<typeof httpClient>;
let caseId: string;

const put = (url: string, body: Uint8Array) =>
  fetch(`${app.url}${url}`, { method: "PUT", body: body as Uint8Array<ArrayBuffer>, headers: { cookie: admin.cookie() } });
const get = async (url: string) => {
  const res = await fetch(`${app.url}${url}`, { headers: { cookie: admin.cookie() } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
};

const job = (jobRunId: string) =>
  until(
    () => app.services.db.jobRun.findUniqueOrThrow({ where: { id: jobRunId } }),
    (j) => j.status === "SUCCEEDED" || j.status === "FAILED",
    "the job's end",
    30_000,
  );

async function importFile(name: string, bytes: Uint8Array, sourceValue: number | null = null) {
  const up = await put(`/api/cases/${caseId}/label-files/${name}`, bytes);
  expect(up.status).toBe(200);
  const { key } = await up.json();
  const { jobRunId } = await admin.client.annotation.importLabel.mutate({ caseId, key, name: "contours", sourceValue });
  return job(jobRunId);
}

beforeAll(async () => {
  app = await startUair({ env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "1" }), log: () => undefined });
  const world = await makeWorld(app.services.db);
  admin = httpClient(app.url);
  await admin.client.auth.signIn.mutate({ email: "admin@a.test", password: PASSWORD });
  ({ caseId } = await admin.client.case.create.mutate({ projectId: world.projectA.id, label: "patient B" }));
  const dir = path.resolve("data/ct/patient-b/dicom");
  for (const f of fs.readdirSync(dir)) expect((await put(`/api/cases/${caseId}/files/${f}`, new Uint8Array(fs.readFileSync(path.join(dir, f))))).status).toBe(200);
  await job((await admin.client.case.startIngest.mutate({ caseId })).jobRunId);
}, 90_000);
afterAll(() => app?.close());

describe("label import and export", () => {
  let v1: { id: string; sha256: string };

  it("imports the TotalSegmentator label (value 5 = liver) as annotation version 1", async () => {
    const j = await importFile("totalseg.nii.gz", fixture("patient-b/totalseg-v2.nii.gz"), 5);
    expect(j.error).toBeNull();
    const [a] = await admin.client.annotation.list.query({ caseId });
    expect(a.versions).toHaveLength(1);
    expect(a.versions[0].provenance).toMatchObject({ format: "nifti", counts: { 1: 366_708 }, aligned: true });
    v1 = a.versions[0];
  });

  it("exports NIfTI on the DICOM series grid, which re-imports voxel-identical", async () => {
    const { res, bytes } = await get(`/api/annotations/versions/${v1.id}/export.nii.gz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="patient_B-contours-v1\.nii\.gz"/);
    const exported = readNifti(bytes);
    const volume = await app.services.db.volume.findUniqueOrThrow({ where: { caseId } });
    const meta = volume.metadata as { sourceAffine: number[]; sourceDims: number[] };
    expect(exported.dims).toEqual(meta.sourceDims);
    exported.affine.forEach((v, i) => expect(v).toBeCloseTo(meta.sourceAffine[i], 3));
    // the same voxels as the original label carried onto the series grid
    const original = transferLabelToGrid(binarise(readNifti(fixture("patient-b/totalseg-v2.nii.gz")), 5, 1), exported);
    expect(Buffer.compare(Buffer.from(exported.data as Uint8Array), Buffer.from(original.data))).toBe(0);

    const j = await importFile("export.nii.gz", bytes);
    expect(j.error).toBeNull();
    const [a] = await admin.client.annotation.list.query({ caseId });
    expect(a.versions[0]).toMatchObject({ version: 2, sha256: v1.sha256 });
  });

  it("exports a DICOM SEG that references the source series and re-imports voxel-identical", async () => {
    const { res, bytes } = await get(`/api/annotations/versions/${v1.id}/export.seg.dcm`);
    expect(res.status).toBe(200);
    const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, any>;
    expect(ds.Modality).toBe("SEG");
    expect(ds.SOPClassUID).toBe("1.2.840.10008.5.1.4.1.1.66.4");
    const seg = [ds.SegmentSequence].flat()[0];
    expect([seg.SegmentedPropertyTypeCodeSequence].flat()[0]).toMatchObject({ CodeValue: "10200004", CodingSchemeDesignator: "SCT" });
    const refs = [[ds.ReferencedSeriesSequence].flat()[0].ReferencedInstanceSequence].flat();
    expect(refs).toHaveLength(20);
    const j = await importFile("export.seg.dcm", bytes);
    expect(j.error).toBeNull();
    const [a] = await admin.client.annotation.list.query({ caseId });
    expect(a.versions[0]).toMatchObject({ version: 3, sha256: v1.sha256 });
    expect(a.versions[0].provenance).toMatchObject({ format: "dicom-seg" });
  });

  it("a label file it cannot interpret fails its job with the reason and changes nothing", async () => {
    const before = await admin.client.annotation.list.query({ caseId });
    const j = await importFile("raw-totalseg.nii.gz", fixture("patient-b/totalseg-v2.nii.gz"));
    expect(j.status).toBe("FAILED");
    expect(j.error).toMatch(/contains values .*only 0, 1, 2 are allowed/);
    expect(await admin.client.annotation.list.query({ caseId })).toEqual(before);
    expect((await app.services.db.case.findUniqueOrThrow({ where: { id: caseId } })).status).toBe("READY");
    const notALabel = await importFile("junk.nii.gz", new TextEncoder().encode("junk"));
    expect(notALabel.error).toMatch(/too short to be a NIfTI image/);
  });

  it("refuses a label key that was not uploaded to this case", async () => {
    await expect(admin.client.annotation.importLabel.mutate({ caseId, key: "volumes/whatever.nii.gz", name: "x" })).rejects.toThrow("Upload the label file to this case first");
  });
});
