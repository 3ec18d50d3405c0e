import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { zipSync } from "fflate";
import { signedIn } from "./helpers";

function patientBZip(): Buffer {
  const dir = path.resolve("data/ct/patient-b/dicom");
  const files = Object.fromEntries(fs.readdirSync(dir).map((f) => [`patient-b/${f}`, new Uint8Array(fs.readFileSync(path.join(dir, f)))]));
  return Buffer.from(zipSync(files, { level: 0 }));
}

test("an admin uploads a DICOM zip through the UI, watches it import to READY and sees it in the viewer", async ({ page }) => {
  await signedIn(page, "admin@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  await expect(page.getByRole("heading", { name: "Add a case" })).toBeVisible();

  await page.getByTestId("file-input").setInputFiles({ name: "patient-b.zip", mimeType: "application/zip", buffer: patientBZip() });
  await expect(page.getByText(/^1 file, 3\.\d MB$/)).toBeVisible();
  const label = `Uploaded DICOM ${Date.now()}`;
  await page.getByLabel("Case name").fill(label);
  await page.getByRole("button", { name: "Upload and import" }).click();

  const row = page.getByTestId("case-row").filter({ hasText: label });
  await expect(row).toBeVisible();
  await expect(row.locator('[data-status="READY"]')).toBeVisible({ timeout: 60_000 });
  await expect(row).toContainText("512×512×20");
  await expect(row.locator("img.thumb")).toHaveJSProperty("complete", true);

  await row.getByRole("link", { name: label }).click();
  await expect(page.getByRole("heading", { name: label })).toBeVisible();
  await expect(page.getByText("LPS (stored canonically as RAS)")).toBeVisible();
  await expect(page.locator('[data-ready="true"]')).toBeVisible({ timeout: 30_000 });
  const png = await page.getByTestId("viewer-canvas").screenshot();
  // a rendered CT has many grey levels; a blank canvas has one or two
  const { decode } = await import("fast-png");
  const img = decode(png);
  const levels = new Set<number>();
  for (let i = 0; i < img.data.length; i += img.channels) levels.add(img.data[i]);
  expect(levels.size).toBeGreaterThan(30);
});

test("a reader sees no upload panel, and a bad file shows its reason in the case list", async ({ page, browser }) => {
  await signedIn(page, "reader2@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  await expect(page.getByRole("heading", { name: "Liver CT demo" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Add a case" })).toHaveCount(0);

  const admin = await browser.newPage();
  await signedIn(admin, "admin@demo.uair");
  await admin.getByRole("link", { name: "Liver CT demo" }).click();
  await admin.getByTestId("file-input").setInputFiles({ name: "notes.nii.gz", mimeType: "application/gzip", buffer: Buffer.from("this is not a volume") });
  await admin.getByLabel("Case name").fill("Broken upload");
  await admin.getByRole("button", { name: "Upload and import" }).click();
  const row = admin.getByTestId("case-row").filter({ hasText: "Broken upload" });
  await expect(row.locator('[data-status="FAILED"]')).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText("too short to be a NIfTI image");
  // the reader's page follows without reload
  await expect(page.getByTestId("case-row").filter({ hasText: "Broken upload" }).locator('[data-status="FAILED"]')).toBeVisible();
});

test("an admin exports a DICOM SEG of the demo liver label and imports it back as a new contour set", async ({ page }) => {
  await signedIn(page, "admin@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  const patientB = page.getByTestId("case-row").filter({ hasText: "Patient B" });
  await expect(patientB.locator('[data-status="READY"]')).toBeVisible({ timeout: 60_000 });
  await patientB.getByRole("link", { name: /Patient B/ }).click();
  const annotation = page.getByTestId("annotation").filter({ hasText: "TotalSegmentator liver" });
  await expect(annotation).toContainText("imported · v1");
  await expect(annotation).toContainText(/liver \d+ mL/);

  const [download] = await Promise.all([page.waitForEvent("download"), annotation.getByRole("link", { name: "DICOM SEG" }).click()]);
  expect(download.suggestedFilename()).toMatch(/TotalSegmentator_liver-v1\.seg\.dcm$/);
  const segPath = await download.path();
  const seg = fs.readFileSync(segPath);
  expect(seg.subarray(128, 132).toString()).toBe("DICM");

  await page.getByLabel("Label file").setInputFiles({ name: "liver.seg.dcm", mimeType: "application/dicom", buffer: seg });
  await page.getByLabel("Name").fill("Round-tripped SEG");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  const imported = page.getByTestId("annotation").filter({ hasText: "Round-tripped SEG" });
  await expect(imported).toContainText("imported · v1 · from dicom-seg", { timeout: 30_000 });
  // same liver volume as the label it came from
  const mL = async (l: typeof annotation) => (await l.textContent())!.match(/liver (\d+) mL/)![1];
  expect(await mL(imported)).toBe(await mL(annotation));
});
