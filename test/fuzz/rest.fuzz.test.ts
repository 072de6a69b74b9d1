import type { OutgoingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { serviceErrorBody } from "../../src/api/asr-service-schemas.js";
import { ERROR_TABLE, isErrorCode } from "../../src/protocol/error-codes.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { rawRequest, type RawResponse } from "../support/raw-http.js";
import { MIN_CORPUS_ENTRIES, readCorpus } from "./corpus.js";
import { bodyChunks, bodyLength } from "./rest-bodies.js";
import { restSurface, type RestFuzzEntry } from "./rest-surface.js";

/**
 * The REST corpus (test/fuzz/corpus/rest.jsonl, `npm run fuzz:corpus -- --surface rest`) replayed against one real
 * engine, each request sent as written through node:http. For every input: the engine still answers GET /health,
 * and its answer is a documented success or the engine's JSON error `{error: {code, message, retryable}}` with a code
 * of the error table, the table's status and retryability, and never `internal`. Answers are counted by code.
 */

/** Answers past this mean the engine hung on an input (a safety net, not a latency bound). */
const NO_ANSWER_MS = 60_000;

let t: TestEngine;
let sessionId = "";

async function freshSession(): Promise<void> {
  const created = await t.api("POST", "/api/v1/sessions", { kind: "meeting", title: "fuzz target" });
  if (created.status === 201) sessionId = z.object({ session_id: z.string() }).parse(created.body).session_id;
}

beforeAll(async () => {
  // Room for the sessions the corpus creates, so that most creations reach the store (past it: 503 max_sessions).
  t = await startTestEngine({ maxSessions: 400 });
  await expectModelsLoaded(t);
  await freshSession();
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** Spreads requests over loopback sources: the per-address budget would otherwise answer most inputs with 429. */
const source = (index: number) => `127.0.0.${2 + (index % 250)}`;

function headersOf(entry: RestFuzzEntry): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  if (entry.auth === "admin") headers["authorization"] = `Bearer ${ADMIN_KEY}`;
  if (entry.auth === "wrong") headers["authorization"] = "Bearer not-the-admin-key-0123456789";
  const seen = new Set<string>();
  for (const [rawName, value] of entry.headers) {
    const name = rawName.toLowerCase();
    const previous = headers[name];
    // The entry's own headers replace the auth mode's; repeated ones are sent as repeated lines.
    headers[name] = seen.has(name) && previous !== undefined ? [...(Array.isArray(previous) ? previous : [previous]), value] : value;
    seen.add(name);
  }
  if (entry.body !== null && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
    if (entry.framing === "length") headers["content-length"] = String(bodyLength(entry.body));
    else headers["transfer-encoding"] = "chunked";
  }
  return headers;
}

function replay(entry: RestFuzzEntry, index: number): Promise<RawResponse> {
  return rawRequest({
    port: t.engine.port,
    method: entry.method,
    path: entry.path.replaceAll("{session}", sessionId),
    headers: headersOf(entry),
    ...(entry.body === null ? {} : { body: bodyChunks(entry.body) }),
    localAddress: source(index),
    timeoutMs: NO_ANSWER_MS,
  });
}

const errorAnswer = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean(), details: z.unknown().optional() }),
});

/** The ASR service's paths answer errors in its own shape, `{success: false, error, code, retryable}`. */
const ASR_SERVICE_PATH = /^\/api\/(asr|llm|status)(\/|\?|$)/i;

/** An answer's error in the engine's shape, whichever shape its route answers in. */
function errorOf(path: string, json: unknown): ReturnType<typeof errorAnswer.safeParse> {
  const service = ASR_SERVICE_PATH.test(path) ? serviceErrorBody.safeParse(json) : null;
  if (service?.success !== true) return errorAnswer.safeParse(json);
  return errorAnswer.safeParse({ error: { code: service.data.code, message: service.data.error, retryable: service.data.retryable } });
}

/** `{label}` of an acceptable answer, or `{problem}`. */
function judge(entry: RestFuzzEntry, res: RawResponse): { label: string } | { problem: string } {
  if (res.status < 400) return { label: `${res.status} success` };
  const httpStatuses = new Set<number>(Object.values(ERROR_TABLE).flatMap((spec) => ("http" in spec ? [spec.http] : [])));
  // HEAD answers carry no body: only the status can be checked.
  if (entry.method === "HEAD") return httpStatuses.has(res.status) && res.status !== 500 ? { label: `${res.status} (head)` } : { problem: `HEAD answered ${res.status}` };
  if (!String(res.headers["content-type"] ?? "").startsWith("application/json")) return { problem: `${res.status} with ${String(res.headers["content-type"])}: ${res.text.slice(0, 120)}` };
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    return { problem: `${res.status} with a body that is not JSON: ${res.text.slice(0, 120)}` };
  }
  const parsed = errorOf(entry.path, json);
  if (!parsed.success) return { problem: `${res.status} not an engine error: ${res.text.slice(0, 160)}` };
  const { code, retryable } = parsed.data.error;
  if (!isErrorCode(code)) return { problem: `${res.status} with a code outside the error table: ${code}` };
  const spec: { http?: number; retryable: boolean } = ERROR_TABLE[code];
  if (code === "internal") return { problem: `500 internal: ${parsed.data.error.message}` };
  if (spec.http !== res.status) return { problem: `${code} answered with ${res.status}, the table says ${spec.http}` };
  if (spec.retryable !== retryable) return { problem: `${code} with retryable ${retryable}` };
  return { label: `${res.status} ${code}` };
}

describe("REST fuzz corpus", () => {
  it("every hostile request gets a documented answer and the engine stays up", async () => {
    const entries = readCorpus(restSurface);
    expect(entries.length).toBeGreaterThanOrEqual(MIN_CORPUS_ENTRIES);
    const byCode = new Map<string, number>();
    const byNote = new Map<string, Map<string, number>>();
    const problems: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const where = `${entry.id} (${entry.note}) ${entry.method} ${entry.path.slice(0, 80)}`;
      let verdict: { label: string } | { problem: string };
      try {
        verdict = judge(entry, await replay(entry, index));
      } catch (error) {
        verdict = { problem: `no answer: ${error instanceof Error ? error.message : String(error)}` };
      }
      if ("problem" in verdict) problems.push(`${where}: ${verdict.problem}`);
      const label = "label" in verdict ? verdict.label : "problem";
      byCode.set(label, (byCode.get(label) ?? 0) + 1);
      const notes = byNote.get(entry.note) ?? new Map<string, number>();
      notes.set(label, (notes.get(label) ?? 0) + 1);
      byNote.set(entry.note, notes);

      const health = await rawRequest({ port: t.engine.port, method: "GET", path: "/health", timeoutMs: NO_ANSWER_MS });
      expect(health.status, `the engine stopped answering after ${where}`).toBe(200);
      // An input that ended the replay's session: the next ones get a live one again (while MAX_SESSIONS allows).
      if (entry.method === "DELETE" && entry.path.includes("{session}")) {
        const state = await t.api("GET", `/api/v1/sessions/${sessionId}`);
        if ((state.body as { status?: string }).status !== "waiting") await freshSession();
      }
    }
    const report = {
      inputs: entries.length,
      byCode: Object.fromEntries([...byCode].sort(([a], [b]) => a.localeCompare(b))),
      byFamily: Object.fromEntries([...byNote].map(([note, counts]) => [note, Object.fromEntries(counts)])),
    };
    console.info(`REST fuzz answers:\n${JSON.stringify(report, null, 2)}`);
    expect(problems).toEqual([]);
  }, 900_000);
});
