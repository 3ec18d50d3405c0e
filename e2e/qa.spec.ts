// Contour QA in the browser: three tumour contour sets of one CT are imported through the case
// page, the QA page analyses them and shows the pairwise agreement matrix, the STAPLE consensus
// with each reader's performance and the consensus overlay on the viewer.
import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { readNifti } from "../lib/imaging/nifti-read";
import { writeNifti } from "../lib/imaging/nifti-write";
import { ownCase, signedIn } from "./helpers";

const DATA = "data/eval-synthetic/patient-a";

/** A third reader: the tight contours shifted by two voxels (a plausible, different reader). */
function shifted(): Buffer {
  const tight = readNifti(new Uint8Array(fs.readFileSync(`${DATA}/tight.nii.gz`)));
  const src = tight.data as Uint8Array;
  const out = new Uint8Array(src.length);
  for (let i = 2; i < src.length; i++) out[i] = src[i - 2];
  return Buffer.from(writeNifti({ ...tight, data: out }, { isLabel: true }));
}

test("an adjudicator imports three contour sets and sees their agreement and the consensus", async ({ page }) => {
  test.setTimeout(180_000);
  const caseId = await ownCase(page.request, `QA ${Date.now()}`, `${DATA}/ct.nii.gz`);
  await signedIn(page, "admin@demo.uair");
  await page.goto(`/cases/${caseId}`);
  const sets: [string, Buffer][] = [
    ["Reader tight", fs.readFileSync(`${DATA}/tight.nii.gz`)],
    ["Reader generous", fs.readFileSync(`${DATA}/generous.nii.gz`)],
    ["Reader shifted", shifted()],
  ];
  for (const [name, buffer] of sets) {
    await page.getByLabel("Label file").setInputFiles({ name: `${name.replace(/ /g, "-")}.nii.gz`, mimeType: "application/gzip", buffer });
    await page.getByLabel("Name").fill(name);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await expect(page.getByTestId("annotation").filter({ hasText: name })).toContainText("imported · v1", { timeout: 30_000 });
  }

  await page.getByRole("link", { name: "Contour QA" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("QA");
  await page.getByLabel("Structure to compare").selectOption("tumour");
  await page.getByRole("button", { name: "Analyse agreement" }).click();
  const results = page.getByTestId("qa-results");
  await expect(results).toBeVisible({ timeout: 60_000 });
  const matrix = results.getByRole("table", { name: "Dice (tumour)" });
  await expect(matrix.locator("tbody tr")).toHaveCount(3);
  await expect(matrix).toContainText("Reader generous v1");
  await expect(matrix.locator("tbody tr").first().locator("td").first()).toHaveText("1.000");
  await expect(results.getByRole("table", { name: "STAPLE consensus" })).toContainText(/STAPLE consensus: [\d.]+ mL/);
  await expect(page.getByTestId("qa-agreement")).toContainText(/Mean pairwise Dice \(tumour\): 0\.\d{3}/);
  // the consensus can be shown over the CT
  await expect(page.getByLabel("Show STAPLE consensus")).toBeVisible();
  await page.getByLabel("Show STAPLE consensus").check();
  await expect(page.getByLabel("Show STAPLE consensus")).toBeChecked();

  // accept the consensus: the case is final and its report shows the measured lesions
  await page.getByRole("button", { name: "Accept the STAPLE consensus" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(/final/i, { timeout: 15_000 });
  await page.getByRole("link", { name: "Open its report" }).click();
  const report = page.getByTestId("case-report");
  await expect(report.getByRole("table", { name: "lesions" }).locator("tbody tr").first()).toBeVisible({ timeout: 30_000 });
  await expect(report.getByLabel("measurements")).toContainText(/Tumour burden\s*[\d.]+ %/);
  const key = report.getByRole("img", { name: /Lesion 1, slice \d+/ });
  await expect(key).toBeVisible();
  await expect.poll(() => key.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
  await expect(report).toContainText(/Mean pairwise Dice of 3 contour sets: 0\.\d{3}/);

  // the project's analytics: exports and charts
  await page.goto(`/cases/${caseId}`);
  await page.getByRole("navigation", { name: "breadcrumb" }).getByRole("link", { name: "Liver CT demo" }).click();
  await page.getByRole("link", { name: "Analytics and exports" }).click();
  await expect(page.getByRole("figure", { name: "tumour burden across cases" }).locator("canvas")).toBeVisible();
  await expect(page.getByRole("figure", { name: "QA agreement per case" }).locator("canvas")).toBeVisible();
  const csv = await page.request.get(await page.getByRole("link", { name: "CSV" }).getAttribute("href").then((h) => h!));
  expect(csv.status()).toBe(200);
  expect((await csv.text()).split("\r\n")[0]).toMatch(/^row,caseId,label,status/);
});
