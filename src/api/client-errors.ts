import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { EngineError, type ApiErrorCode } from "../errors.js";

/** Node's parser errors are `HPE_*` codes (`HPE_INVALID_METHOD`, `HPE_HEADER_OVERFLOW` past 16 KB of headers, …). */
function parserCode(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("code" in error) || typeof error.code !== "string") return null;
  return error.code.startsWith("HPE_") ? error.code : null;
}

function rawAnswer(status: number, reason: string, body: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Requests Node's HTTP layer refuses itself never reach Express; without this they get a bare status line. They get
 * the engine's JSON error instead (400 `invalid_request`), like any other bad request. `onError` counts them.
 */
export function answerClientErrors(server: Server, onError: (code: ApiErrorCode) => void = () => {}): void {
  server.on("clientError", (error: Error, socket: Duplex) => {
    // Node's own check: an answer already under way on this connection (keep-alive) must not be corrupted; close it.
    const inFlight: unknown = Reflect.get(socket, "_httpMessage");
    const answering = typeof inFlight === "object" && inFlight !== null && Reflect.get(inFlight, "headersSent") === true;
    if (!socket.writable || answering) {
      socket.destroy();
      return;
    }
    const code = parserCode(error);
    if (code === null) {
      // Timeouts and resets: nothing to answer to.
      socket.destroy();
      return;
    }
    const answer = new EngineError("invalid_request", `the request could not be parsed (${code})`);
    onError(answer.code);
    const body = JSON.stringify({ error: { code: answer.code, message: answer.message, retryable: answer.retryable } });
    socket.end(rawAnswer(answer.status, "Bad Request", body));
  });
  // Node answers an `Expect` other than 100-continue with a bare 417; this answers it as a bad request.
  server.on("checkExpectation", (_req, res) => {
    const answer = new EngineError("invalid_request", "the Expect header is not supported (only 100-continue)");
    onError(answer.code);
    res.writeHead(answer.status, { "Content-Type": "application/json; charset=utf-8", Connection: "close" });
    res.end(JSON.stringify({ error: { code: answer.code, message: answer.message, retryable: answer.retryable } }));
  });
}
