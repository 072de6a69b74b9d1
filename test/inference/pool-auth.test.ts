import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveSecrets } from "../../src/auth/secrets.js";
import { ConfigError, configFromEnv, withDefaults } from "../../src/config.js";
import { startEngine } from "../../src/engine.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { createLogger } from "../../src/logger.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";
import { spawnPool, stopPool, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";

/*
 * Where INFERENCE_TOKEN comes from (configuration, the data folder) and that every pool the engine starts or
 * talks to requires it: the in-process one on loopback and the standalone one, which binds loopback unless told.
 */

const TOKEN = "t".repeat(32);
const dirs: string[] = [];
let engine: TestEngine | undefined;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pool-auth-"));
  dirs.push(dir);
  return dir;
}

/** GetStatus through the generated client with exactly `metadata` (no token interceptor). */
function rawStatus(address: string, metadata: Metadata): Promise<ServiceError | null> {
  const client = new (loadInferenceProto().engine.inference.v1.Inference)(address, credentials.createInsecure());
  return new Promise((resolve) =>
    client.GetStatus({}, metadata, (error) => {
      client.close();
      resolve(error);
    }),
  );
}

const storedSecrets = z.object({ adminApiKey: z.string(), tokenSecret: z.string(), inferenceToken: z.string().min(32) });

beforeAll(async () => {
  engine = await startTestEngine();
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("INFERENCE_TOKEN", () => {
  it("configuration: required (≥ 32 characters) with INFERENCE_URLS, a ConfigError naming it otherwise", async () => {
    expect(configFromEnv({}).inferenceToken).toBeNull();
    expect(configFromEnv({ INFERENCE_URLS: "gpu:50051", INFERENCE_TOKEN: TOKEN })).toMatchObject({ inferenceUrls: ["gpu:50051"], inferenceToken: TOKEN });
    for (const env of [{ INFERENCE_URLS: "gpu:50051" }, { INFERENCE_URLS: "gpu:50051", INFERENCE_TOKEN: "short" }, { INFERENCE_TOKEN: "short" }]) {
      const error = (() => {
        try {
          configFromEnv(env);
          return null;
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      // The message names every bad variable (the operator's contract, printed before exit 2).
      expect(error).toMatchObject({ code: "invalid_config", message: expect.stringContaining("INFERENCE_TOKEN") });
    }
    // A programmatic configuration gets the same refusal, before anything starts.
    const config = withDefaults({ dataDir: await tempDir(), inferenceUrls: ["127.0.0.1:1"], logLevel: "silent" });
    await expect(startEngine(config, createLogger("silent"))).rejects.toBeInstanceOf(ConfigError);
  });

  it("embedded defaults: generated once, kept in DATA_DIR/secrets.json (0600), added to a file from before", async () => {
    const dataDir = await tempDir();
    const input = { adminApiKey: null, tokenSecret: null, inferenceToken: null, dataDir };
    const first = await resolveSecrets(input);
    expect(first.inferenceToken.length).toBeGreaterThanOrEqual(32);
    expect(first.file).toBe(join(dataDir, "secrets.json"));
    expect((await stat(join(dataDir, "secrets.json"))).mode & 0o777).toBe(0o600);
    expect((await resolveSecrets(input)).inferenceToken).toBe(first.inferenceToken);
    expect((await resolveSecrets({ ...input, inferenceToken: TOKEN })).inferenceToken).toBe(TOKEN);

    const legacy = await tempDir();
    await writeFile(join(legacy, "secrets.json"), JSON.stringify({ adminApiKey: "a".repeat(16), tokenSecret: "s".repeat(32) }), { mode: 0o600 });
    const upgraded = await resolveSecrets({ ...input, dataDir: legacy });
    expect(upgraded).toMatchObject({ adminApiKey: "a".repeat(16), tokenSecret: "s".repeat(32) });
    const kept = storedSecrets.parse(JSON.parse(await readFile(join(legacy, "secrets.json"), "utf8")));
    expect(kept).toEqual({ adminApiKey: "a".repeat(16), tokenSecret: "s".repeat(32), inferenceToken: upgraded.inferenceToken });
  });

  it("the engine's in-process pool refuses callers without its token (UNAUTHENTICATED) and serves the engine's", async () => {
    const running = engine?.engine;
    const address = running?.pool?.address;
    if (running === undefined || address === undefined || running.secretsFile === null) throw new Error("no in-process pool");
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await rawStatus(address, new Metadata())).toMatchObject({ code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^unauthorized: /) });
    const { inferenceToken } = storedSecrets.parse(JSON.parse(await readFile(running.secretsFile, "utf8")));
    const client = new PoolClient(address, { token: inferenceToken });
    expect((await client.status()).models.length).toBeGreaterThan(0);
    client.close();
    expect((await running.inference.status()).server.unauthenticatedCalls).toBe(1);
  });

  it("the standalone pool: binds 127.0.0.1 by default, generates and keeps its token in DATA_DIR, never logs it", async () => {
    const dataDir = await tempDir();
    // Empty values count as unset: the pool's own defaults.
    const pool = await spawnPool({ INFERENCE_HOST: "", INFERENCE_TOKEN: "", INFERENCE_PORT: "0", DATA_DIR: dataDir });
    try {
      expect(pool.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const file = join(dataDir, "inference-secrets.json");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const { inferenceToken } = z.object({ inferenceToken: z.string().min(32) }).parse(JSON.parse(await readFile(file, "utf8")));
      const client = new PoolClient(pool.address, { token: inferenceToken });
      expect((await client.status()).models.length).toBeGreaterThan(0);
      client.close();
      const other = new Metadata();
      other.set("authorization", `Bearer ${TEST_INFERENCE_TOKEN}`);
      expect(await rawStatus(pool.address, other)).toMatchObject({ code: grpcStatus.UNAUTHENTICATED });
      expect(pool.output.join("\n")).not.toContain(inferenceToken);
    } finally {
      await stopPool(pool, "SIGKILL");
    }
  }, 60_000);
});
