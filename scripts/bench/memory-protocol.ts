import type { ChildProcess } from "node:child_process";
import { z } from "zod";

/** Messages between the memory bench (parent) and its client and bare-server processes, over Node's IPC channel. */

const seat = z.object({ roomId: z.string(), token: z.string().nullable() });
export type Seat = z.infer<typeof seat>;

const count = z.number().int().min(0);
const counts = z.record(z.string(), count);

export const clientRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("join"), url: z.string(), seats: z.array(seat), concurrency: count, timeoutMs: count }),
  /** How many rooms are still open, and why the others closed: proof the clients were all there when measured. */
  z.object({ type: z.literal("status") }),
  z.object({ type: z.literal("leave") }),
]);
export type ClientRequest = z.infer<typeof clientRequest>;

export const clientReply = z.discriminatedUnion("type", [
  z.object({ type: z.literal("joined"), joined: count, failed: count, failures: counts, join_ms_max: z.number() }),
  z.object({ type: z.literal("status"), open: count, closed: counts }),
  z.object({ type: z.literal("left"), left: count }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]);
export type ClientReply = z.infer<typeof clientReply>;

export const bareRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("create"), count }),
  z.object({ type: z.literal("dispose"), roomIds: z.array(z.string()) }),
]);
export type BareRequest = z.infer<typeof bareRequest>;

export const bareReply = z.discriminatedUnion("type", [
  z.object({ type: z.literal("created"), roomIds: z.array(z.string()) }),
  z.object({ type: z.literal("disposed"), count }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]);
export type BareReply = z.infer<typeof bareReply>;

/**
 * Request/reply over a child's IPC channel, one request at a time per child: each reply resolves the oldest waiter.
 * A child that exits fails every waiter, so the bench never hangs on a crashed process.
 */
export class IpcChannel<Req, Rep extends { type: string }> {
  readonly #child: ChildProcess;
  readonly #waiters: ((reply: Rep | { type: "failed"; message: string }) => void)[] = [];

  constructor(child: ChildProcess, schema: z.ZodType<Rep>, label: string) {
    this.#child = child;
    child.on("message", (raw: unknown) => {
      const parsed = schema.safeParse(raw);
      const reply = parsed.success ? parsed.data : { type: "failed" as const, message: `unreadable message from ${label}` };
      this.#waiters.shift()?.(reply);
    });
    // A send racing the child's exit fails with EPIPE: the exit is what matters, and it fails the waiters.
    child.on("error", () => undefined);
    child.once("exit", (code, signal) => {
      for (const waiter of this.#waiters.splice(0)) waiter({ type: "failed", message: `${label} exited (${code ?? signal})` });
    });
  }

  /** Sends `request` and resolves with the reply of type `expected`; throws on a failure or any other reply. */
  async request<T extends Rep["type"]>(request: Req, expected: T): Promise<Extract<Rep, { type: T }>> {
    const reply = await new Promise<Rep | { type: "failed"; message: string }>((resolve) => {
      this.#waiters.push(resolve);
      this.#child.send(request as object);
    });
    if (reply.type !== expected) {
      throw new Error("message" in reply && typeof reply.message === "string" ? reply.message : `unexpected ${reply.type} reply`);
    }
    return reply as Extract<Rep, { type: T }>;
  }
}
