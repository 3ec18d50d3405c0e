import { expect, test } from "@playwright/test";
import { signIn, signedIn } from "./helpers";

test("a signed-out visitor is sent to sign-in", async ({ page }) => {
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/signin\?next=%2Fprojects/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
});

test("a wrong password shows an error and signs nobody in", async ({ page, context }) => {
  await signIn(page, "reader1@demo.uair", "not-the-password");
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password" })).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
  expect((await context.cookies()).find((c) => c.name === "uair_session")).toBeUndefined();
});

test("a demo reader signs in, opens the demo project and its cases, and signs out", async ({ page, context }) => {
  await signedIn(page, "reader1@demo.uair");
  const cookie = (await context.cookies()).find((c) => c.name === "uair_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");
  await expect(page.getByTestId("current-user")).toHaveText("Rita Reader");

  await page.getByRole("link", { name: "Liver CT demo" }).click();
  await expect(page.getByRole("heading", { name: "Liver CT demo" })).toBeVisible();
  await expect(page.getByText("Demo University Hospital · your role: reader")).toBeVisible();
  const rows = page.getByTestId("case-row");
  const demo = ["Patient A — abdomen CT (NIfTI, RAS)", "Patient B — upper abdomen (DICOM series)", "No liver — pelvic CT (NIfTI, PLI)"];
  // the worker ingests the demo cases; the page follows without reload
  for (const label of demo) await expect(rows.filter({ hasText: label }).locator('[data-status="READY"]')).toBeVisible({ timeout: 60_000 });

  await page.getByRole("link", { name: /Patient A/ }).click();
  await expect(page.getByRole("heading", { name: /Patient A/ })).toBeVisible();
  await expect(page.getByText("RAS (stored canonically as RAS)")).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/signin/);
});
