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
  port.on("message", (envelope: ThreadRequestEnvelope<Req>) => answer(port, envelope.id, handle(envelope.body)));
}

/**
 * As `serveRequests` for a handler that awaits (a wasm program's instantiation is asynchronous): one request at a
 * time, in arrival order, so a thread never runs two at once and its caller sizes the work by threads. `handle` must
 * not reject, for the same reason (a rejection ends the thread).
 */
export function serveRequestsInOrder<Req, Rep>(handle: (request: Req) => Promise<ThreadAnswer<Rep>>): void {
  const port = parentPort;
  if (port === null) return;
  let previous: Promise<void> = Promise.resolve();
  port.on("message", (envelope: ThreadRequestEnvelope<Req>) => {
    previous = previous.then(async () => answer(port, envelope.id, await handle(envelope.body)));
  });
}

function answer<Rep>(port: NonNullable<typeof parentPort>, id: number, { reply, transfer = [] }: ThreadAnswer<Rep>): void {
  const envelope: ThreadReplyEnvelope<Rep> = { id, body: reply };
  port.postMessage(envelope, transfer);
}
