import WebSocket from "ws";
import { z } from "zod";

/**
 * Reads another process's heap after a full garbage collection, through the inspector protocol: the process is
 * started with `NODE_OPTIONS=--inspect=127.0.0.1:0` and prints its debugger URL on stderr. Only for tests: a leak
 * shows as heap that survives a forced collection, which an idle process's own GC schedule would not reveal.
 */

const DEBUGGER_URL = /Debugger listening on (ws:\/\/\S+)/;
const reply = z.object({ id: z.number(), result: z.record(z.string(), z.unknown()).optional(), error: z.unknown().optional() });
const heapUsage = z.object({ usedSize: z.number(), totalSize: z.number() });

export function debuggerUrlIn(output: readonly string[]): string {
  for (const chunk of output) {
    const match = DEBUGGER_URL.exec(chunk);
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error("the process printed no debugger URL (start it with NODE_OPTIONS=--inspect=127.0.0.1:0)");
}

export interface HeapInspector {
  /** Bytes of JS heap in use after a full collection. */
  usedAfterGc(): Promise<number>;
  close(): void;
}

export async function inspectHeap(debuggerUrl: string): Promise<HeapInspector> {
  const socket = new WebSocket(debuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 0;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.on("message", (data: Buffer) => {
    const parsed = reply.safeParse(JSON.parse(data.toString("utf8")));
    if (!parsed.success) return;
    pending.get(parsed.data.id)?.(parsed.data.result ?? {});
    pending.delete(parsed.data.id);
  });
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      nextId += 1;
      pending.set(nextId, resolve);
      socket.send(JSON.stringify({ id: nextId, method }));
    });
  return {
    async usedAfterGc() {
      await call("HeapProfiler.collectGarbage");
      return heapUsage.parse(await call("Runtime.getHeapUsage")).usedSize;
    },
    close: () => socket.close(),
  };
}
