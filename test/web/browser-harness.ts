import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { resample } from "../../src/inference/audio/resample.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { padWithSilence, synthesizeSpeech } from "../support/speech.js";

/** What the browser tests share: the page's build, the spoken WAV the fake microphone loops, Chromium, page hooks. */
export const CHROMIUM = "/usr/bin/chromium";
export const SENTENCE = "hello world, this is a test of the meeting engine";

export function buildPage(): void {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "inherit" });
}

/** The sentence with 1 s of silence before and 2 s after (Chromium loops the file), at 16 kHz. */
export async function speechSamples(): Promise<Float32Array> {
  const speech = await synthesizeSpeech(SENTENCE);
  return padWithSilence(speech.samples16k, 1_000, 2_000);
}

export async function writeSpeechWav(samples16k: Float32Array, rate: number, dir: string): Promise<string> {
  const path = join(dir, `speech-${rate}.wav`);
  const samples = rate === MODEL_SAMPLE_RATE ? samples16k : resample(samples16k, MODEL_SAMPLE_RATE, rate);
  await writeFile(path, encodeWav(samples, rate));
  return path;
}

/** `ms` of silence at 16 kHz: a fake microphone that gives the pool nothing to transcribe. */
export async function writeSilentWav(dir: string, ms = 1_000): Promise<string> {
  const path = join(dir, "silence.wav");
  await writeFile(path, encodeWav(new Float32Array((MODEL_SAMPLE_RATE * ms) / 1000), MODEL_SAMPLE_RATE));
  return path;
}

/**
 * Chromium with a fake microphone fed `wavPath` and a fake camera, fed `videoPath` (a .y4m or .mjpeg file) when
 * given, else Chromium's own test pattern; the files are launch flags, so one launch per pair.
 */
export function launchChromium(profileDir: string, wavPath: string, videoPath?: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
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
      ...(videoPath === undefined ? [] : [`--use-file-for-fake-video-capture=${videoPath}`]),
    ],
  });
}

export function pageLink(httpUrl: string, sessionId: string, token: string): string {
  return `${httpUrl}/?session=${encodeURIComponent(sessionId)}&token=${encodeURIComponent(token)}`;
}

/**
 * Makes the page's microphone track report `rate` (Chromium's fake device always says 48 kHz), as a Bluetooth
 * headset in hands-free mode reports 16 kHz: the page then runs its audio graph at that rate.
 */
export async function reportDeviceRate(page: Page, rate: number): Promise<void> {
  await page.addInitScript((reported: number) => {
    const original = MediaStreamTrack.prototype.getSettings;
    MediaStreamTrack.prototype.getSettings = function (this: MediaStreamTrack) {
      return { ...original.call(this), sampleRate: reported };
    };
  }, rate);
}

/** The user refuses the microphone: the page joins without one and sends no audio. */
export async function denyMicrophone(page: Page): Promise<void> {
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });
}

/** The user refuses the camera (the microphone still opens): the page says how to allow it. */
export async function denyCamera(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (constraints?: MediaStreamConstraints) =>
      constraints?.video ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : original(constraints);
  });
}

/**
 * Records every rendering of one participant's list entry, so a state shown for a moment (between two polls) is not
 * missed: read back with `renderingsOf`.
 */
export async function recordRenderings(page: Page, participantId: string): Promise<void> {
  await page.evaluate((id: string) => {
    const list = document.getElementById("participants");
    const seen: string[] = [];
    Object.assign(window, { renderings: seen });
    const record = () => {
      const item = list?.querySelector(`[data-id="${CSS.escape(id)}"]`);
      const text = item?.textContent ?? "(absent)";
      if (seen.at(-1) !== text) seen.push(text);
    };
    if (list) new MutationObserver(record).observe(list, { childList: true, subtree: true, characterData: true });
    record();
  }, participantId);
}

export function renderingsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { renderings: string[] }).renderings);
}
