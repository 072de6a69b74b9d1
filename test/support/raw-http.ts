import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { z } from "zod";

/**
 * HTTP requests sent as written, through node:http: fetch resolves `..` and normalises paths, so path tricks would
 * never reach the engine. Each request has a connection of its own (no keep-alive reuse between tests).
 */
export interface RawRequest {
  port: number;
  method: string;
  /** The request target exactly as it goes on the wire (`/%2e%2e/package.json`). */
  path: string;
  headers?: OutgoingHttpHeaders;
  /** Sent as is; chunks are written one after the other, with backpressure. */
  body?: Uint8Array | string | Iterable<Uint8Array>;
  /** Loopback source address (127.0.0.x): the API's per-address budget is counted per source. */
  localAddress?: string;
  /** A safety net against an engine that never answers: the request fails after this long without an answer. */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** The answer, or the error the connection failed with. Stops writing a body the engine answered early (413). */
export function rawRequest(options: RawRequest): Promise<RawResponse> {
  const headers: OutgoingHttpHeaders = { ...options.headers };
  const body = options.body;
  // node:http frames a GET or DELETE body only when told how: a length, or chunked.
  if (body !== undefined && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
    if (typeof body === "string" || body instanceof Uint8Array) headers["content-length"] = Buffer.byteLength(body);
    else headers["transfer-encoding"] = "chunked";
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { host: "127.0.0.1", port: options.port, method: options.method, path: options.path, headers, agent: false, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
          req.destroy();
        });
      },
    );
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    if (options.timeoutMs !== undefined) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer in ${options.timeoutMs} ms`)));
    if (body === undefined || typeof body === "string" || body instanceof Uint8Array) {
      req.end(body);
      return;
    }
    const chunks = body[Symbol.iterator]();
    const pump = (): void => {
      for (;;) {
        if (answered || req.destroyed) return;
        const next = chunks.next();
        if (next.done === true) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

const errorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }) });

/** `{status, code}` of an answer: `code` is the engine error's, or null when the body is not an engine error. */
export function answerOf(response: RawResponse): { status: number; code: string | null } {
  if (!String(response.headers["content-type"] ?? "").startsWith("application/json")) return { status: response.status, code: null };
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    return { status: response.status, code: null };
  }
  const parsed = errorAnswer.safeParse(json);
  return { status: response.status, code: parsed.success ? parsed.data.error.code : null };
}
