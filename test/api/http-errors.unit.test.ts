import { Writable } from "node:stream";
import type { NextFunction, Request, Response } from "express";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { errorHandler } from "../../src/api/http-errors.js";
import { EngineError } from "../../src/errors.js";

/** How the API's last middleware logs what it answers: expected refusals as warnings without a stack. */

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: "debug" }, stream) };
}

/** Just enough of Express' response for the handler. */
function response() {
  const answer: { status: number; body: unknown; headers: Map<string, string> } = { status: 0, body: undefined, headers: new Map() };
  const res = {
    headersSent: false,
    hasHeader: (name: string) => answer.headers.has(name.toLowerCase()),
    setHeader: (name: string, value: string) => answer.headers.set(name.toLowerCase(), value),
    type() {
      return this;
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
  };
  return { answer, res: res as unknown as Response };
}

async function handle(error: unknown) {
  const { lines, logger } = capture();
  const { answer, res } = response();
  errorHandler(logger)(error, { path: "/api/v1/sessions" } as Request, res, (() => {}) as NextFunction);
  // pino writes asynchronously to a stream: one turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  return { lines, answer };
}

describe("the API's error logging", () => {
  it("an expected 503 (max_sessions) is a warning with its code and no stack", async () => {
    const { lines, answer } = await handle(new EngineError("max_sessions", "the engine holds its maximum of 2 sessions"));
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, code: "max_sessions", path: "/api/v1/sessions" });
    expect(lines[0]).not.toHaveProperty("err");
  });

  it("an unexpected failure is an error with its stack, answered internal", async () => {
    const { lines, answer } = await handle(new TypeError("a bug"));
    expect(answer).toMatchObject({ status: 500, body: { error: { code: "internal", retryable: true } } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, err: { type: "TypeError", stack: expect.stringContaining("a bug") } });
  });

  it("a 4xx refusal is not logged at all", async () => {
    const { lines, answer } = await handle(new EngineError("invalid_request", "invalid request body"));
    expect(answer.status).toBe(400);
    expect(lines).toEqual([]);
  });
});
