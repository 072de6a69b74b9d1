import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** The entry points' process guards, in a real child process: what a stray rejection and an uncaught exception do. */

const line = z.object({ event: z.string(), kind: z.string().optional() });

function start() {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/fixtures/guarded-process.ts"], { stdio: ["pipe", "pipe", "pipe"] });
  const events: z.infer<typeof line>[] = [];
  const waiters: { event: string; resolve: () => void }[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const text of lines) {
      const parsed = line.safeParse(JSON.parse(text));
      if (!parsed.success) continue;
      events.push(parsed.data);
      for (const w of waiters.filter((w) => w.event === parsed.data.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const until = (event: string) =>
    events.some((e) => e.event === event) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ event, resolve }));
  return { child, events, exited, until, send: (text: string) => child.stdin.write(`${text}\n`) };
}

describe("process guards", () => {
  it("an unhandled rejection is logged and counted, and the process keeps serving", async () => {
    const p = start();
    await p.until("ready");
    p.send("reject");
    await p.until("fault");
    p.send("ping");
    await p.until("alive");
    expect(p.events.filter((e) => e.event === "fault")).toEqual([{ event: "fault", kind: "unhandled_rejection" }]);
    expect(p.events.some((e) => e.event === "stopping")).toBe(false);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("an uncaught exception is counted, then the process drains as on SIGTERM and exits 1", async () => {
    const p = start();
    await p.until("ready");
    p.send("throw");
    expect(await p.exited).toBe(1);
    expect(p.events.map((e) => e.event)).toEqual(["ready", "fault", "stopping", "stopped"]);
    expect(p.events[1]).toMatchObject({ kind: "uncaught_exception" });
  });

  it("SIGTERM drains and exits 0", async () => {
    const p = start();
    await p.until("ready");
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.events.map((e) => e.event)).toEqual(["ready", "stopping", "stopped"]);
  });
});
