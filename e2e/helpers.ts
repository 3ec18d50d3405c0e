import fs from "node:fs";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

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

/** tRPC over HTTP as the demo admin (superjson envelope). */
export async function trpc<T>(api: APIRequestContext, path: string, input: unknown, kind: "query" | "mutation"): Promise<T> {
  const res =
    kind === "query"
      ? await api.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await api.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = await res.json();
  if (!res.ok()) throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.result.data.json as T;
}

/** A case of the demo project of its own (the other specs keep the demo cases), uploaded and READY, as the demo admin. */
export async function ownCase(api: APIRequestContext, label: string, ctPath: string): Promise<string> {
  await trpc(api, "auth.signIn", { email: "admin@demo.uair", password: DEMO_PASSWORD }, "mutation");
  const [project] = await trpc<{ id: string }[]>(api, "project.list", undefined, "query");
  const { caseId } = await trpc<{ caseId: string }>(api, "case.create", { projectId: project.id, label }, "mutation");
  const put = await api.put(`/api/cases/${caseId}/files/ct.nii.gz`, { data: fs.readFileSync(ctPath) });
  expect(put.status()).toBe(200);
  await trpc(api, "case.startIngest", { caseId }, "mutation");
  await expect.poll(async () => (await trpc<{ status: string }>(api, "case.byId", { caseId }, "query")).status, { timeout: 90_000 }).toBe("READY");
  return caseId;
}
