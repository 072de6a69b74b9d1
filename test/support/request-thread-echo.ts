import { threadId } from "node:worker_threads";
import { serveRequests } from "../../src/inference/request-thread-port.js";

/**
 * A test thread for `RequestThreads` (test/inference/request-threads.test.ts): echoes a value with this thread's id
 * after holding the thread `busyMs` (a synchronous wait, so requests stay in flight); `exit` ends the thread.
 */
export type EchoRequest = { kind: "echo"; value: number; busyMs: number } | { kind: "exit" };

export interface EchoReply {
  value: number;
  thread: number;
}

serveRequests<EchoRequest, EchoReply>((request) => {
  if (request.kind === "exit") process.exit(3);
  const until = performance.now() + request.busyMs;
  while (performance.now() < until) {
    // Busy: this thread's next request waits behind this one.
  }
  return { reply: { value: request.value, thread: threadId } };
});
