// Three readers in separate browsers review one case together against the real product (worker +
// shipped model): each sees the others' presence and picks within a second, a majority closes the
// round and the rectified round appears for all, a reader who drops off the network comes back
// in sync without losing a vote, and the accepted candidate is what the case's NIfTI export holds.
import fs from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { readNifti } from "../lib/imaging/nifti-read";
import { ownCase, signedIn, trpc } from "./helpers";

const READERS = [
  { email: "reader1@demo.uair", name: "Rita Reader" },
  { email: "reader2@demo.uair", name: "Ravi Reader" },
  { email: "reader3@demo.uair", name: "Rosa Reader" },
];

/** A case of its own (the other specs keep the demo cases), uploaded, ingested, three readers assigned. */
async function teamCase(browser: Browser): Promise<string> {
  const ctx = await browser.newContext();
  const api = ctx.request;
  const caseId = await ownCase(api, `Team review ${Date.now()}`, "data/ct/patient-a/ct.nii.gz");
  const { members } = await trpc<{ members: { userId: string; name: string }[] }>(api, "assignment.forCase", { caseId }, "query");
  const ids = READERS.map((r) => members.find((m) => m.name === r.name)!.userId);
  await trpc(api, "assignment.set", { caseId, userIds: ids }, "mutation");
  await ctx.close();
  return caseId;
}

const review = (p: Page) => p.getByRole("region", { name: "review" });
const readers = (p: Page) => p.getByRole("region", { name: "readers" });

test("three readers pick together: presence, live picks, majority, the next round for all, reconnection, acceptance", async ({ browser }) => {
  test.setTimeout(300_000);
  const caseId = await teamCase(browser);
  const contexts = await Promise.all(READERS.map(() => browser.newContext()));
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  for (const [i, p] of pages.entries()) {
    await signedIn(p, READERS[i].email);
    await p.goto(`/cases/${caseId}`);
    await expect(p.getByTestId("viewer")).toHaveAttribute("data-ready", "true", { timeout: 60_000 });
  }
  const [rita, ravi, rosa] = pages;

  // presence: everyone sees the other two online
  for (const [i, p] of pages.entries()) {
    for (const [j, r] of READERS.entries()) {
      if (i === j) continue;
      await expect(readers(p).locator(`[data-reader="${r.name}"]`)).not.toContainText("offline", { timeout: 5000 });
    }
  }
  await expect(readers(ravi)).toContainText("Rule: majority");

  await review(rita).getByLabel("Structure to review").selectOption("tumour");
  await review(rita).getByRole("button", { name: "Start review" }).click();
  for (const p of pages) await expect(review(p).getByTestId("candidate").first()).toBeVisible({ timeout: 120_000 });

  // Rita's pick reaches the others within a second
  await review(rita).getByTestId("candidate").first().getByRole("button", { name: "Closest: refine" }).click();
  for (const p of [ravi, rosa]) await expect(review(p).getByTestId("candidate").first().getByTestId("voters")).toContainText("Rita Reader → refine", { timeout: 1000 });
  await expect(readers(rosa).getByTestId("consensus")).toContainText(/Waiting for 1 more vote/, { timeout: 1000 });

  // Ravi agrees: 2 of 3 is a majority; round 2 appears for everyone without reload
  await review(ravi).getByTestId("candidate").first().getByRole("button", { name: "Closest: refine" }).click();
  for (const p of pages) await expect(review(p).getByTestId("current-round")).toContainText("Round 2", { timeout: 5000 });
  for (const p of pages) await expect(review(p).getByTestId("candidate").first()).toBeVisible({ timeout: 120_000 });
  await expect(review(rosa).getByLabel("earlier rounds")).toContainText("Rita Reader: refine candidate 1");

  // Rosa drops off the network; Rita votes to accept meanwhile; Rosa comes back in sync
  await contexts[2].setOffline(true);
  await review(rita).getByTestId("candidate").first().getByRole("button", { name: "Accept" }).click();
  await expect(review(ravi).getByTestId("candidate").first().getByTestId("voters")).toContainText("Rita Reader ✓ accept", { timeout: 1000 });
  await contexts[2].setOffline(false);
  await expect(review(rosa).getByTestId("candidate").first().getByTestId("voters")).toContainText("Rita Reader ✓ accept", { timeout: 15_000 });

  // Rosa's accept makes the majority: the case is final for all three
  await review(rosa).getByTestId("candidate").first().getByRole("button", { name: "Accept" }).click();
  for (const p of pages) await expect(p.getByRole("heading", { level: 1 })).toContainText(/final/i, { timeout: 30_000 });

  // the case's NIfTI export is the accepted candidate, voxel for voxel
  const annotation = rita.getByTestId("annotation").filter({ hasText: "UAIR consensus" });
  await expect(annotation).toBeVisible({ timeout: 15_000 });
  const [download] = await Promise.all([rita.waitForEvent("download"), annotation.getByRole("link", { name: "NIfTI" }).click()]);
  const exported = readNifti(new Uint8Array(fs.readFileSync((await download.path())!)));
  const rounds = await trpc<{ id: string; index: number; candidates: { index: number; url: string }[] }[]>(rita.request, "review.rounds", { caseId }, "query");
  const accepted = await rita.request.get(rounds[1].candidates[0].url);
  const candidate = readNifti(new Uint8Array(await accepted.body()));
  expect(exported.dims).toEqual(candidate.dims);
  let differ = 0;
  let labelled = 0;
  for (let i = 0; i < candidate.data.length; i++) {
    if (exported.data[i] !== candidate.data[i]) differ++;
    if (candidate.data[i] > 0) labelled++;
  }
  expect(labelled).toBeGreaterThan(1000);
  expect(differ).toBe(0);
  await Promise.all(contexts.map((c) => c.close()));
});
