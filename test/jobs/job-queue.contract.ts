import { afterEach, describe, expect, it } from "vitest";
import { EngineError, isEngineError } from "../../src/errors.js";
import type { JobContext, JobQueue, JobQueueOverrides, JobRecord, JsonValue } from "../../src/jobs/job-queue.js";

export interface QueueFactory {
  /** A new queue of its own (on Redis: its own prefix). */
  make(overrides?: JobQueueOverrides): JobQueue;
}

/** One job at a time, small backoffs: what the cases below expect unless they say otherwise. */
const SERIAL: JobQueueOverrides = { kinds: { meeting_analysis: { concurrency: 1, attempts: 1, backoffMs: 10 } } };
const SETTLE_MS = 10_000;

const payload = (sessionId: string) => ({ session_id: sessionId });

/** A promise and its resolver: the handler tells the test it got somewhere. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function settled(queue: JobQueue, id: string): Promise<JobRecord> {
  const done = await queue.settled(id, SETTLE_MS);
  if (done === null) throw new Error(`job ${id} is unknown`);
  return done;
}

/** What every JobQueue implementation must do (run by job-queue.test.ts against each). */
export function jobQueueContract(name: string, factory: QueueFactory): void {
  describe(`${name}: the JobQueue contract`, () => {
    const open: JobQueue[] = [];
    const make = (overrides: JobQueueOverrides = SERIAL) => {
      const queue = factory.make(overrides);
      open.push(queue);
      return queue;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((queue) => queue.close()));
    });

    it("runs waiting jobs by priority (1 first), equal priorities in the order added; the result is kept", async () => {
      const queue = make();
      const priorities = [5, 1, 3, 1, 2];
      const added: JobRecord[] = [];
      for (const [index, priority] of priorities.entries()) added.push(await queue.add("meeting_analysis", payload(`s${index}`), { priority }));
      expect(added.map((job) => job.state)).toEqual(priorities.map(() => "waiting"));
      const waiting = await queue.list({ state: "waiting", limit: 10, offset: 0 });
      expect(waiting.items.map((job) => job.id)).toEqual([1, 3, 4, 2, 0].map((index) => added[index]?.id));
      expect(waiting.total).toBe(5);
      const ran: string[] = [];
      queue.handle("meeting_analysis", async (job) => {
        ran.push(job.session_id);
        return { session: job.session_id };
      });
      const done = await Promise.all(added.map((job) => settled(queue, job.id)));
      expect(ran).toEqual(["s1", "s3", "s4", "s2", "s0"]);
      expect(done.map((job) => [job.state, job.attemptsMade, job.result])).toEqual(added.map((_, i) => ["completed", 1, { session: `s${i}` }]));
      for (const job of done) {
        expect(job.finishedAt?.getTime()).toBeGreaterThanOrEqual(job.createdAt.getTime());
        expect(job.error).toBeNull();
      }
    });

    it("retries a failed attempt after an exponential backoff (base, then twice it), then completes", async () => {
      const queue = make({ kinds: { meeting_analysis: { concurrency: 1, attempts: 3, backoffMs: 150 } } });
      const startedMs: number[] = [];
      const retried = signal<JobContext>();
      // The second attempt waits until the test has read the job, or its own failure could overwrite the first's.
      const read = signal();
      queue.handle("meeting_analysis", async (_job, context) => {
        startedMs.push(performance.now());
        if (context.attempt === 2) {
          retried.resolve(context);
          await read.promise;
        }
        if (context.attempt < 3) throw new EngineError("model_unavailable", `attempt ${context.attempt} found no model`);
        return "third time";
      });
      const job = await queue.add("meeting_analysis", payload("retried"));
      const second = await retried.promise;
      expect(second.jobId).toBe(job.id);
      // Between attempts the last error is on the job.
      const between = await queue.get(job.id);
      read.resolve();
      expect(between?.error).toEqual({ code: "model_unavailable", message: "attempt 1 found no model" });
      const done = await settled(queue, job.id);
      expect(done).toMatchObject({ state: "completed", attemptsMade: 3, maxAttempts: 3, result: "third time", error: null });
      const [first = 0, secondMs = 0, third = 0] = startedMs;
      // Timers fire a little early or late; BullMQ adds its polling: the waits are at least the backoff, roughly.
      expect(secondMs - first).toBeGreaterThanOrEqual(140);
      expect(third - secondMs).toBeGreaterThanOrEqual(290);
      expect(third - secondMs).toBeGreaterThan(secondMs - first);
    });

    it("dead-letters a job whose attempts are used, with the last error's code and message; listed as failed", async () => {
      const queue = make({ kinds: { meeting_analysis: { concurrency: 1, attempts: 2, backoffMs: 20 } } });
      queue.handle("meeting_analysis", async (job, context) => {
        if (job.session_id === "plain") throw new Error(`socket hang up (attempt ${context.attempt})`);
        if (job.session_id === "bad") throw new EngineError("invalid_audio", "not a WAV file");
        throw new EngineError("overloaded", `busy (attempt ${context.attempt})`);
      });
      const exhausted = await queue.add("meeting_analysis", payload("busy"));
      const plain = await queue.add("meeting_analysis", payload("plain"));
      const bad = await queue.add("meeting_analysis", payload("bad"));
      expect(await settled(queue, exhausted.id)).toMatchObject({ state: "failed", attemptsMade: 2, result: null, error: { code: "overloaded", message: "busy (attempt 2)" } });
      // Any other error is internal, with its message.
      expect(await settled(queue, plain.id)).toMatchObject({ state: "failed", attemptsMade: 2, error: { code: "internal", message: "socket hang up (attempt 2)" } });
      // An error that is not retryable is not retried.
      expect(await settled(queue, bad.id)).toMatchObject({ state: "failed", attemptsMade: 1, error: { code: "invalid_audio", message: "not a WAV file" } });
      const failed = await queue.list({ state: "failed", limit: 10, offset: 0 });
      expect(failed.total).toBe(3);
      expect(new Set(failed.items.map((job) => job.id))).toEqual(new Set([exhausted.id, plain.id, bad.id]));
      const finished = failed.items.map((job) => job.finishedAt?.getTime() ?? 0);
      expect(finished).toEqual([...finished].sort((x, y) => y - x));
      const page = await queue.list({ state: "failed", kind: "meeting_analysis", limit: 1, offset: 1 });
      expect(page.items.map((job) => job.id)).toEqual([failed.items[1]?.id]);
      expect((await queue.list({ state: "failed", kind: "transcription", limit: 10, offset: 0 })).total).toBe(0);
    });

    it("an id added again returns the job as it is and runs nothing twice, before and after it ran", async () => {
      const queue = make();
      const first = await queue.add("meeting_analysis", payload("once"), { key: "session-1" });
      expect(first.id).toBe("meeting_analysis:session-1");
      const again = await queue.add("meeting_analysis", payload("other"), { key: "session-1", priority: 1 });
      expect(again).toMatchObject({ id: first.id, state: "waiting", priority: first.priority });
      let runs = 0;
      queue.handle("meeting_analysis", async (job) => {
        runs += 1;
        return job.session_id;
      });
      expect(await settled(queue, first.id)).toMatchObject({ state: "completed", result: "once" });
      const later = await queue.add("meeting_analysis", payload("later"), { key: "session-1" });
      expect(later).toMatchObject({ id: first.id, state: "completed", result: "once" });
      // Keys are any text (session ids): colons, digits only, slashes.
      for (const key of ["a:b:c", "12345", "x/y?z=1 %"]) {
        const odd = await queue.add("meeting_analysis", payload(key), { key });
        expect(await settled(queue, odd.id)).toMatchObject({ id: `meeting_analysis:${key}`, state: "completed", result: key });
      }
      expect(runs).toBe(4);
    });

    it("get and settled: null for an unknown id or kind; a running job is active, listed by start", async () => {
      const queue = make();
      expect(await queue.get("meeting_analysis:nobody")).toBeNull();
      expect(await queue.get("no_such_kind:x")).toBeNull();
      expect(await queue.get("no colon")).toBeNull();
      expect(await queue.settled("meeting_analysis:nobody", 10)).toBeNull();
      const started = signal();
      const release = signal();
      queue.handle("meeting_analysis", async () => {
        started.resolve();
        await release.promise;
        return null;
      });
      const job = await queue.add("meeting_analysis", payload("held"));
      await started.promise;
      expect((await queue.get(job.id))?.state).toBe("active");
      expect((await queue.list({ state: "active", limit: 10, offset: 0 })).items.map((j) => j.id)).toEqual([job.id]);
      // A wait that times out answers the job as it is.
      expect((await queue.settled(job.id, 50))?.state).toBe("active");
      release.resolve();
      expect((await settled(queue, job.id)).state).toBe("completed");
      const completed = await queue.list({ state: "completed", limit: 10, offset: 0 });
      expect(completed.items.map((j) => j.id)).toEqual([job.id]);
    });

    it("bounds: queued jobs per kind (overloaded), the payload (invalid_request) and the result's size (failed, not retried)", async () => {
      const queue = make({ maxResultBytes: 1_000, kinds: { meeting_analysis: { concurrency: 1, maxQueued: 2, attempts: 3, backoffMs: 10 } } });
      await queue.add("meeting_analysis", payload("a"));
      await queue.add("meeting_analysis", payload("b"));
      const full: unknown = await queue.add("meeting_analysis", payload("c")).catch((error: unknown) => error);
      expect(isEngineError(full, "overloaded")).toBe(true);
      // Another kind has its own bound.
      expect((await queue.add("transcription", { wav_base64: "UklGRg==" })).state).toBe("waiting");
      const invalid: unknown = await queue.add("meeting_analysis", { session_id: "" }).catch((error: unknown) => error);
      expect(isEngineError(invalid, "invalid_request")).toBe(true);
      const badOptions: unknown = await queue.add("meeting_analysis", payload("x"), { priority: 0 }).catch((error: unknown) => error);
      expect(isEngineError(badOptions, "invalid_request")).toBe(true);

      const page = await queue.list({ state: "waiting", kind: "meeting_analysis", limit: 10, offset: 0 });
      queue.handle("meeting_analysis", async (job): Promise<JsonValue> => (job.session_id === "a" ? "x".repeat(2_000) : "small"));
      const [a, b] = await Promise.all(page.items.map((job) => settled(queue, job.id)));
      expect(a).toMatchObject({ state: "failed", attemptsMade: 1, error: { code: "internal" } });
      expect(a?.error?.message).toContain("over 1000 bytes");
      expect(b).toMatchObject({ state: "completed", result: "small" });
      // Room again once they finished.
      expect((await queue.add("meeting_analysis", payload("c"))).kind).toBe("meeting_analysis");
    });

    it("close lets a running job finish; one that outlasts the grace has its signal aborted; later adds are refused (draining)", async () => {
      const queue = make({ closeTimeoutMs: 5_000, kinds: { meeting_analysis: { concurrency: 2, attempts: 1 } } });
      const started = signal();
      let finished = false;
      queue.handle("meeting_analysis", async () => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 100));
        finished = true;
        return null;
      });
      await queue.add("meeting_analysis", payload("short"));
      await started.promise;
      await queue.close();
      expect(finished).toBe(true);
      const refused: unknown = await queue.add("meeting_analysis", payload("late")).catch((error: unknown) => error);
      expect(isEngineError(refused, "draining")).toBe(true);

      const stuck = make({ closeTimeoutMs: 200, abortGraceMs: 2_000, kinds: { meeting_analysis: { concurrency: 1, attempts: 2, backoffMs: 10 } } });
      const running = signal<AbortSignal>();
      stuck.handle("meeting_analysis", (_job, context) => {
        running.resolve(context.signal);
        return new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(new Error("stopped"))));
      });
      await stuck.add("meeting_analysis", payload("stuck"));
      const handlerSignal = await running.promise;
      const closingMs = performance.now();
      await stuck.close();
      expect(handlerSignal.aborted).toBe(true);
      expect(performance.now() - closingMs).toBeLessThan(2_000);
    });
  });
}
