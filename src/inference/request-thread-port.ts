import { parentPort } from "node:worker_threads";

/**
 * The thread side of `RequestThreads` (request-threads.ts): each request is answered by one reply with the same id.
 * Only node:worker_threads is imported here, so a thread loads nothing but its own work's modules.
 */
export interface ThreadRequestEnvelope<Req> {
  id: number;
  body: Req;
}

export interface ThreadReplyEnvelope<Rep> {
  id: number;
  body: Rep;
}

/** What a handler answers: the reply, and the buffers in it that move to the caller instead of being copied. */
export interface ThreadAnswer<Rep> {
  reply: Rep;
  transfer?: ArrayBuffer[];
}

/**
 * Answers every request this thread receives with `handle`, synchronously and in order. `handle` must not throw:
 * a failure is a reply of its own (an exception here would end the thread, failing its other requests).
 */
export function serveRequests<Req, Rep>(handle: (request: Req) => ThreadAnswer<Rep>): void {
  const port = parentPort;
  if (port === null) return;
  port.on("message", (envelope: ThreadRequestEnvelope<Req>) => {
    const { reply, transfer = [] } = handle(envelope.body);
    const answer: ThreadReplyEnvelope<Rep> = { id: envelope.id, body: reply };
    port.postMessage(answer, transfer);
  });
}
