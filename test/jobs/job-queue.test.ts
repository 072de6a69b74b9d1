import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { BullmqJobQueue } from "../../src/jobs/bullmq-job-queue.js";
import { LocalJobQueue } from "../../src/jobs/local-job-queue.js";
import { createLogger } from "../../src/logger.js";
import { testRedisUrl } from "../support/engine.js";
import { jobQueueContract } from "./job-queue.contract.js";
import { deleteKeysUnder } from "./redis-keys.js";

const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
const redisUrl = testRedisUrl();

jobQueueContract("LocalJobQueue", { make: (overrides) => new LocalJobQueue({ logger }, overrides) });

describe("LocalJobQueue: its own bounds", () => {
  it("payload bytes waiting in memory, all kinds together, are bounded (overloaded)", async () => {
    const queue = new LocalJobQueue({ logger }, { maxQueuedPayloadBytes: 3_000 });
    const audio = { wav_base64: "A".repeat(1_000) };
    await queue.add("transcription", audio);
    await queue.add("transcription", audio);
    await expect(queue.add("transcription", audio)).rejects.toMatchObject({ code: "overloaded" });
    await queue.close();
  });

  it("keeps finished jobs by count: the oldest beyond it are gone", async () => {
    const queue = new LocalJobQueue({ logger }, { kinds: { meeting_analysis: { keepCompleted: { count: 2, ageMs: 60_000 } } } });
    queue.handle("meeting_analysis", async () => null);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const job = await queue.add("meeting_analysis", { session_id: `s${n}` });
      await queue.settled(job.id, 5_000);
      ids.push(job.id);
    }
    expect(await Promise.all(ids.map(async (id) => (await queue.get(id))?.state ?? null))).toEqual([null, "completed", "completed"]);
    await queue.close();
  });
});

if (redisUrl === null) {
  describe.skip("BullmqJobQueue: REDIS_URL is not set, so there is no Redis to run against (CI sets it)", () => {
    it("runs the JobQueue contract against BullMQ on a real Redis", () => {});
  });
} else {
  const url = redisUrl;
  // A prefix per queue: runs side by side (and the cases of one run) never share a key.
  const run = `test-jobs-${randomUUID()}`;
  let made = 0;
  const queueOn = (prefix: string) => (overrides = {}) => new BullmqJobQueue(url, { logger }, { ...overrides, prefix });
  jobQueueContract("BullmqJobQueue", { make: (overrides) => queueOn(`${run}-${(made += 1)}`)(overrides) });

  describe("BullmqJobQueue: on Redis", () => {
    it("a job added by one process runs in another; its payload leaves Redis when it finishes, its result stays", async () => {
      const prefix = `${run}-shared`;
      const adder = queueOn(prefix)();
      const runner = queueOn(prefix)();
      runner.handle("transcription", async (job) => ({ bytes: Buffer.from(job.wav_base64, "base64").byteLength }));
      const job = await adder.add("transcription", { wav_base64: Buffer.alloc(3_000).toString("base64") });
      expect(await adder.settled(job.id, 10_000)).toMatchObject({ state: "completed", result: { bytes: 3_000 } });
      const redis = new Redis(url);
      try {
        const data = await redis.hget(`${prefix}:jobs-transcription:${encodeURIComponent(job.id)}`, "data");
        expect(data).toBe("{}");
      } finally {
        redis.disconnect();
      }
      await Promise.all([adder.close(), runner.close()]);
    });
  });

  afterAll(() => deleteKeysUnder(url, run));
}
