import { Metadata, status as grpcStatus, type ServerDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { Malformed } from "./lenient-decoding.js";
import type { ServerCounters } from "./server-counters.js";
import { MAX_STREAM_ID_CHARS } from "./stream-limits.js";

/** What the server side of StreamAudio and StreamVideo share: the call's session, its messages, its end. */
export interface MediaCallSetup<In, Out extends { streamId: string }, Session extends { end(): void }> {
  rpc: "StreamAudio" | "StreamVideo";
  counters: ServerCounters;
  /** The server's open media calls (ended when it closes). */
  calls: Set<{ end(): void }>;
  log: Logger;
  /** Opens the pool session whose outputs `reply` writes. */
  open(reply: (output: Out) => void): Session;
  toWire(output: Out): unknown;
  /** One message of the call for the session; it may throw (answered `internal` to its stream). */
  handle(session: Session, message: In | Malformed, reply: (output: Out) => void): void;
  /** The answer to a message whose handling threw. */
  internal(message: In | Malformed, detail: string): Out;
}

/**
 * Serves one media call: no input reaches the process as an exception. A write that throws is counted; a handler
 * that throws answers `internal` to that message's stream; the call's end, however it comes (end, cancel, error),
 * frees its session once.
 */
export function serveMediaCall<In, Out extends { streamId: string }, Session extends { end(): void }>(
  call: ServerDuplexStream<In | Malformed, unknown>,
  setup: MediaCallSetup<In, Out, Session>,
): void {
  const { rpc, counters, calls, log } = setup;
  const reply = (output: Out) => {
    try {
      // A refused id is echoed cut to the bound: an error is never larger than a valid message.
      const bounded = output.streamId.length > MAX_STREAM_ID_CHARS ? { ...output, streamId: output.streamId.slice(0, MAX_STREAM_ID_CHARS) } : output;
      if (!call.writableEnded && !call.destroyed && !call.cancelled) call.write(setup.toWire(bounded));
    } catch (error) {
      // A write that throws has no one left to tell: count it and drop the output.
      counters.fault(rpc, error);
    }
  };
  let session: Session;
  try {
    session = setup.open(reply);
    calls.add(call);
    // Tells the client at once that the pool accepted the call (its link counts as connected from here).
    call.sendMetadata(new Metadata());
  } catch (error) {
    call.emit("error", { code: grpcStatus.INTERNAL, details: `internal: ${counters.fault(rpc, error)}` });
    return;
  }
  call.on("data", (message: In | Malformed) => {
    try {
      setup.handle(session, message, reply);
    } catch (error) {
      reply(setup.internal(message, counters.fault(rpc, error)));
    }
  });
  const finish = () => {
    if (!calls.delete(call)) return;
    try {
      session.end();
      if (!call.writableEnded) call.end();
    } catch (error) {
      counters.fault(rpc, error);
    }
    log.debug("media call ended");
  };
  call.on("end", finish);
  call.on("cancelled", finish);
  call.on("error", (error) => {
    log.warn({ err: error }, "media call failed");
    finish();
  });
}
