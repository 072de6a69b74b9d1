import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { matchMaker } from "@colyseus/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resample } from "../../src/inference/audio/resample.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { padWithSilence, synthesizeSpeech } from "../support/speech.js";

/** The client in a real Chromium: fake microphone fed a spoken WAV (looped), WebRTC over loopback. */
const CHROMIUM = "/usr/bin/chromium";
const SENTENCE = "hello world, this is a test of the meeting engine";
/** Chromium's usual capture rate: the page's 16 kHz AudioContext resamples it. */
const WAV_RATE = 48_000;
const TRANSCRIPT_TIMEOUT_MS = 30_000;
const PEER_TIMEOUT_MS = 15_000;
/** The SDK reconnects only connections up at least this long (its `reconnection.minUptime` default). */
const SDK_MIN_UPTIME_MS = 5_000;

let t: TestEngine;
let context: BrowserContext;
let scratch: string;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "inherit" });
  scratch = await mkdtemp(join(tmpdir(), "browser-test-"));
  const speech = await synthesizeSpeech(SENTENCE);
  const padded = padWithSilence(speech.samples16k, 1_000, 2_000);
  const wavPath = join(scratch, "speech.wav");
  await writeFile(wavPath, encodeWav(resample(padded, speech.sampleRate, WAV_RATE), WAV_RATE));
  t = await startTestEngine();
  await expectModelsLoaded(t);
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wavPath}`,
    ],
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function link(sessionId: string, token: string): string {
  return `${t.engine.httpUrl}/?session=${encodeURIComponent(sessionId)}&token=${encodeURIComponent(token)}`;
}

async function openPage(url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

describe("browser client", () => {
  it("serves the page at / and its bundles", async () => {
    const index = await fetch(`${t.engine.httpUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('data-testid="status"');
    expect((await fetch(`${t.engine.httpUrl}/app.js`)).status).toBe(200);
    expect((await fetch(`${t.engine.httpUrl}/capture-worklet.js`)).status).toBe(200);
  });

  it("streams the microphone and shows the live transcript", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const page = await openPage(link(id, token));
    try {
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("connected");
      await expect.poll(() => page.getByTestId("participant").count(), { timeout: 10_000 }).toBe(1);
      const segment = page.getByTestId("transcript-segment").filter({ hasText: /meeting/i }).filter({ hasText: /engine/i }).first();
      await segment.waitFor({ timeout: TRANSCRIPT_TIMEOUT_MS });
      expect(await segment.textContent()).toMatch(/^Host: /);
      await mkdir("test-artifacts", { recursive: true });
      await page.screenshot({ path: "test-artifacts/transcript.png", fullPage: true });
      if (process.env["UPDATE_SCREENSHOT"] === "1") await copyFile("test-artifacts/transcript.png", "docs/screenshot.png");
      await page.getByTestId("leave").click();
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 5_000 }).toBe("left");
    } finally {
      await page.close();
    }
  }, 60_000);

  it("two pages in one meeting connect a WebRTC call through the signal relay", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const guest = await t.token(id, "guest", "participant", { name: "Guest" });
    const host = await openPage(link(id, token));
    const other = await openPage(link(id, guest));
    try {
      for (const [page, peerId] of [[host, "guest"], [other, "host"]] as const) {
        const peer = page.locator(`[data-testid="peer"][data-peer="${peerId}"]`);
        await expect.poll(() => peer.getAttribute("data-state"), { timeout: PEER_TIMEOUT_MS }).toBe("connected");
      }
      await expect.poll(() => other.locator("#remote-audio audio").count()).toBe(1);
    } finally {
      await Promise.all([host.close(), other.close()]);
    }
  }, 40_000);

  it("a tampered token shows a clear message, not a blank page", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const [header, payload = "", signature = ""] = token.split(".");
    const flipped = payload.slice(0, 5) + (payload[5] === "A" ? "B" : "A") + payload.slice(6);
    const page = await openPage(link(id, `${header}.${flipped}.${signature}`));
    try {
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("error: token_invalid");
      expect(await page.getByRole("alert").textContent()).toContain("This join link is not valid");
    } finally {
      await page.close();
    }
  }, 20_000);

  it("shows reconnecting when the server drops the socket, then connected again", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    // The page's clock, faked (it keeps running in real time) so the SDK's minimum uptime can be skipped below
    // instead of waited out. Installed for the context: later pages get it too, still running in real time.
    await context.clock.install();
    const page = await openPage(link(id, token));
    try {
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("connected");
      // Every status the page shows, so a short-lived "reconnecting" is not missed between polls.
      await page.evaluate(() => {
        const status = document.querySelector('[data-testid="status"]');
        const seen: string[] = [];
        Object.assign(window, { seenStatuses: seen });
        if (status) new MutationObserver(() => seen.push(status.textContent ?? "")).observe(status, { childList: true, characterData: true, subtree: true });
      });
      // The SDK reconnects only a connection up for its minimum uptime: move the page's clock past it.
      await page.clock.fastForward(SDK_MIN_UPTIME_MS + 500);
      const room = matchMaker.getLocalRoomById(id);
      for (const client of room.clients) (client.ref as unknown as { terminate(): void }).terminate();
      const seen = () => page.evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses.join(","));
      await expect.poll(seen, { timeout: 15_000 }).toBe("reconnecting,connected");
    } finally {
      await page.close();
    }
  }, 40_000);
});
