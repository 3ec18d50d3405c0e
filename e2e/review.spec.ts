// The selection loop in the browser against the real product (worker + shipped model on the demo
// CT): start a review, see a candidate on the viewer, refine toward it, accept, and the case is
// final with its consensus annotation.
import { expect, test } from "@playwright/test";
import { signedIn } from "./helpers";

test("a reader reviews a case by picking candidates and accepting one", async ({ page }) => {
  test.setTimeout(180_000);
  await signedIn(page, "reader2@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  await page.getByRole("link", { name: /Patient A/ }).click();
  await expect(page.getByRole("heading", { name: /Patient A/ })).toBeVisible();
  await expect(page.getByTestId("viewer")).toHaveAttribute("data-ready", "true", { timeout: 60_000 });

  const review = page.getByRole("region", { name: "review" });
  await review.getByLabel("Structure to review").selectOption("tumour");
  await review.getByRole("button", { name: "Start review" }).click();
  const round = review.getByTestId("current-round");
  await expect(round).toContainText("Round 1");
  const candidates = review.getByTestId("candidate");
  await expect(candidates.first()).toBeVisible({ timeout: 90_000 });
  await expect(review.getByTestId("recommended")).toContainText(/liver \d+ mL/);

  // one candidate at a time on the viewer
  await candidates.first().getByRole("button", { name: "Show" }).click();
  await expect(page.getByLabel("Show Round 1 · candidate 1")).toBeChecked();
  await expect(candidates.first().getByRole("button", { name: "Hide" })).toBeVisible();

  await candidates.first().getByRole("button", { name: "Closest: refine" }).click();
  await expect(round).toContainText("Round 2", { timeout: 30_000 });
  await expect(review.getByLabel("earlier rounds")).toContainText("Ravi Reader: refine candidate 1");
  await expect(candidates.first()).toBeVisible({ timeout: 90_000 });

  await review.getByTestId("recommended").getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("heading", { name: /Patient A/ })).toContainText(/final/i, { timeout: 30_000 });
  await expect(page.getByRole("region", { name: "annotations" })).toContainText("UAIR consensus");

  // a short touch-up with the brush saves version 2, saying who changed how many voxels
  const consensus = page.getByTestId("annotation").filter({ hasText: "UAIR consensus" });
  await consensus.getByRole("button", { name: "Touch up" }).click();
  const touch = page.getByTestId("touch-up");
  await expect(touch).toBeVisible();
  await expect(touch).not.toContainText("loading the label map", { timeout: 15_000 });
  await touch.getByRole("radio", { name: "Tumour" }).click();
  // one axial view filling the canvas: a stroke through its middle crosses the body
  await page.getByRole("button", { name: "Axial", exact: true }).click();
  const canvas = page.getByTestId("viewer-canvas");
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.52, { steps: 10 });
  await page.mouse.up();
  await touch.getByRole("button", { name: "Save as new version" }).click();
  await expect(touch).toContainText(/Saved version 2: \d+ voxels changed/, { timeout: 15_000 });
  await expect(consensus).toContainText(/v2/);
  await expect(consensus).toContainText(/touched up by Ravi Reader: \d+ voxels? changed from v1/);
});
