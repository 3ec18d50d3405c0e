// Demo data for a fresh install: one institution, an admin, three readers, an adjudicator,
// one project, and the real CT fixtures of data/ct as its cases (ingested by the worker).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Role } from "@prisma/client";
import { hashPassword } from "../server/auth/password";
import type { Db } from "../server/db/client";
import type { Queue } from "../server/queue/producer";
import type { Storage } from "../server/storage";

export const DEMO_PASSWORD = "uair-demo";
export const DEMO_INSTITUTION = { name: "Demo University Hospital", slug: "demo" };
export const DEMO_PROJECT = "Liver CT demo";
export const DEMO_ACCOUNTS: { email: string; name: string; role: Role }[] = [
  { email: "admin@demo.uair", name: "Ada Admin", role: "ADMIN" },
  { email: "reader1@demo.uair", name: "Rita Reader", role: "READER" },
  { email: "reader2@demo.uair", name: "Ravi Reader", role: "READER" },
  { email: "reader3@demo.uair", name: "Rosa Reader", role: "READER" },
  { email: "adjudicator@demo.uair", name: "Jude Adjudicator", role: "ADJUDICATOR" },
];

const dataRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../data/ct");

/** Source files of each demo case and the liver label (TotalSegmentator label 5) to import. */
export const DEMO_CASES = [
  { label: "Patient A — abdomen CT (NIfTI, RAS)", files: ["patient-a/ct.nii.gz"], liverLabel: "patient-a/totalseg-v1.nii.gz" },
  { label: "Patient B — upper abdomen (DICOM series)", files: ["patient-b/dicom"], liverLabel: "patient-b/totalseg-v2.nii.gz" },
  { label: "No liver — pelvic CT (NIfTI, PLI)", files: ["no-liver/ct.nii.gz"], liverLabel: null },
] as const;

function listFiles(rel: string): string[] {
  const abs = path.join(dataRoot, rel);
  return fs.statSync(abs).isDirectory() ? fs.readdirSync(abs).sort().map((f) => path.join(rel, f)) : [rel];
}

export async function seedDemo(db: Db, deps: { storage: Storage; queue: Queue } | null): Promise<boolean> {
  if ((await db.institution.count()) > 0) return false;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const { project, admin } = await db.$transaction(async (tx) => {
    const institution = await tx.institution.create({ data: DEMO_INSTITUTION });
    let adminId = "";
    for (const a of DEMO_ACCOUNTS) {
      const user = await tx.user.create({ data: { email: a.email, name: a.name, passwordHash } });
      await tx.membership.create({ data: { userId: user.id, institutionId: institution.id, role: a.role } });
      if (a.role === "ADMIN") adminId = user.id;
    }
    const project = await tx.project.create({
      data: {
        institutionId: institution.id,
        name: DEMO_PROJECT,
        description: "Real CT fixtures (TotalSegmentator examples, DeepLesion) for trying the review loop.",
        structures: ["liver", "tumour"],
      },
    });
    await tx.auditEvent.create({
      data: { actorId: null, institutionId: institution.id, action: "seed.demo", entityType: "institution", entityId: institution.id },
    });
    return { project, admin: adminId };
  });
  if (!deps) return true;
  for (const c of DEMO_CASES) {
    const kase = await db.case.create({ data: { projectId: project.id, label: c.label, createdById: admin } });
    const uploadKeys: string[] = [];
    for (const rel of c.files.flatMap(listFiles)) {
      const key = `uploads/${kase.id}/${path.basename(rel)}`;
      await deps.storage.put(key, new Uint8Array(fs.readFileSync(path.join(dataRoot, rel))));
      uploadKeys.push(key);
    }
    let labelKey: string | null = null;
    if (c.liverLabel) {
      labelKey = `uploads/${kase.id}/label-${path.basename(c.liverLabel)}`;
      await deps.storage.put(labelKey, new Uint8Array(fs.readFileSync(path.join(dataRoot, c.liverLabel))));
    }
    await deps.queue.enqueue(
      "ingest",
      { caseId: kase.id, uploadKeys, demoLabel: labelKey && { key: labelKey, sourceValue: 5, name: "TotalSegmentator liver" } },
      { caseId: kase.id },
    );
  }
  return true;
}
