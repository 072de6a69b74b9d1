import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VIDEO_FPS, MAX_VIDEO_MESSAGE_BYTES } from "../../src/protocol/client-messages.js";
import { EXPRESSION_NAMES, type ExpressionMessage } from "../../src/protocol/server-messages.js";
import { collect, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { createTestPhotos, type TestPhotoName } from "../support/test-photos.js";
import { buildPage, denyCamera, launchChromium, pageLink, writeSilentWav } from "./browser-harness.js";
import { writeY4mFromJpeg } from "./y4m.js";

/**
 * The camera in a real Chromium: its fake camera loops a Y4M made from a real photo (the astronaut's portrait, or the
 * cat for "no face"), its fake microphone loops silence (the calls carry audio, the pool transcribes nothing). One
 * Chromium per photo (the file is a launch flag), one engine for every test.
 */
const CAMERAS: readonly TestPhotoName[] = ["astronaut", "chelsea"];
/** Short, so the cat's `no_face` comes within seconds rather than the default 10. */
const NO_FACE_AFTER_MS = 1_500;
/** First frame → decode, detection, expression → broadcast, on two shared cores. */
const ANALYSIS_TIMEOUT_MS = 20_000;
const PEER_TIMEOUT_MS = 15_000;

let t: TestEngine;
let scratch: string;
const contexts = new Map<TestPhotoName, BrowserContext>();

beforeAll(async () => {
  buildPage();
  scratch = await mkdtemp(join(tmpdir(), "camera-test-"));
  const photos = createTestPhotos();
  const [engine, wav, ...cameras] = await Promise.all([
    startTestEngine({ noFaceAfterMs: NO_FACE_AFTER_MS }),
    writeSilentWav(scratch),
    ...CAMERAS.map(async (name) => writeY4mFromJpeg((await photos.photo(name)).jpeg, join(scratch, `${name}.y4m`))),
  ]);
  t = engine;
  await expectModelsLoaded(t);
  await Promise.all(CAMERAS.map(async (name, i) => contexts.set(name, await launchChromium(join(scratch, `profile-${name}`), wav, cameras[i]))));
}, 120_000);

afterAll(async () => {
  await Promise.all([...contexts.values()].map((context) => context.close()));
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A page of the Chromium whose camera shows `camera`, once connected; `prepare` runs before it loads. */
async function openPage(
  sessionId: string,
  token: string,
  camera: TestPhotoName = "astronaut",
  prepare?: (page: Page) => Promise<void>,
): Promise<Page> {
  const context = contexts.get(camera);
  if (context === undefined) throw new Error(`no Chromium for ${camera}`);
  const page = await context.newPage();
  await prepare?.(page);
  await page.goto(pageLink(t.engine.httpUrl, sessionId, token));
  await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("connected");
  return page;
}

const cameraButton = (page: Page) => page.getByRole("button", { name: "Camera" });
const tile = (page: Page, id: string) => page.locator(`[data-testid="video-tile"][data-id="${id}"]`);
const badge = (page: Page, id: string) => tile(page, id).getByTestId("expression-badge");
const framesSent = async (page: Page) => Number(await page.getByTestId("camera").getAttribute("data-frames-sent"));

/** The tile's video element as it plays: a decoded size and a clock that moves. */
async function videoOf(page: Page, id: string): Promise<{ width: number; playing: boolean; time: number }> {
  return tile(page, id)
    .locator("video")
    .evaluate((video: HTMLVideoElement) => ({
      width: video.videoWidth,
      playing: !video.paused && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA,
      time: video.currentTime,
    }));
}

/** The participant's tile shows their camera, and it plays. */
async function expectPlaying(page: Page, id: string): Promise<void> {
  await expect.poll(() => tile(page, id).getAttribute("data-video"), { timeout: PEER_TIMEOUT_MS }).toBe("on");
  const playing = async () => {
    const video = await videoOf(page, id);
    return video.width > 0 && video.playing;
  };
  await expect.poll(playing, { timeout: PEER_TIMEOUT_MS }).toBe(true);
  const before = (await videoOf(page, id)).time;
  await expect.poll(async () => (await videoOf(page, id)).time, { timeout: 5_000 }).toBeGreaterThan(before);
}

/** The badge once it shows a face and an expression: its attributes and text. */
async function expectFaceBadge(page: Page, id: string): Promise<void> {
  await expect.poll(() => badge(page, id).getAttribute("data-faces"), { timeout: ANALYSIS_TIMEOUT_MS }).toBe("1");
  const expression = (await badge(page, id).getAttribute("data-expression")) ?? "";
  expect(EXPRESSION_NAMES as readonly string[]).toContain(expression);
  expect(await badge(page, id).textContent()).toMatch(new RegExp(`^\\S+ ${expression}$`, "u"));
}

describe("browser camera", () => {
  it("on: frames go out, the page shows its own badge, the other page the tile's video and badge; off: they stop", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const observer = await t.join(id, await t.token(id, "watcher", "observer"));
    const heard = collect<ExpressionMessage>(observer, "expression");
    const fromHost = () => heard.filter((m) => m.participant_id === "host").length;
    const host = await openPage(id, token);
    const guest = await openPage(id, await t.token(id, "guest", "participant", { name: "Guest" }));
    let late: Page | undefined;
    try {
      // Off by default: no frames, and the others see "Camera off" and no badge.
      expect(await cameraButton(host).getAttribute("aria-pressed")).toBe("false");
      await expect.poll(() => tile(guest, "host").getAttribute("data-video")).toBe("off");
      expect(await tile(guest, "host").getByTestId("camera-off").isVisible()).toBe(true);
      expect(await badge(guest, "host").isVisible()).toBe(false);

      await cameraButton(host).click();
      await expect.poll(() => cameraButton(host).getAttribute("aria-pressed")).toBe("true");
      await expectPlaying(host, "host");
      await expect.poll(() => framesSent(host), { timeout: 5_000 }).toBeGreaterThan(0);
      const frameBytes = Number(await host.getByTestId("camera").getAttribute("data-frame-bytes"));
      expect(frameBytes).toBeGreaterThan(1_000);
      expect(frameBytes).toBeLessThan(MAX_VIDEO_MESSAGE_BYTES / 2);
      await expectFaceBadge(host, "host");
      expect(heard.find((m) => m.participant_id === "host")).toMatchObject({ faces: 1 });
      expect(await host.getByTestId("camera-problem").textContent()).toBe("");

      // The other page: the host's camera over the call (renegotiated by the smaller id), and the same badge.
      await expectPlaying(guest, "host");
      await expectFaceBadge(guest, "host");
      expect(await badge(guest, "host").textContent()).toBe(await badge(host, "host").textContent());
      expect(await guest.locator("#remote-audio audio").count()).toBe(1);

      // The larger id turns its camera on: it offers the renegotiation itself.
      await cameraButton(guest).click();
      await expectPlaying(host, "guest");
      await expect.poll(() => guest.locator('[data-testid="peer"][data-peer="host"]').getAttribute("data-state")).toBe("connected");
      await mkdir("test-artifacts", { recursive: true });
      await guest.screenshot({ path: "test-artifacts/camera.png", fullPage: true });

      // Off: the track stops, no more frames, the other page shows "Camera off" and no badge.
      await cameraButton(host).click();
      await expect.poll(() => cameraButton(host).getAttribute("aria-pressed")).toBe("false");
      expect(await tile(host, "host").getAttribute("data-video")).toBe("off");
      expect(await badge(host, "host").isVisible()).toBe(false);
      await expect.poll(() => tile(guest, "host").getAttribute("data-video"), { timeout: PEER_TIMEOUT_MS }).toBe("off");
      expect(await badge(guest, "host").isVisible()).toBe(false);
      const sent = await framesSent(host);
      // The last frame may still be in analysis; after it, no expression (nor its 2 s heartbeat) comes.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const announced = fromHost();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await framesSent(host)).toBe(sent);
      expect(fromHost()).toBe(announced);
      // The guest's camera goes on: the call is still whole.
      await expectPlaying(host, "guest");

      // On again: a new track on the same call.
      await cameraButton(host).click();
      await expectPlaying(guest, "host");
      await expect.poll(() => framesSent(host), { timeout: 5_000 }).toBeGreaterThan(sent);

      // Joining while both cameras are on: the first offer of each call carries the camera.
      late = await openPage(id, await t.token(id, "late", "participant", { name: "Late" }));
      await expectPlaying(late, "host");
      await expectPlaying(late, "guest");
      await expectFaceBadge(late, "host");
    } finally {
      await Promise.all([host.close(), guest.close(), late?.close()]);
    }
  }, 90_000);

  it("a camera with no face in view: a 'no face' badge, then the no-face notice", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const page = await openPage(id, token, "chelsea");
    try {
      await cameraButton(page).click();
      await expect.poll(() => badge(page, "host").getAttribute("data-faces"), { timeout: ANALYSIS_TIMEOUT_MS }).toBe("0");
      expect(await badge(page, "host").textContent()).toBe("no face");
      expect(await badge(page, "host").getAttribute("data-expression")).toBe("");
      const notice = tile(page, "host").getByTestId("no-face");
      await expect.poll(() => notice.isVisible(), { timeout: NO_FACE_AFTER_MS + 10_000 }).toBe(true);
      expect(await notice.textContent()).toMatch(/^No face in view/);
      // Off: the notice goes with the camera.
      await cameraButton(page).click();
      await expect.poll(() => notice.isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("a refused camera says how to allow it; observers get no camera; a rate the session refuses is explained and slowed to", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const refused = await openPage(id, token, "astronaut", denyCamera);
    const watcher = await openPage(id, await t.token(id, "watcher", "observer", { name: "Watcher" }));
    // A session allowing fewer frames than the page's default: the page learns it from the engine's `rate_limited`.
    const slowFps = DEFAULT_VIDEO_FPS - 1;
    expect(slowFps).toBeGreaterThanOrEqual(1);
    const slow = await t.createSession({ kind: "meeting", video_fps: slowFps });
    const filming = await openPage(slow.id, slow.token);
    try {
      await cameraButton(refused).click();
      const problem = refused.getByTestId("camera-problem");
      await expect.poll(() => problem.textContent()).toMatch(/^Camera access was denied/);
      expect(await problem.textContent()).toContain("allow the camera for this site");
      expect(await problem.getAttribute("role")).toBe("alert");
      expect(await cameraButton(refused).getAttribute("aria-pressed")).toBe("false");
      // The microphone was not refused: only the camera's notice shows.
      expect(await refused.getByTestId("problem").textContent()).toBe("");

      // An observer: no camera button, no tile of its own, the participant's tile.
      expect(await watcher.getByTestId("camera").isVisible()).toBe(false);
      expect(await cameraButton(watcher).count()).toBe(0);
      await expect.poll(() => tile(watcher, "host").count()).toBe(1);
      expect(await tile(watcher, "watcher").count()).toBe(0);

      // Over the session's rate: the refusal is shown (until a frame is analysed again) and the page slows down.
      await filming.evaluate(() => {
        const problem = document.querySelector('[data-testid="camera-problem"]');
        const seen: string[] = [];
        Object.assign(window, { cameraProblems: seen });
        const record = () => seen.push(problem?.textContent ?? "");
        if (problem) new MutationObserver(record).observe(problem, { childList: true, characterData: true, subtree: true });
      });
      expect(await filming.getByTestId("camera").getAttribute("data-fps")).toBe(String(DEFAULT_VIDEO_FPS));
      await cameraButton(filming).click();
      await expect.poll(() => filming.getByTestId("camera").getAttribute("data-fps"), { timeout: 10_000 }).toBe(String(slowFps));
      const problems = await filming.evaluate(() => (window as unknown as { cameraProblems: string[] }).cameraProblems);
      expect(problems).toContainEqual(expect.stringMatching(/^Camera frames were sent faster than this session allows.*\[rate_limited\]$/));
      await expectFaceBadge(filming, "host");
      // At the session's rate, nothing more is refused.
      await expect.poll(() => filming.getByTestId("camera-problem").textContent(), { timeout: 5_000 }).toBe("");
      const sent = await framesSent(filming);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await filming.getByTestId("camera-problem").textContent()).toBe("");
      expect(await framesSent(filming)).toBeGreaterThan(sent);
    } finally {
      await Promise.all([refused.close(), watcher.close(), filming.close()]);
    }
  }, 60_000);
});
