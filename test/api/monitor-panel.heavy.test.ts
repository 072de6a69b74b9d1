import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, startTestEngine, type TestEngine } from "../support/engine.js";

/** The Colyseus monitor panel in a real Chromium: what an operator sees, and what the page asks the network for. */
const CHROMIUM = "/usr/bin/chromium";

let t: TestEngine;
let context: BrowserContext;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "monitor-panel-test-"));
  t = await startTestEngine();
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    httpCredentials: { username: "operator", password: ADMIN_KEY },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the monitor panel in a browser", () => {
  it("lists the session's room with its kind, lifecycle status and participants, asking no other host for anything", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const room = await t.join(id, token);
    const page = await context.newPage();
    const origin = new URL(t.engine.httpUrl).origin;
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    // Anything the CSP refused other than the data grid's eval probe: a load the page meant to make elsewhere.
    const refused: string[] = [];
    await page.exposeFunction("reportRefused", (uri: string) => refused.push(uri));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        if (event.blockedURI !== "eval") void (window as unknown as { reportRefused(uri: string): Promise<void> }).reportRefused(event.blockedURI);
      });
    });

    await page.goto(`${t.engine.httpUrl}/monitor/`);
    const row = page.locator('[role="row"]', { has: page.locator('[data-field="roomId"]', { hasText: id }) });
    await row.waitFor({ timeout: 15_000 });
    for (const header of ["kind", "status", "participants"]) {
      await expect(page.locator(`[role="columnheader"][data-field="${header}"]`).innerText({ timeout: 5_000 })).resolves.toBe(header);
    }
    // The panel polls the API: the row shows "live" once the join has gone through the session machine.
    const cells = await eventually(async () => {
      const shown = await Promise.all(["kind", "status", "participants"].map((field) => row.locator(`[data-field="${field}"]`).innerText()));
      return shown[1] === "live" ? shown : undefined;
    }, 15_000);
    expect(cells).toEqual(["meeting", "live", "1"]);

    expect(requested.length).toBeGreaterThan(2); // the page, its bundles, the API
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
    await room.leave(true);
  }, 60_000);
});
