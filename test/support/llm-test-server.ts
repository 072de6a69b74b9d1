import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A test double of an external OpenAI-compatible endpoint (what Ollama, vLLM and llama.cpp server speak): a real HTTP
 * server on a free port that streams chat completions over SSE at a set pace, records every request, and can be told
 * to fail the ways real servers do. For tests only: the engine never answers with made-up replies.
 */

/** A chat-completions request as the server received it. */
export interface RecordedRequest {
  model: unknown;
  messages: { role: string; content: string }[];
  temperature: unknown;
  max_tokens: unknown;
  stream: boolean;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

/**
 * How the next chat request fails: an HTTP status with an error body; `hang`: SSE headers, then nothing; `drop`: the
 * socket destroyed after `afterTokens` tokens; `reset`: the socket reset (RST) once the request is read, before any
 * answer, as a server that dies mid-accept.
 */
export type LlmFailure = { kind: "http"; status: number } | { kind: "hang" } | { kind: "drop"; afterTokens: number } | { kind: "reset" };

/** A response whose connection the client closed before the server had sent all of it. */
export interface ClientClose {
  /** Index of the request in `requests`. */
  request: number;
  tokensSent: number;
}

export interface LlmTestServerOptions {
  /** Delay before each token, the first included. */
  tokenIntervalMs: number;
  /** The reply to a request; default: `You asked: <last user message>. Here is an answer.` */
  reply: (request: RecordedRequest) => string;
  /** What `GET /v1/models` lists. */
  models: string[];
}

export const LLM_TEST_SERVER_DEFAULTS: LlmTestServerOptions = {
  tokenIntervalMs: 5,
  reply: (request) => `You asked: ${request.messages.findLast((m) => m.role === "user")?.content ?? ""}. Here is an answer.`,
  models: ["test-model"],
};

/** The reply's tokens as a model streams them: each word with the whitespace before it. */
export function replyTokens(text: string): string[] {
  return text.match(/\s*\S+/gu) ?? [];
}

/** Values in the order they came, and a promise of the n-th one for a test to wait on (no sleeps). */
class Arrivals<T> {
  readonly items: T[] = [];
  #waiters: { count: number; resolve: (item: T) => void }[] = [];

  push(item: T): number {
    const count = this.items.push(item);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.count !== count) return true;
      waiter.resolve(item);
      return false;
    });
    return count - 1;
  }

  /** Resolves with the `count`-th item (from 1), at once if it has come. */
  nth(count: number): Promise<T> {
    const seen = this.items[count - 1];
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

export class LlmTestServer {
  readonly options: LlmTestServerOptions;
  readonly #requests = new Arrivals<RecordedRequest>();
  readonly #clientCloses = new Arrivals<ClientClose>();
  /** Failures for the next chat requests, first first; a request with none left is answered normally. */
  readonly failures: LlmFailure[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #port = 0;

  private constructor(options: LlmTestServerOptions) {
    this.options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(options: Partial<LlmTestServerOptions> = {}): Promise<LlmTestServer> {
    const server = new LlmTestServer({ ...LLM_TEST_SERVER_DEFAULTS, ...options });
    await server.acceptConnections();
    return server;
  }

  /** `http://127.0.0.1:<port>/v1`, the base URL a client is configured with. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  /** Every chat request received, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests.items;
  }

  /** Every response whose connection the client closed early, in order. */
  get clientCloses(): readonly ClientClose[] {
    return this.#clientCloses.items;
  }

  /** Resolves with the `count`-th chat request (from 1) once it is read, before it is answered. */
  waitForRequest(count = 1): Promise<RecordedRequest> {
    return this.#requests.nth(count);
  }

  /** Resolves with the `count`-th early client close (from 1), at once if it has happened. */
  waitForClientClose(count = 1): Promise<ClientClose> {
    return this.#clientCloses.nth(count);
  }

  /** Stops listening and drops every connection: connections are refused until `acceptConnections()`. */
  async refuseConnections(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = once(this.#server, "close");
    this.#server.close();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Listens again, on the same port once it has one. */
  async acceptConnections(): Promise<void> {
    if (this.#server.listening) return;
    this.#server.listen(this.#port, "127.0.0.1");
    await once(this.#server, "listening");
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.refuseConnections();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === "/v1/models") {
      const created = Math.floor(Date.now() / 1000);
      sendJson(res, 200, { object: "list", data: this.options.models.map((id) => ({ id, object: "model", created, owned_by: "test" })) });
      return;
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      sendJson(res, 404, { error: { message: "no such route", type: "invalid_request_error" } });
      return;
    }
    const body = await readJson(req);
    if (body === null) {
      sendJson(res, 400, { error: { message: "the body is not a JSON object", type: "invalid_request_error" } });
      return;
    }
    const request = recorded(body, req.headers.authorization);
    const index = this.#requests.push(request);
    const failure = this.failures.shift();
    if (failure?.kind === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    if (failure?.kind === "http") {
      sendJson(res, failure.status, { error: { message: `failing as told (${failure.status})`, type: "server_error" } });
      return;
    }
    let tokens = replyTokens(this.options.reply(request));
    let finishReason = "stop";
    if (typeof request.max_tokens === "number" && tokens.length > request.max_tokens) {
      tokens = tokens.slice(0, request.max_tokens);
      finishReason = "length";
    }
    if (!request.stream) {
      if (failure?.kind === "hang") return;
      const content = tokens.join("");
      const choice = { index: 0, message: { role: "assistant", content }, finish_reason: finishReason };
      sendJson(res, 200, { ...envelope(request, "chat.completion"), choices: [choice], usage: usage(request, tokens.length) });
      return;
    }
    this.#stream(res, request, index, tokens, finishReason, failure);
  }

  #stream(res: ServerResponse, request: RecordedRequest, index: number, tokens: string[], finishReason: string, failure: LlmFailure | undefined): void {
    let sent = 0;
    res.once("close", () => {
      if (res.writableFinished || failure?.kind === "drop") return;
      this.#clientCloses.push({ request: index, tokensSent: sent });
    });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    if (failure?.kind === "hang") return;
    const base = envelope(request, "chat.completion.chunk");
    const event = (delta: object, reason: string | null) => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: reason }] })}\n\n`);
    // The role arrives first with empty content, as OpenAI sends it: clients must skip empty deltas.
    event({ role: "assistant", content: "" }, null);
    const next = () => {
      if (res.destroyed) return;
      if (failure?.kind === "drop" && sent >= failure.afterTokens) {
        res.socket?.destroy();
        return;
      }
      const token = tokens[sent];
      if (token === undefined) {
        event({}, finishReason);
        res.end("data: [DONE]\n\n");
        return;
      }
      event({ content: token }, null);
      sent += 1;
      this.#later(next);
    };
    this.#later(next);
  }

  #later(run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, this.options.tokenIntervalMs);
    this.#timers.add(timer);
  }
}

function recorded(body: Record<string, unknown>, authorization: string | undefined): RecordedRequest {
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m: unknown) => {
        const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
        return { role: String(role), content: typeof content === "string" ? content : JSON.stringify(content) };
      })
    : [];
  return { model: body.model, messages, temperature: body.temperature, max_tokens: body.max_tokens, stream: body.stream === true, body, authorization };
}

function envelope(request: RecordedRequest, object: string) {
  return { id: "chatcmpl-test", object, created: Math.floor(Date.now() / 1000), model: String(request.model) };
}

function usage(request: RecordedRequest, completionTokens: number) {
  const promptTokens = request.messages.reduce((sum, m) => sum + replyTokens(m.content).length, 0);
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}
