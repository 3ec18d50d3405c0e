import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "uair-demo";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signedIn(page: Page, email: string) {
  await signIn(page, email);
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
}
