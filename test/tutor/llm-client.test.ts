import { once } from "node:events";
import { createServer } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { LlmClient, LlmReplyRequest } from "../../src/tutor/llm/llm-client.js";
import { createLlmClient, llmConfigDefaults } from "../../src/tutor/llm/llm-config.js";
import { isLlmAborted, isLlmError, LlmError } from "../../src/tutor/llm/llm-error.js";
import { OpenAiLlmClient, type OpenAiLlmClientOptions } from "../../src/tutor/llm/openai-llm-client.js";
import { UnconfiguredLlm } from "../../src/tutor/llm/unconfigured-llm.js";
import { LlmTestServer, replyTokens, type LlmTestServerOptions } from "../support/llm-test-server.js";

const SETTINGS = { model: "test-model", temperature: 0.3, maxTokens: 200 };
const MESSAGES = [
  { role: "system", content: "You are a tutor." },
  { role: "user", content: "What is a prime" },
] as const;
const LONG_REPLY = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

let servers: LlmTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function startServer(options: Partial<LlmTestServerOptions> = {}): Promise<LlmTestServer> {
  const server = await LlmTestServer.start(options);
  servers.push(server);
  return server;
}

/** A port nothing listens on: one the kernel just gave out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  await once(probe, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A pino logger whose lines land in `lines`, parsed. */
function capturedLogger() {
  const lines: { level: number; msg: string; err_code?: string }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

function client(baseUrl: string, options: Partial<OpenAiLlmClientOptions> = {}): OpenAiLlmClient {
  return new OpenAiLlmClient({ baseUrl, model: "test-model", ...options });
}

interface Outcome {
  deltas: string[];
  /** `performance.now()` at each delta. */
  times: number[];
  error: unknown;
  elapsedMs: number;
}

/** Reads a whole reply; `onDelta` may abort or stop early (return true to break). */
async function read(llm: LlmClient, request: Partial<LlmReplyRequest> = {}, onDelta: (count: number) => boolean | void = () => {}): Promise<Outcome> {
  const started = performance.now();
  const outcome: Outcome = { deltas: [], times: [], error: null, elapsedMs: 0 };
  try {
    for await (const delta of llm.streamReply({ messages: MESSAGES, settings: SETTINGS, signal: new AbortController().signal, ...request })) {
      outcome.deltas.push(delta);
      outcome.times.push(performance.now());
      if (onDelta(outcome.deltas.length) === true) break;
    }
  } catch (error) {
    outcome.error = error;
  }
  outcome.elapsedMs = performance.now() - started;
  return outcome;
}

function expectLlmError(error: unknown, reason: LlmError["reason"]): LlmError {
  expect(error).toBeInstanceOf(LlmError);
  const llmError = error as LlmError;
  expect({ code: llmError.code, reason: llmError.reason, retryable: llmError.retryable }).toEqual({ code: "llm_unavailable", reason, retryable: true });
  return llmError;
}

describe("OpenAiLlmClient against an OpenAI-compatible server", () => {
  it("streams the reply's deltas as the server paces them, and sends the request's settings", async () => {
    const intervalMs = 40;
    const server = await startServer({ tokenIntervalMs: intervalMs, reply: () => "Primes have exactly two divisors, one and themselves." });
    const outcome = await read(client(server.baseUrl));
    expect(outcome.error).toBeNull();
    expect(outcome.deltas).toEqual(replyTokens("Primes have exactly two divisors, one and themselves."));
    // Spread over the server's pace (its timers are late at worst, never early): streamed, not buffered to the end.
    expect((outcome.times.at(-1) ?? 0) - (outcome.times[0] ?? 0)).toBeGreaterThanOrEqual((outcome.deltas.length - 1) * intervalMs * 0.9);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ model: "test-model", temperature: 0.3, max_tokens: 200, stream: true, messages: MESSAGES });
    expect(request?.authorization).toBe("Bearer no-key");
    // A reply read to its end leaves the connection to the server, which saw no early close.
    expect(server.clientCloses).toEqual([]);
  });

  it("sends the configured key, and stops at the finish reason", async () => {
    const server = await startServer({ reply: () => LONG_REPLY });
    const outcome = await read(client(server.baseUrl, { apiKey: "sk-test-secret" }), { settings: { ...SETTINGS, maxTokens: 3 } });
    expect(outcome.error).toBeNull();
    expect(outcome.deltas).toEqual(replyTokens(LONG_REPLY).slice(0, 3));
    expect(server.requests[0]?.authorization).toBe("Bearer sk-test-secret");
  });

  it("closes the HTTP request at once when the caller aborts, and ends with LlmAborted", async () => {
    const server = await startServer({ tokenIntervalMs: 20, reply: () => LONG_REPLY });
    const controller = new AbortController();
    let abortedAt = 0;
    const outcome = await read(client(server.baseUrl), { signal: controller.signal }, (count) => {
      if (count === 3) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    const close = await server.waitForClientClose();
    expect(isLlmAborted(outcome.error)).toBe(true);
    expect((outcome.error as { code: string }).code).toBe("aborted");
    expect(outcome.deltas).toHaveLength(3);
    expect(close.tokensSent).toBeLessThan(replyTokens(LONG_REPLY).length);
    // The server saw the close at once: the 3 read, one in flight, one more at most (tokens 20 ms apart).
    expect(close.tokensSent).toBeLessThanOrEqual(5);
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
  });

  it("closes the HTTP request when the caller aborts before the first token", async () => {
    const server = await startServer();
    server.failures.push({ kind: "hang" });
    const controller = new AbortController();
    const reading = read(client(server.baseUrl), { signal: controller.signal });
    // Abort once the server holds the request, not on a timer.
    await server.waitForRequest();
    controller.abort();
    const [outcome, close] = await Promise.all([reading, server.waitForClientClose()]);
    expect(isLlmAborted(outcome.error)).toBe(true);
    expect(close.tokensSent).toBe(0);
  });

  it("closes the request when the reader stops early", async () => {
    const server = await startServer({ tokenIntervalMs: 10, reply: () => LONG_REPLY });
    const outcome = await read(client(server.baseUrl), {}, (count) => count === 2);
    expect(outcome.error).toBeNull();
    const close = await server.waitForClientClose();
    expect(close.tokensSent).toBeLessThan(replyTokens(LONG_REPLY).length);
  });

  it("sends nothing for a signal aborted before the call", async () => {
    const server = await startServer();
    const outcome = await read(client(server.baseUrl), { signal: AbortSignal.abort() });
    expect(isLlmAborted(outcome.error)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it("fails with llm_unavailable when no token comes within the first-token bound", async () => {
    const server = await startServer();
    server.failures.push({ kind: "hang" });
    const outcome = await read(client(server.baseUrl, { firstTokenTimeoutMs: 200, totalTimeoutMs: 10_000 }));
    const error = expectLlmError(outcome.error, "first_token_timeout");
    expect(error.message).toContain("first-token bound of 200 ms");
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(195);
    expect(outcome.elapsedMs).toBeLessThan(5_000);
    await server.waitForClientClose();
    expect(server.requests).toHaveLength(1);
  });

  it("fails with llm_unavailable when the reply outlasts the total bound, after the deltas so far", async () => {
    const server = await startServer({ tokenIntervalMs: 50, reply: () => LONG_REPLY });
    const outcome = await read(client(server.baseUrl, { firstTokenTimeoutMs: 5_000, totalTimeoutMs: 400 }));
    const error = expectLlmError(outcome.error, "total_timeout");
    expect(error.message).toContain("total bound of 400 ms");
    expect(outcome.deltas.length).toBeGreaterThan(0);
    expect(outcome.deltas.length).toBeLessThan(replyTokens(LONG_REPLY).length);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(395);
    await server.waitForClientClose();
  });

  it("retries once when the connection is reset before any token, and logs it", async () => {
    const server = await startServer();
    server.failures.push({ kind: "reset" });
    const { logger, lines } = capturedLogger();
    const outcome = await read(client(server.baseUrl, { logger }));
    expect(outcome.error).toBeNull();
    expect(outcome.deltas.join("")).toBe("You asked: What is a prime. Here is an answer.");
    expect(server.requests).toHaveLength(2);
    expect(lines.filter((line) => line.msg.includes("retrying once"))).toHaveLength(1);
  });

  it("retries only once", async () => {
    const server = await startServer();
    server.failures.push({ kind: "reset" }, { kind: "reset" }, { kind: "reset" });
    const outcome = await read(client(server.baseUrl));
    expectLlmError(outcome.error, "connection");
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry an HTTP 500, and names the status but not the key", async () => {
    const server = await startServer();
    server.failures.push({ kind: "http", status: 500 });
    const outcome = await read(client(server.baseUrl, { apiKey: "sk-never-shown" }));
    const error = expectLlmError(outcome.error, "http_status");
    expect(error.status).toBe(500);
    expect(error.message).toContain("HTTP 500");
    expect(error.message).not.toContain("sk-never-shown");
    expect(error.cause).toBeDefined();
    expect(server.requests).toHaveLength(1);
  });

  it("does not retry once tokens have arrived: a dropped connection fails the reply", async () => {
    const server = await startServer({ reply: () => LONG_REPLY });
    server.failures.push({ kind: "drop", afterTokens: 3 });
    const outcome = await read(client(server.baseUrl));
    const error = expectLlmError(outcome.error, "stream");
    expect(error.message).toContain("after 3 deltas");
    expect(outcome.deltas).toHaveLength(3);
    expect(server.requests).toHaveLength(1);
  });

  it("fails with llm_unavailable after one retry when the connection is refused", async () => {
    const { logger, lines } = capturedLogger();
    const outcome = await read(client(`http://127.0.0.1:${await closedPort()}/v1`, { logger }));
    const error = expectLlmError(outcome.error, "connection");
    expect(error.message).toContain("ECONNREFUSED");
    expect(lines.filter((line) => line.err_code === "ECONNREFUSED")).toHaveLength(1);
  });

  it("serves again once a refusing server accepts connections", async () => {
    const server = await startServer();
    await server.refuseConnections();
    expectLlmError((await read(client(server.baseUrl))).error, "connection");
    await server.acceptConnections();
    expect((await read(client(server.baseUrl))).error).toBeNull();
  });
});

describe("OpenAiLlmClient.check", () => {
  it("lists the endpoint's models and says whether the configured one is among them", async () => {
    const server = await startServer({ models: ["test-model", "other-model"] });
    const listed = await client(server.baseUrl).check();
    expect(listed).toMatchObject({ models: ["test-model", "other-model"], model: "test-model", modelListed: true });
    expect(listed.latencyMs).toBeGreaterThan(0);
    const unlisted = await client(server.baseUrl, { model: "llama3.2" }).check();
    expect(unlisted).toMatchObject({ model: "llama3.2", modelListed: false });
  });

  it("fails with llm_unavailable against a closed port", async () => {
    const error = await client(`http://127.0.0.1:${await closedPort()}/v1`)
      .check()
      .catch((e: unknown) => e);
    expectLlmError(error, "connection");
  });

  it("ends with LlmAborted when its signal aborts", async () => {
    const server = await startServer();
    const error = await client(server.baseUrl)
      .check(AbortSignal.abort())
      .catch((e: unknown) => e);
    expect(isLlmAborted(error)).toBe(true);
  });
});

describe("UnconfiguredLlm", () => {
  it("fails every call with llm_unavailable naming LLM_URL", async () => {
    const llm = createLlmClient(llmConfigDefaults);
    expect(llm).toBeInstanceOf(UnconfiguredLlm);
    const outcome = await read(llm);
    const error = expectLlmError(outcome.error, "unconfigured");
    expect(error.message).toBe("no language model is configured (set LLM_URL)");
    expect(outcome.deltas).toEqual([]);
    expect(isLlmError(await llm.check().catch((e: unknown) => e), "unconfigured")).toBe(true);
  });

  it("is replaced by the OpenAI-compatible client once LLM_URL is set", async () => {
    const server = await startServer();
    const llm = createLlmClient({ ...llmConfigDefaults, llmUrl: server.baseUrl, llmModel: "test-model" });
    expect(llm).toBeInstanceOf(OpenAiLlmClient);
    expect((await llm.check()).modelListed).toBe(true);
  });
});

describe("LlmTestServer", () => {
  it("answers a request without stream as one JSON completion", async () => {
    const server = await startServer();
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "test-model", messages: [{ role: "user", content: "Hi" }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(body.choices[0]).toMatchObject({ message: { content: "You asked: Hi. Here is an answer." }, finish_reason: "stop" });
  });
});
