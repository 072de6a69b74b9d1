import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TEXT_CHARS } from "../../src/protocol/client-messages.js";
import { expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { LlmTestServer } from "../support/llm-test-server.js";
import { probeAudioSources, probedSources } from "./audio-probe.js";
import { buildPage, launchChromium, pageLink, speechSamples, writeSilentWav, writeSpeechWav } from "./browser-harness.js";

/**
 * The tutor panel in a real Chromium, against a real engine whose tutor talks to an OpenAI-compatible test server
 * (the only double: an external LLM). Two Chromiums, the fake microphone a launch flag: one loops silence (the
 * student types), one loops a spoken sentence (the student speaks, over the tutor too). One engine for every test.
 */
const GREETING = /Hi! I'm your tutor\./;
const QUIET_TUTOR = "quiet";
/** Join → greeting synthesized → heard to its end, on two shared cores. */
const TURN_TIMEOUT_MS = 20_000;

let t: TestEngine;
let llm: LlmTestServer;
let scratch: string;
let silent: BrowserContext;
let speaking: BrowserContext;

beforeAll(async () => {
  buildPage();
  scratch = await mkdtemp(join(tmpdir(), "tutor-test-"));
  llm = await LlmTestServer.start({ tokenIntervalMs: 10 });
  const [engine, quiet, spoken] = await Promise.all([
    startTestEngine({ llmUrl: llm.baseUrl, llmModel: "test-model" }),
    writeSilentWav(scratch),
    speechSamples().then((samples) => writeSpeechWav(samples, 48_000, scratch)),
  ]);
  t = engine;
  await expectModelsLoaded(t);
  // A tutor that does not greet: a page is ready for a question once connected (the default tutor greets).
  expect((await t.api("PUT", `/api/v1/tutors/${QUIET_TUTOR}`, { greeting: "" })).status).toBe(201);
  [silent, speaking] = await Promise.all([launchChromium(join(scratch, "profile-silent"), quiet), launchChromium(join(scratch, "profile-speech"), spoken)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([silent?.close(), speaking?.close()]);
  await t?.close();
  await llm?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * A tutoring session's page, once connected; every tutor state and reply it renders recorded from before the first
 * (a MutationObserver: a state shown between two polls is not missed), every audio source it plays probed.
 */
async function openTutoring(body: Record<string, unknown> = {}, context: BrowserContext = silent, prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const { id, token } = await t.createSession({ kind: "tutoring", ...body });
  const page = await context.newPage();
  await prepare?.(page);
  await probeAudioSources(page);
  await page.addInitScript(() => {
    const seen = { states: [] as string[], replies: [] as { turn: string; final: string; text: string }[] };
    Object.assign(window, { seen });
    document.addEventListener("DOMContentLoaded", () => {
      const state = document.getElementById("tutor-state");
      const replies = document.getElementById("tutor-replies");
      if (state) {
        new MutationObserver(() => {
          const now = state.dataset["state"] ?? "";
          if (seen.states.at(-1) !== now) seen.states.push(now);
        }).observe(state, { attributes: true, attributeFilter: ["data-state"] });
      }
      if (replies) {
        new MutationObserver(() => {
          for (const item of replies.querySelectorAll<HTMLElement>('[data-testid="tutor-reply"]')) {
            const rendering = { turn: item.dataset["turn"] ?? "", final: item.dataset["final"] ?? "", text: item.querySelector('[data-testid="tutor-reply-text"]')?.textContent ?? "" };
            const last = seen.replies.findLast((r) => r.turn === rendering.turn);
            if (last?.text !== rendering.text || last.final !== rendering.final) seen.replies.push(rendering);
          }
        }).observe(replies, { childList: true, subtree: true, characterData: true, attributes: true });
      }
    });
  });
  await page.goto(pageLink(t.engine.httpUrl, id, token));
  await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 10_000 }).toBe("connected");
  return page;
}

/**
 * Every AudioContext starts suspended, as browsers make one made before any user gesture (the test Chromium lets
 * audio play without one): `resume()` on a gesture turns it on.
 */
async function holdAudioUntilGesture(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Original = window.AudioContext;
    window.AudioContext = class extends Original {
      constructor(options?: AudioContextOptions) {
        super(options);
        void this.suspend();
      }
    };
  });
}

interface Seen {
  states: string[];
  replies: { turn: string; final: string; text: string }[];
}

const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: Seen }).seen);
const panel = (page: Page) => page.getByTestId("tutor");
const stat = async (page: Page, name: string) => Number(await panel(page).getAttribute(`data-${name}`));
const reply = (page: Page, kind: "greeting" | "answer") => page.locator(`[data-testid="tutor-reply"][data-kind="${kind}"]`);

/** Waits until the page's tutor state is `state` (event-driven: the attribute is watched in the page). */
function tutorState(page: Page, state: string, timeout = TURN_TIMEOUT_MS): Promise<unknown> {
  return page.waitForFunction((wanted) => document.getElementById("tutor-state")?.dataset["state"] === wanted, state, { timeout });
}

/** Waits until every audio source the page scheduled has played out (or been stopped). */
function audioIdle(page: Page, timeout = TURN_TIMEOUT_MS): Promise<unknown> {
  return page.waitForFunction(() => document.getElementById("tutor")?.dataset["activeSources"] === "0", undefined, { timeout });
}

/** The greeting heard to its end and the tutor listening. */
async function greeted(page: Page): Promise<void> {
  await reply(page, "greeting").filter({ hasText: GREETING }).waitFor({ timeout: TURN_TIMEOUT_MS });
  await tutorState(page, "listening");
  await page.waitForFunction(() => Number(document.getElementById("tutor")?.dataset["chunksPlayed"]) > 0, undefined, { timeout: TURN_TIMEOUT_MS });
  await audioIdle(page);
}

async function ask(page: Page, question: string): Promise<void> {
  const field = page.getByRole("textbox", { name: "Ask the tutor" });
  await field.fill(question);
  await page.getByRole("button", { name: "Ask" }).click();
}

describe("the tutor panel", () => {
  it("greets: the greeting's text, speaking then listening, its speech played through Web Audio to the end", async () => {
    const page = await openTutoring();
    try {
      await greeted(page);
      const states = (await seen(page)).states;
      expect(states.indexOf("speaking")).toBeGreaterThanOrEqual(0);
      expect(states.lastIndexOf("listening")).toBeGreaterThan(states.indexOf("speaking"));
      expect(await panel(page).getAttribute("data-audio-state")).toBe("running");
      expect(await stat(page, "sample-rate")).toBe(22_050);
      // Every chunk heard to its end, back to back, none dropped or cut.
      const scheduled = await stat(page, "chunks-scheduled");
      expect(await stat(page, "chunks-played")).toBe(scheduled);
      expect(await stat(page, "chunks-stopped")).toBe(0);
      expect(await stat(page, "chunks-dropped")).toBe(0);
      const sources = await probedSources(page);
      expect(sources).toHaveLength(scheduled);
      for (const [i, source] of sources.entries()) {
        expect(source.endedAt).not.toBeNull();
        const previous = sources[i - 1];
        // At the stated rate, each right after the one before (within a sample) unless the queue had run dry.
        if (previous !== undefined && previous.when + previous.duration > source.startedAt) {
          expect(Math.abs(source.when - (previous.when + previous.duration))).toBeLessThan(1 / 22_050);
        }
      }
      expect(await page.getByTestId("tutor-audio").isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  }, 40_000);

  it("a browser that holds audio until a gesture: the panel offers to turn the voice on, and a click does", async () => {
    llm.options.reply = () => "Yes, I can hear you.";
    const page = await openTutoring({}, silent, holdAudioUntilGesture);
    try {
      // The greeting's speech is dropped, not queued to play late; the text shows.
      await page.waitForFunction(() => Number(document.getElementById("tutor")?.dataset["chunksDropped"]) > 0, undefined, { timeout: TURN_TIMEOUT_MS });
      expect(await panel(page).getAttribute("data-audio-state")).toBe("suspended");
      expect(await stat(page, "chunks-scheduled")).toBe(0);
      await reply(page, "greeting").filter({ hasText: GREETING }).waitFor({ timeout: TURN_TIMEOUT_MS });
      await page.getByRole("button", { name: "Turn on the tutor's voice" }).click();
      await page.getByTestId("tutor-audio").waitFor({ state: "hidden", timeout: 5_000 });
      expect(await panel(page).getAttribute("data-audio-state")).toBe("running");
      await tutorState(page, "listening");
      await ask(page, "Can you hear me?");
      await reply(page, "answer").filter({ hasText: "Yes, I can hear you." }).waitFor({ timeout: TURN_TIMEOUT_MS });
      await tutorState(page, "listening");
      await audioIdle(page);
      expect(await stat(page, "chunks-played")).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  }, 40_000);

  it("a typed question: the reply streams into the panel, then its final text and sources, and is spoken", async () => {
    const answer = "Mitochondria make energy for the cell. They turn sugar into ATP.";
    llm.options.reply = () => answer;
    llm.options.tokenIntervalMs = 40;
    const put = await t.api("PUT", "/api/v1/knowledge-bases/bio/documents/cells", {
      title: "Cells",
      format: "markdown",
      content: "# Mitochondria\n\nThe mitochondria is the powerhouse of the cell: it makes ATP.",
    });
    expect(put.status).toBe(201);
    const page = await openTutoring({ kb_id: "bio", tutor_id: QUIET_TUTOR });
    try {
      await tutorState(page, "listening");
      const before = await stat(page, "chunks-scheduled");
      await ask(page, "What do mitochondria do?");
      const answered = reply(page, "answer");
      await answered.and(page.locator('[data-final="true"]')).waitFor({ timeout: TURN_TIMEOUT_MS });
      expect(await answered.getByTestId("tutor-reply-text").textContent()).toBe(answer);
      // The document's title and the passage's heading.
      expect(await answered.getByTestId("tutor-sources").textContent()).toContain("Cells › Mitochondria");
      // It streamed: partial texts, each a prefix of the next, before the final one.
      const turn = await answered.getAttribute("data-turn");
      const texts = (await seen(page)).replies.filter((r) => r.turn === turn);
      const partial = texts.filter((r) => r.final === "false");
      expect(partial.length).toBeGreaterThan(3);
      for (const r of partial) expect(answer.startsWith(r.text)).toBe(true);
      expect(texts.at(-1)).toEqual({ turn, final: "true", text: answer });
      // The question went out as chat too.
      await page.getByTestId("chat-message").filter({ hasText: "What do mitochondria do?" }).waitFor({ timeout: 5_000 });
      await mkdir("test-artifacts", { recursive: true });
      await page.screenshot({ path: "test-artifacts/tutor.png", fullPage: true });

      await tutorState(page, "listening");
      await audioIdle(page);
      const spoken = (await stat(page, "chunks-scheduled")) - before;
      expect(spoken).toBeGreaterThan(10);
      expect(await stat(page, "chunks-played")).toBe(await stat(page, "chunks-scheduled"));
    } finally {
      llm.options.tokenIntervalMs = 10;
      await page.close();
    }
  }, 40_000);

  it("asking while the tutor speaks interrupts it: every scheduled source stopped at once, queued ones too", async () => {
    const long = Array.from({ length: 12 }, (_, i) => `This is sentence number ${i + 1} of a long explanation about rivers.`).join(" ");
    llm.options.reply = (request) => (request.messages.at(-1)?.content === "Tell me about rivers." ? long : "Lakes are still water.");
    const page = await openTutoring({ tutor_id: QUIET_TUTOR });
    try {
      await tutorState(page, "listening");
      await ask(page, "Tell me about rivers.");
      // Speaking, with audio queued ahead of the clock (the engine sends up to 400 ms ahead).
      await tutorState(page, "speaking");
      await page.waitForFunction(() => Number(document.getElementById("tutor")?.dataset["activeSources"]) >= 3, undefined, { timeout: TURN_TIMEOUT_MS });
      const turn = await reply(page, "answer").getAttribute("data-turn");
      await ask(page, "And lakes?");
      const cut = page.locator(`[data-testid="tutor-reply"][data-turn="${turn}"]`);
      await cut.and(page.locator('[data-interrupted="text"]')).waitFor({ timeout: 5_000 });
      expect(await cut.getByTestId("tutor-reply-status").textContent()).toBe(" (interrupted: you asked something else)");
      expect(await stat(page, "active-sources")).toBe(0);
      const stopped = await stat(page, "chunks-stopped");
      expect(stopped).toBeGreaterThanOrEqual(3);

      // What Web Audio was told: the sources still playing or queued were stopped, at one moment, some before they
      // had begun (queued), and all of them ended at once.
      const sources = await probedSources(page);
      const cutOff = sources.filter((source) => source.stoppedAt !== null);
      expect(cutOff).toHaveLength(stopped);
      const at = cutOff[0]?.stoppedAt ?? 0;
      for (const source of cutOff) expect(source.stoppedAt).toBe(at);
      expect(cutOff.filter((source) => source.when > at).length).toBeGreaterThan(0);
      await page.waitForFunction(
        () => (window as unknown as { audioSources: { stoppedAt: number | null; endedAt: number | null }[] }).audioSources.every((s) => s.stoppedAt === null || s.endedAt !== null),
        undefined,
        { timeout: 2_000 },
      );
      const ended = (await probedSources(page)).filter((source) => source.stoppedAt !== null).map((source) => (source.endedAt ?? Infinity) - at);
      // Within a render quantum or two of the stop (128 samples at 48 kHz: 2.7 ms), not when each was due to end.
      expect(Math.max(...ended)).toBeLessThan(0.05);

      // The next question is answered and spoken from a fresh schedule.
      await reply(page, "answer").filter({ hasText: "Lakes are still water." }).and(page.locator('[data-final="true"]')).waitFor({ timeout: TURN_TIMEOUT_MS });
      await tutorState(page, "listening");
      await audioIdle(page);
      expect(await stat(page, "chunks-played")).toBeGreaterThan(0);
      expect((await probedSources(page)).filter((source) => source.stoppedAt === null).every((source) => source.endedAt !== null)).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("an LLM that fails: the panel says the tutor cannot answer (llm_unavailable), not that the message was refused", async () => {
    const page = await openTutoring({ tutor_id: QUIET_TUTOR });
    try {
      await tutorState(page, "listening");
      llm.failures.push({ kind: "http", status: 500 });
      await ask(page, "Are you there?");
      const problem = page.getByTestId("tutor-problem");
      await problem.filter({ hasText: "llm_unavailable" }).waitFor({ timeout: TURN_TIMEOUT_MS });
      expect(await problem.textContent()).toBe("The tutor cannot answer right now: its language model is unavailable. Ask again in a moment. [llm_unavailable]");
      expect(await problem.getAttribute("role")).toBe("alert");
      // The question was relayed as chat: neither box says it was not sent.
      await page.getByTestId("chat-message").filter({ hasText: "Are you there?" }).waitFor({ timeout: 5_000 });
      expect(await page.getByTestId("tutor-error").textContent()).toBe("");
      expect(await page.getByTestId("chat-error").textContent()).toBe("");
      await tutorState(page, "listening");
      expect(await reply(page, "answer").count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 40_000);

  it("a question the engine refuses (too long) gets its reason under the question box and stays in it", async () => {
    const page = await openTutoring({ tutor_id: QUIET_TUTOR });
    try {
      const tooLong = "x".repeat(MAX_TEXT_CHARS + 1);
      await ask(page, tooLong);
      const refusal = page.getByTestId("tutor-error");
      await refusal.filter({ hasText: "Message not sent" }).waitFor({ timeout: 5_000 });
      expect(await refusal.textContent()).toMatch(/invalid_message/);
      expect(await page.getByRole("textbox", { name: "Ask the tutor" }).inputValue()).toBe(tooLong);
      expect(await page.getByTestId("chat-error").textContent()).toBe("");
    } finally {
      await page.close();
    }
  });

  it("a spoken question is answered, and speaking over the tutor interrupts it (barge-in)", async () => {
    llm.options.reply = () => "That sounds like a fine test. Let me explain testing in some detail, one sentence at a time, for a while.";
    const requests = llm.requests.length;
    const page = await openTutoring({}, speaking);
    try {
      // The looped sentence (3 s of speech every 6 s) speaks over the greeting or an answer, and asks.
      const interrupted = page.locator('[data-testid="tutor-reply"][data-interrupted="barge_in"]').first();
      await interrupted.waitFor({ timeout: 40_000 });
      expect(await interrupted.getByTestId("tutor-reply-status").textContent()).toBe(" (interrupted: you spoke)");
      // Flushed: nothing left playing or queued (the next answer's audio is seconds away: transcript, LLM, speech).
      expect(await stat(page, "active-sources")).toBe(0);
      expect(await stat(page, "chunks-stopped")).toBeGreaterThan(0);
      await reply(page, "answer").filter({ hasText: "That sounds like a fine test." }).first().waitFor({ timeout: 40_000 });
      expect(llm.requests.slice(requests).some((request) => /meeting engine/i.test(request.messages.at(-1)?.content ?? ""))).toBe(true);
      await page.getByTestId("transcript-segment").filter({ hasText: /meeting engine/i }).first().waitFor({ timeout: 5_000 });
    } finally {
      await page.close();
    }
  }, 60_000);

  it("a meeting's page has no tutor panel and no audio of the tutor's", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const page = await silent.newPage();
    try {
      await page.goto(pageLink(t.engine.httpUrl, id, token));
      await expect.poll(() => page.getByTestId("kind").textContent(), { timeout: 10_000 }).toBe("Meeting");
      expect(await panel(page).isHidden()).toBe(true);
      expect(await panel(page).getAttribute("data-audio-state")).toBeNull();
    } finally {
      await page.close();
    }
  });
});
