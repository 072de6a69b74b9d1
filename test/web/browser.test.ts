import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { matchMaker } from "@colyseus/core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TEXT_CHARS } from "../../src/protocol/client-messages.js";
import { expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import {
  buildPage,
  denyMicrophone,
  launchChromium,
  pageLink,
  recordRenderings,
  renderingsOf,
  reportDeviceRate,
  speechSamples,
  writeSpeechWav,
} from "./browser-harness.js";

/**
 * The client in a real Chromium: fake microphone fed a spoken WAV (looped), WebRTC over loopback, one engine for
 * every test. Chromium is launched once per WAV rate (the file is a launch flag); most tests use the 48 kHz one.
 */
const WAV_RATES = [48_000, 16_000] as const;
const TRANSCRIPT_TIMEOUT_MS = 30_000;
const PEER_TIMEOUT_MS = 15_000;
/** The speech starts 1 s into the looped file and lasts ≈ 3 s: `speaking` shows within one loop (≈ 6 s). */
const SPEAKING_TIMEOUT_MS = 10_000;
/** The SDK reconnects only connections up at least this long (its `reconnection.minUptime` default). */
const SDK_MIN_UPTIME_MS = 5_000;

let t: TestEngine;
let scratch: string;
const contexts = new Map<number, BrowserContext>();

beforeAll(async () => {
  buildPage();
  scratch = await mkdtemp(join(tmpdir(), "browser-test-"));
  const speech = await speechSamples();
  const wavs = await Promise.all(WAV_RATES.map((rate) => writeSpeechWav(speech, rate, scratch)));
  t = await startTestEngine();
  await expectModelsLoaded(t);
  await Promise.all(
    WAV_RATES.map(async (rate, i) => contexts.set(rate, await launchChromium(join(scratch, `profile-${rate}`), wavs[i]!))),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([...contexts.values()].map((context) => context.close()));
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function link(sessionId: string, token: string): string {
  return pageLink(t.engine.httpUrl, sessionId, token);
}

function context(rate: (typeof WAV_RATES)[number] = 48_000): BrowserContext {
  const found = contexts.get(rate);
  if (found === undefined) throw new Error(`no Chromium for ${rate} Hz`);
  return found;
}

/** A page of the 48 kHz Chromium; `prepare` runs before it loads (init scripts). */
async function openPage(url: string, prepare?: (page: Page) => Promise<void>, rate?: (typeof WAV_RATES)[number]): Promise<Page> {
  const page = await context(rate).newPage();
  await prepare?.(page);
  await page.goto(url);
  return page;
}

function connected(page: Page): Promise<void> {
  return expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("connected");
}

function speakingOf(page: Page, participantId: string) {
  return page.locator(`[data-testid="participant"][data-id="${participantId}"] [data-testid="speaking"]`);
}

function transcriptOf(page: Page, speaker: string) {
  return page.getByTestId("transcript-segment").filter({ hasText: `${speaker}: ` }).filter({ hasText: /meeting/i }).filter({ hasText: /engine/i }).first();
}

describe("browser client", () => {
  it("serves the page, its bundles and a favicon (SVG, and /favicon.ico for clients that ask for it)", async () => {
    const index = await fetch(`${t.engine.httpUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('data-testid="status"');
    expect((await fetch(`${t.engine.httpUrl}/app.js`)).status).toBe(200);
    expect((await fetch(`${t.engine.httpUrl}/capture-worklet.js`)).status).toBe(200);
    const ico = await fetch(`${t.engine.httpUrl}/favicon.ico`);
    expect(ico.status).toBe(200);
    expect(ico.headers.get("content-type")).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    expect([...new Uint8Array(await ico.arrayBuffer()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    const svg = await fetch(`${t.engine.httpUrl}/favicon.svg`);
    expect(svg.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    // Every icon the page links decodes in Chromium (the .ico is built, not copied: this checks its format).
    const page = await openPage(`${t.engine.httpUrl}/`);
    try {
      const icons = await page.evaluate(() =>
        Promise.all(
          [...document.querySelectorAll<HTMLLinkElement>('link[rel="icon"]')].map(async (icon) => {
            const image = new Image();
            image.src = icon.href;
            await image.decode();
            return { href: new URL(icon.href).pathname, width: image.naturalWidth };
          }),
        ),
      );
      expect(icons).toEqual([
        { href: "/favicon.svg", width: expect.any(Number) },
        { href: "/favicon.ico", width: 32 },
      ]);
    } finally {
      await page.close();
    }
  });

  describe.each(WAV_RATES)("microphone fed a %d Hz WAV", (wavRate) => {
    // At 16 kHz the track also reports 16 kHz, as a Bluetooth headset in hands-free mode does: the page's audio graph
    // runs at 16 kHz and sends as it captures; at 48 kHz it converts to 16 kHz.
    const deviceRate = wavRate === 16_000 ? 16_000 : null;
    it("captures at the device's rate, streams it and shows the live transcript", async () => {
      const { id, token } = await t.createSession({ kind: "meeting" });
      const page = await openPage(link(id, token), deviceRate === null ? undefined : (p) => reportDeviceRate(p, deviceRate), wavRate);
      try {
        await connected(page);
        expect(await page.getByTestId("mic").getAttribute("data-capture-rate")).toBe(String(deviceRate ?? 48_000));
        expect(await page.getByTestId("mic").getAttribute("data-send-rate")).toBe("16000");
        await expect.poll(() => page.getByTestId("participant").count(), { timeout: 10_000 }).toBe(1);
        await transcriptOf(page, "Host").waitFor({ timeout: TRANSCRIPT_TIMEOUT_MS });
        if (wavRate === 48_000) {
          await mkdir("test-artifacts", { recursive: true });
          await page.screenshot({ path: "test-artifacts/transcript.png", fullPage: true });
          if (process.env["UPDATE_SCREENSHOT"] === "1") await copyFile("test-artifacts/transcript.png", "docs/screenshot.png");
        }
        await page.getByTestId("leave").click();
        await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 5_000 }).toBe("left");
      } finally {
        await page.close();
      }
    }, 60_000);
  });

  it("a 44.1 kHz device is converted to 16 kHz and an 8 kHz one sent as it is: both transcribed", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const guest = await t.token(id, "guest", "participant", { name: "Guest" });
    const host = await openPage(link(id, token), (p) => reportDeviceRate(p, 44_100));
    const other = await openPage(link(id, guest), (p) => reportDeviceRate(p, 8_000));
    try {
      await Promise.all([connected(host), connected(other)]);
      expect(await host.getByTestId("mic").getAttribute("data-capture-rate")).toBe("44100");
      expect(await host.getByTestId("mic").getAttribute("data-send-rate")).toBe("16000");
      expect(await other.getByTestId("mic").getAttribute("data-capture-rate")).toBe("8000");
      expect(await other.getByTestId("mic").getAttribute("data-send-rate")).toBe("8000");
      await Promise.all([transcriptOf(host, "Host"), transcriptOf(host, "Guest")].map((s) => s.waitFor({ timeout: TRANSCRIPT_TIMEOUT_MS })));
    } finally {
      await Promise.all([host.close(), other.close()]);
    }
  }, 60_000);

  it("shows the session's title and kind, in the heading and the tab", async () => {
    const meeting = await t.createSession({ kind: "meeting", title: "Weekly sync" });
    const tutoring = await t.createSession({ kind: "tutoring", tutor_id: "tutor-1", student_id: "student-1" });
    const titled = await openPage(link(meeting.id, meeting.token), denyMicrophone);
    const untitled = await openPage(link(tutoring.id, tutoring.token), denyMicrophone);
    try {
      await Promise.all([connected(titled), connected(untitled)]);
      await expect.poll(() => titled.getByRole("heading", { level: 1 }).textContent()).toBe("Weekly sync");
      expect(await titled.getByTestId("kind").textContent()).toBe("Meeting");
      expect(await titled.title()).toBe("Weekly sync · Meeting");
      // No title: named by its kind.
      await expect.poll(() => untitled.getByTestId("kind").textContent()).toBe("Tutoring session");
      expect(await untitled.getByRole("heading", { level: 1 }).textContent()).toBe("Tutoring session");
      expect(await untitled.title()).toBe("Tutoring session");
      expect(await untitled.getByTestId("leave").textContent()).toBe("Leave session");
    } finally {
      await Promise.all([titled.close(), untitled.close()]);
    }
  }, 30_000);

  it("text chat: a message reaches every page; one the engine refuses shows its reason and stays in the field", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const guest = await t.token(id, "guest", "participant", { name: "Guest" });
    const host = await openPage(link(id, token), denyMicrophone);
    const other = await openPage(link(id, guest), denyMicrophone);
    try {
      await Promise.all([connected(host), connected(other)]);
      const field = other.getByRole("textbox", { name: "Message" });
      await field.fill("Hello from the guest");
      await field.press("Enter");
      await other.getByTestId("chat-message").filter({ hasText: "Guest (you): Hello from the guest" }).waitFor({ timeout: 5_000 });
      await host.getByTestId("chat-message").filter({ hasText: "Guest: Hello from the guest" }).waitFor({ timeout: 5_000 });
      expect(await field.inputValue()).toBe("");

      const tooLong = "x".repeat(MAX_TEXT_CHARS + 1);
      await host.getByRole("textbox", { name: "Message" }).fill(tooLong);
      await host.getByRole("button", { name: "Send" }).click();
      const refusal = host.getByRole("alert").filter({ hasText: "Message not sent" });
      await refusal.waitFor({ timeout: 5_000 });
      expect(await refusal.textContent()).toMatch(/invalid_message/);
      expect(await refusal.textContent()).toContain(String(MAX_TEXT_CHARS));
      expect(await host.getByRole("textbox", { name: "Message" }).inputValue()).toBe(tooLong);
      expect(await other.getByTestId("chat-message").count()).toBe(1);
    } finally {
      await Promise.all([host.close(), other.close()]);
    }
  }, 30_000);

  it("mute mid-utterance ends `speaking`; Leave says you left and shows nobody speaking any more", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const page = await openPage(link(id, token));
    try {
      await connected(page);
      await speakingOf(page, "host").waitFor({ timeout: SPEAKING_TIMEOUT_MS });
      await page.getByRole("button", { name: "Mute microphone" }).click();
      await speakingOf(page, "host").waitFor({ state: "detached", timeout: 5_000 });
      await page.getByRole("button", { name: "Unmute microphone" }).click();
      await speakingOf(page, "host").waitFor({ timeout: SPEAKING_TIMEOUT_MS });
      await page.getByRole("button", { name: "Leave meeting" }).click();
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 5_000 }).toBe("left");
      expect(await page.getByTestId("notice").textContent()).toBe("You left the meeting.");
      expect(await page.getByTestId("speaking").count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 40_000);

  it("a participant dropped or replaced mid-utterance is not left shown speaking to the others", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const observerToken = await t.token(id, "watcher", "observer", { name: "Watcher" });
    const watcher = await openPage(link(id, observerToken));
    let speaker = await openPage(link(id, token));
    const pages = [watcher, speaker];
    try {
      await Promise.all([connected(watcher), connected(speaker)]);
      await recordRenderings(watcher, "host");

      // Dropped: the socket dies while the host speaks. Away and speaking is never shown.
      await speakingOf(watcher, "host").waitFor({ timeout: SPEAKING_TIMEOUT_MS });
      const room = matchMaker.getLocalRoomById(id);
      for (const client of room.clients) {
        if ((client.auth as { participantId?: string }).participantId === "host") (client.ref as unknown as { terminate(): void }).terminate();
      }
      await expect.poll(() => renderingsOf(watcher), { timeout: 5_000 }).toContainEqual(expect.stringMatching(/^Host — host, away$/));
      expect((await renderingsOf(watcher)).filter((text) => text.includes("away") && text.includes("speaking"))).toEqual([]);
      await speaker.close();

      // Replaced: the host comes back in a new tab, speaks, and opens a third tab without a microphone mid-utterance.
      speaker = await openPage(link(id, token));
      pages.push(speaker);
      const silent = await context().newPage();
      pages.push(silent);
      await denyMicrophone(silent);
      await speakingOf(watcher, "host").waitFor({ timeout: SPEAKING_TIMEOUT_MS });
      await silent.goto(link(id, token));
      await connected(silent);
      await expect.poll(() => speaker.getByTestId("status").textContent(), { timeout: 5_000 }).toBe("replaced");
      expect(await speaker.getByTestId("notice").textContent()).toBe(
        "You joined this meeting from another tab or device, so this page was disconnected.",
      );
      await speakingOf(watcher, "host").waitFor({ state: "detached", timeout: 3_000 });
      expect(await watcher.locator('[data-testid="participant"][data-id="host"]').textContent()).toBe("Host — host");
    } finally {
      await Promise.all(pages.filter((page) => !page.isClosed()).map((page) => page.close()));
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

  it("when the session is ended the page says so, distinct from leaving", async () => {
    const { id, token } = await t.createSession({ kind: "meeting", title: "Ending soon" });
    const page = await openPage(link(id, token), denyMicrophone);
    try {
      await connected(page);
      expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("ended");
      expect(await page.getByTestId("notice").textContent()).toBe("The meeting has ended: the organiser ended it.");
      expect(await page.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
    } finally {
      await page.close();
    }
  }, 20_000);

  it("shows reconnecting when the server drops the socket, then connected again", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    // The page's clock, faked (it keeps running in real time) so the SDK's minimum uptime can be skipped below
    // instead of waited out. Installed for the context: later pages get it too, still running in real time (this
    // test runs last for that reason).
    await context().clock.install();
    const page = await openPage(link(id, token));
    try {
      await connected(page);
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
