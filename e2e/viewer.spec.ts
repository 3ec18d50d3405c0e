// The CT viewer on the case page, against the real product with its demo data: the volume draws
// (not a blank canvas), window presets and W work, the liver overlay lands on the patient's right
// (image left, radiological convention) and the status line reads RAS mm and HU under the cursor.
import { expect, test, type Locator } from "@playwright/test";
import { decode } from "fast-png";
import { signedIn } from "./helpers";

// the import has finished (the review spec may already have reviewed Patient A)
const IMPORTED = '[data-status="READY"], [data-status="IN_REVIEW"], [data-status="FINAL"]';

type Shot = { width: number; height: number; rgb: (x: number, y: number) => [number, number, number] };

async function shoot(canvas: Locator, path?: string): Promise<Shot> {
  const png = decode(await canvas.screenshot(path ? { path } : {}));
  const { width, height, data, channels } = png;
  const rgb = (x: number, y: number): [number, number, number] => {
    const i = (y * width + x) * channels;
    return [data[i], data[i + 1], data[i + 2]];
  };
  return { width, height, rgb };
}

/** Grey-level spread: a blank or one-colour canvas has ~0 standard deviation and few levels. */
function greyStats(s: Shot) {
  const levels = new Set<number>();
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = 0; y < s.height; y += 2)
    for (let x = 0; x < s.width; x += 2) {
      const [r, g, b] = s.rgb(x, y);
      const v = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      levels.add(v);
      n++;
      sum += v;
      sum2 += v * v;
    }
  return { levels: levels.size, std: Math.sqrt(sum2 / n - (sum / n) ** 2) };
}

/** Pixels tinted by the liver colour (orange: red well above blue), not greys or the blue crosshair. */
const isLiver = ([r, g, b]: [number, number, number]) => r - b > 45 && g - b > 15 && r >= g;

function liverPixels(s: Shot) {
  const pts: [number, number][] = [];
  for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) if (isLiver(s.rgb(x, y))) pts.push([x, y]);
  return pts;
}

/** A liver pixel whose whole 7×7 neighbourhood is liver, nearest the liver centroid. */
function liverInterior(s: Shot, pts: [number, number][]): [number, number] | null {
  const cx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const cy = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  let best: [number, number] | null = null;
  let bestD = Infinity;
  for (const [x, y] of pts) {
    if (x < 3 || y < 3 || x >= s.width - 3 || y >= s.height - 3) continue;
    let inside = true;
    for (let dy = -3; dy <= 3 && inside; dy++) for (let dx = -3; dx <= 3 && inside; dx++) inside = isLiver(s.rgb(x + dx, y + dy));
    const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (inside && d < bestD) {
      best = [x, y];
      bestD = d;
    }
  }
  return best;
}

const MM = /^(-?\d+\.\d), (-?\d+\.\d), (-?\d+\.\d) mm$/;
const HU = /^(-?\d+) HU$/;

test("the case viewer shows the CT, windows, overlays and the crosshair readout", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await signedIn(page, "reader1@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  const rows = page.getByTestId("case-row");
  // other specs may have added cases to the demo project: wait for Patient A itself
  await expect(rows.filter({ hasText: "Patient A" }).locator(IMPORTED)).toBeVisible({ timeout: 60_000 });
  await page.getByRole("link", { name: /Patient A/ }).click();
  await expect(page.getByRole("heading", { name: /Patient A/ })).toBeVisible();

  const viewer = page.getByTestId("viewer");
  const canvas = page.getByTestId("viewer-canvas");
  const status = page.getByTestId("viewer-status");
  // first paint comes from the preview; the checks below need the full-resolution volume
  await expect(viewer).toHaveAttribute("data-ready", "true", { timeout: 60_000 });
  await expect(viewer).toHaveAttribute("data-full", "true", { timeout: 60_000 });
  await expect(page.getByTestId("viewer-preview")).toHaveCount(0);
  await expect(page.getByTestId("viewer-error")).toHaveCount(0);

  // 1. the 2×2 layout draws real image content
  const mpr = await shoot(canvas, testInfo.outputPath("viewer-mpr.png"));
  const stats = greyStats(mpr);
  expect(stats.levels, "distinct grey levels in the canvas").toBeGreaterThan(40);
  expect(stats.std, "grey-level standard deviation").toBeGreaterThan(15);

  // 2. window presets: buttons and the W key (cycles Liver → Abdomen → Bone → Lung)
  const width = page.getByLabel("Window width (HU)");
  const level = page.getByLabel("Window level / centre (HU)");
  await expect(width).toHaveValue("150");
  await page.getByRole("button", { name: "Bone" }).click();
  await expect(width).toHaveValue("1800");
  await expect(level).toHaveValue("400");
  await expect(status).toContainText("W 1800 / L 400 HU");
  await canvas.focus();
  await page.keyboard.press("w");
  await expect(width).toHaveValue("1500");
  await expect(level).toHaveValue("-600");
  await page.getByRole("button", { name: "Abdomen" }).click();
  await expect(status).toContainText("W 400 / L 50 HU");
  await level.fill("60");
  await expect(status).toContainText("W 400 / L 60 HU");

  // 3. the liver overlay, in the coronal view through the volume centre
  await page.getByRole("button", { name: "Coronal", exact: true }).click();
  await expect(page.getByRole("button", { name: "Coronal", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => liverPixels(await shoot(canvas)).length, { message: "no liver tint before the overlay is on" }).toBeLessThan(50);
  await page.getByLabel("Show TotalSegmentator liver").check();
  let coronal: Shot | null = null;
  await expect
    .poll(async () => liverPixels((coronal = await shoot(canvas))).length, { message: "liver overlay pixels", timeout: 20_000 })
    .toBeGreaterThan(500);
  await canvas.screenshot({ path: testInfo.outputPath("viewer-coronal-liver.png") });
  const liver = liverPixels(coronal!);
  const meanX = liver.reduce((a, p) => a + p[0], 0) / liver.length;
  // radiological convention: the patient's right (the liver) is on the image left
  expect(meanX / coronal!.width, "liver centroid, fraction of canvas width").toBeLessThan(0.5);

  // opacity 0 hides the tint; outline mode with opacity 0 keeps only the border; back to filled 50 %
  const opacity = page.getByLabel("Opacity of TotalSegmentator liver");
  await opacity.fill("0");
  await expect.poll(async () => liverPixels(await shoot(canvas)).length, { message: "liver tint at opacity 0" }).toBeLessThan(50);
  await page.getByLabel("Outline borders").check();
  await expect
    .poll(async () => liverPixels(await shoot(canvas, testInfo.outputPath("viewer-outline.png"))).length, { message: "liver pixels, outline only" })
    .toBeGreaterThan(100);
  const outlined = liverPixels(await shoot(canvas)).length;
  expect(outlined, "outline is thinner than the filled liver").toBeLessThan(liver.length * 0.6);
  await page.getByLabel("Outline borders").uncheck();
  await opacity.fill("0.5");
  await expect.poll(async () => liverPixels(await shoot(canvas)).length).toBeGreaterThan(liver.length * 0.9);

  // 4. click inside the liver: the status line reads RAS mm, a soft-tissue HU and the label
  const target = liverInterior(coronal!, liver);
  expect(target, "an interior liver pixel to click").not.toBeNull();
  await canvas.click({ position: { x: target![0], y: target![1] } });
  const mmText = page.getByTestId("viewer-mm");
  const huText = page.getByTestId("viewer-hu");
  await expect(status).toContainText("Liver");
  await expect(mmText).toHaveText(MM);
  await expect(huText).toHaveText(HU);
  const hu = Number(HU.exec((await huText.textContent()) ?? "")![1]);
  expect(hu, "HU inside the liver (patient A: mean ≈ 44)").toBeGreaterThan(-20);
  expect(hu, "HU inside the liver (patient A: mean ≈ 44)").toBeLessThan(150);
  const mm = MM.exec((await mmText.textContent()) ?? "")!.slice(1).map(Number);
  expect(mm[0], "liver is on the patient's right: x > 0 in RAS").toBeGreaterThan(0);

  // 5. arrow keys page through the coronal view: y moves by one 3 mm voxel, PageDown by ten
  const y = async () => Number(MM.exec((await mmText.textContent()) ?? "")?.[2]);
  await page.keyboard.press("ArrowUp");
  await expect.poll(y).toBeCloseTo(mm[1] + 3, 1);
  await page.keyboard.press("PageDown");
  await expect.poll(y).toBeCloseTo(mm[1] + 3 - 30, 1);

  // the mouse wheel scrolls slices too; "+" zooms (more liver pixels), "Reset view" undoes it
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + target![0], box.y + target![1]);
  const yBefore = await y();
  await page.mouse.wheel(0, -100);
  await expect.poll(y).not.toBe(yBefore);
  // zoom: the body gets wider on the row through the canvas centre; "Reset view" undoes it
  const bodyWidth = (s: Shot) => {
    let n = 0;
    for (let x = 0; x < s.width; x++) if (s.rgb(x, s.height >> 1).some((c) => c > 40)) n++;
    return n;
  };
  const w0 = bodyWidth(await shoot(canvas));
  await page.getByRole("button", { name: "Zoom in" }).click();
  await expect.poll(async () => bodyWidth(await shoot(canvas)), { message: "body width after zoom in" }).toBeGreaterThan(w0 * 1.15);
  await page.getByRole("button", { name: "Reset view" }).click();
  await expect.poll(async () => Math.abs(bodyWidth(await shoot(canvas)) - w0), { message: "body width after reset" }).toBeLessThan(w0 * 0.03);

  // 6. the 2×2 layout with the overlay on, for the record
  await page.getByRole("button", { name: "2×2" }).click();
  await page.getByRole("button", { name: "Liver", exact: true }).click();
  await expect(page.getByLabel("Window width (HU)")).toHaveValue("150");
  await canvas.screenshot({ path: testInfo.outputPath("viewer-mpr-liver.png") });
  await page.screenshot({ path: testInfo.outputPath("viewer-page.png"), fullPage: true });
  expect(pageErrors, "uncaught errors in the page").toEqual([]);
});

test("a volume that cannot be fetched shows an error in the viewer, and the rest of the page stays", async ({ page }) => {
  await page.route(/\/api\/cases\/[^/]+\/(volume|preview)\.nii\.gz/, (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: "storage unavailable" }) }),
  );
  await signedIn(page, "reader1@demo.uair");
  await page.getByRole("link", { name: "Liver CT demo" }).click();
  await expect(page.getByTestId("case-row").filter({ hasText: "Patient A" }).locator(IMPORTED)).toBeVisible({ timeout: 60_000 });
  await page.getByRole("link", { name: /Patient A/ }).click();
  await expect(page.getByTestId("viewer-error")).toHaveText("Could not download the CT: storage unavailable");
  await expect(page.getByTestId("viewer")).toHaveAttribute("data-ready", "false");
  await expect(page.getByText("RAS (stored canonically as RAS)")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Annotations" })).toBeVisible();
});
