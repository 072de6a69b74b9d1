/**
 * compose.yaml and deploy/compose.gpu.yaml: parsed (no Docker needed) and checked for the topology the deployment
 * guide describes — every service with its health check, the engines sharing secrets, database, Redis and pools, each
 * with its own PUBLIC_ADDRESS routed by the proxy — and the engine's own configuration reader accepting the
 * environment compose hands it. test/scale/two-engines.test.ts runs the same topology as plain processes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { configFromEnv } from "../../src/config.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

const healthcheck = z.object({ test: z.array(z.string()).min(2), interval: z.string(), timeout: z.string(), retries: z.number() });
const service = z.object({
  image: z.string(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  healthcheck: healthcheck.optional(),
  profiles: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
});
const composeFile = z.object({ services: z.record(z.string(), service) });
type Service = z.infer<typeof service>;

/** YAML merge keys (`<<: *anchor`) are how the file shares engine settings; compose resolves them the same way. */
const compose = composeFile.parse(parse(read("compose.yaml"), { merge: true }));
const services = compose.services;

function serviceNamed(name: string): Service {
  const found = services[name];
  if (found === undefined) throw new Error(`compose.yaml has no service ${name}`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(serviceNamed(name).environment ?? {}).map(([key, value]) => [key, String(value)]));
}

/**
 * Compose's interpolation, the three forms the file uses: `${NAME}`, `${NAME:-default}` (unset or empty → default)
 * and `${NAME:?message}` (unset or empty → error). Anything else is refused, so the check never reads a form wrongly.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, body: string) => {
    const match = /^([A-Z_][A-Z0-9_]*)(?:(:-|:\?)(.*))?$/.exec(body);
    if (match === null) throw new Error(`unsupported interpolation \${${body}}`);
    const [, name = "", operator, argument = ""] = match;
    const value = env[name];
    if (value !== undefined && value !== "") return value;
    if (operator === ":-") return argument;
    if (operator === ":?") throw new Error(`${name}: ${argument}`);
    return "";
  });
}

/** The secrets an operator puts in .env: long enough for every minimum the engine and the pool check. */
const SECRETS = {
  POSTGRES_PASSWORD: "postgres-password-0123456789",
  ADMIN_API_KEY: "admin-key-0123456789-0123456789",
  TOKEN_SECRET: "token-secret-0123456789-0123456789-0123456789",
  INFERENCE_TOKEN: "inference-token-0123456789-0123456789-0123",
};

const ENGINES = ["engine-a", "engine-b"] as const;
const POOLS = ["pool-a", "pool-b"] as const;
const ENGINE_PORT = "2567";
const POOL_PORT = "50051";

describe("compose.yaml", () => {
  it("has Postgres, Redis, two engines, the proxy, two pool workers, and Ollama under the llm profile only", () => {
    expect(Object.keys(services).sort()).toEqual(["engine-a", "engine-b", "ollama", "pool-a", "pool-b", "postgres", "proxy", "redis"]);
    expect(serviceNamed("ollama").profiles).toEqual(["llm"]);
    for (const [name, s] of Object.entries(services)) if (name !== "ollama") expect(s.profiles, name).toBeUndefined();
  });

  it("gives every service a health check; engines and pools probe with scripts/healthcheck.mjs", () => {
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck, name).toBeDefined();
    for (const name of ENGINES) expect(serviceNamed(name).healthcheck?.test).toEqual(["CMD", "node", "scripts/healthcheck.mjs", "engine"]);
    for (const name of POOLS) expect(serviceNamed(name).healthcheck?.test).toEqual(["CMD", "node", "scripts/healthcheck.mjs", "pool"]);
    expect(serviceNamed("postgres").healthcheck?.test[1]).toBe("pg_isready");
    expect(serviceNamed("redis").healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(read("scripts/healthcheck.mjs")).toMatch(/grpc\.health\.v1/);
  });

  it("runs engines and pools from the one image, each with its entry point", () => {
    const image = serviceNamed("engine-a").image;
    for (const name of [...ENGINES, ...POOLS]) {
      expect(serviceNamed(name).image, name).toBe(image);
      expect(serviceNamed(name).build, name).toEqual({ context: ".", dockerfile: "Dockerfile" });
    }
    for (const name of ENGINES) expect(serviceNamed(name).command, name).toBeUndefined();
    for (const name of POOLS) expect(serviceNamed(name).command, name).toEqual(["node", "dist/inference-main.js"]);
  });

  it("shares the database, Redis, secrets and every pool between the engines; only PUBLIC_ADDRESS differs", () => {
    const [a, b] = ENGINES.map(environmentOf);
    const { PUBLIC_ADDRESS: addressA, ...sharedA } = a ?? {};
    const { PUBLIC_ADDRESS: addressB, ...sharedB } = b ?? {};
    expect(sharedA).toEqual(sharedB);
    expect(addressA).not.toBe(addressB);
    for (const name of ["DATABASE_URL", "REDIS_URL", "ADMIN_API_KEY", "TOKEN_SECRET", "INFERENCE_TOKEN", "INFERENCE_URLS", "PUBLIC_URL"]) {
      expect(sharedA[name], name).toBeTruthy();
    }
    expect(sharedA["INFERENCE_URLS"]?.split(",")).toEqual(POOLS.map((pool) => `${pool}:${POOL_PORT}`));
    expect(sharedA["DATABASE_URL"]).toMatch(/@postgres:5432\//);
    expect(sharedA["REDIS_URL"]).toBe("redis://redis:6379");
    // Each engine's address is the proxy's public host plus the route named after it (deploy/nginx.conf).
    for (const name of ENGINES) expect(environmentOf(name)["PUBLIC_ADDRESS"]).toBe(`\${PUBLIC_HOST:-localhost:8080}/${name}`);
  });

  it("gives pools the engines' INFERENCE_TOKEN and an interface other containers reach", () => {
    for (const name of POOLS) {
      const env = environmentOf(name);
      expect(env["INFERENCE_TOKEN"]).toBe(environmentOf("engine-a")["INFERENCE_TOKEN"]);
      expect(env).toMatchObject({ INFERENCE_HOST: "0.0.0.0", INFERENCE_PORT: POOL_PORT });
    }
  });

  it("starts engines after healthy Postgres, Redis and pools, and the proxy after healthy engines", () => {
    const healthy = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, { condition: "service_healthy" }]));
    for (const name of ENGINES) expect(serviceNamed(name).depends_on).toEqual(healthy(["postgres", "redis", ...POOLS]));
    expect(serviceNamed("proxy").depends_on).toEqual(healthy(ENGINES));
    expect(serviceNamed("proxy").volumes).toContain("./deploy/nginx.conf:/etc/nginx/nginx.conf:ro");
    expect(serviceNamed("proxy").ports).toEqual(["${PROXY_PORT:-8080}:8080"]);
  });

  it("hands each engine an environment its configuration reader accepts, as several processes behind Redis", () => {
    for (const name of ENGINES) {
      const env = Object.fromEntries(Object.entries(environmentOf(name)).map(([key, value]) => [key, interpolate(value, SECRETS)]));
      const config = configFromEnv(env);
      expect(config).toMatchObject({
        databaseUrl: `postgres://engine:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/engine`,
        redisUrl: "redis://redis:6379",
        publicAddress: `localhost:8080/${name}`,
        publicUrl: "http://localhost:8080",
        inferenceUrls: POOLS.map((pool) => `${pool}:${POOL_PORT}`),
        adminApiKey: SECRETS.ADMIN_API_KEY,
        tokenSecret: SECRETS.TOKEN_SECRET,
        inferenceToken: SECRETS.INFERENCE_TOKEN,
        maxSessions: 100,
        llmUrl: null,
      });
      expect(config.port).toBe(Number(ENGINE_PORT));
    }
  });

  it("refuses to interpolate without the secrets, naming the one missing", () => {
    const { TOKEN_SECRET: _omitted, ...others } = SECRETS;
    expect(() => interpolate(environmentOf("engine-a")["TOKEN_SECRET"] ?? "", others)).toThrow(/TOKEN_SECRET: set TOKEN_SECRET in \.env/);
  });

  it("lists every variable it reads in deploy/env.example", () => {
    const used = new Set([...read("compose.yaml").matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    const listed = new Set([...read("deploy/env.example").matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect([...used].filter((name) => !listed.has(name))).toEqual([]);
  });
});

describe("deploy/compose.gpu.yaml", () => {
  const gpu = z
    .object({
      services: z.record(
        z.string(),
        z.object({
          environment: z.record(z.string(), z.string()),
          build: z.object({ args: z.record(z.string(), z.string()) }),
          deploy: z.object({ resources: z.object({ reservations: z.object({ devices: z.array(z.object({ driver: z.string(), capabilities: z.array(z.string()) })) }) }) }),
        }),
      ),
    })
    .parse(parse(read("deploy/compose.gpu.yaml"), { merge: true }));

  it("reserves an NVIDIA GPU for each pool worker, runs it with INFERENCE_DEVICE=cuda and builds the CUDA provider in", () => {
    expect(Object.keys(gpu.services).sort()).toEqual([...POOLS]);
    for (const pool of Object.values(gpu.services)) {
      expect(pool.environment["INFERENCE_DEVICE"]).toBe("cuda");
      expect(pool.build.args["ONNXRUNTIME_NODE_INSTALL"]).toBe("cuda12");
      expect(pool.deploy.resources.reservations.devices).toEqual([expect.objectContaining({ driver: "nvidia", capabilities: ["gpu"] })]);
    }
    expect(read("Dockerfile")).toMatch(/ARG ONNXRUNTIME_NODE_INSTALL/);
  });
});
