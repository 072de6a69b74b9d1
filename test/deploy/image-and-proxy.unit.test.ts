/**
 * The Dockerfile, its .dockerignore and deploy/nginx.conf, read as text (no Docker engine or nginx needed): the
 * image's stages and what each copies, and the proxy's routes matching the engines' PUBLIC_ADDRESS in compose.yaml.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const exists = (path: string) => existsSync(new URL(`../../${path}`, import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** Instructions per stage, by the stage's `AS` name. */
function stages(list: readonly Instruction[]): Map<string, Instruction[]> {
  const byStage = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const instruction of list) {
    if (instruction.keyword === "FROM") {
      const name = /\bAS\s+(\S+)$/i.exec(instruction.args)?.[1];
      if (name === undefined) throw new Error(`a stage without a name: FROM ${instruction.args}`);
      current = [];
      byStage.set(name, current);
    } else current?.push(instruction);
  }
  return byStage;
}

const runs = (stage: readonly Instruction[]) => stage.filter((i) => i.keyword === "RUN").map((i) => i.args);
const copies = (stage: readonly Instruction[]) => stage.filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/));

/** `.dockerignore` patterns; only the plain forms it uses (a path, or `*.ext`), so the matcher below is exact. */
function ignored(): (path: string) => boolean {
  const patterns = read(".dockerignore")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const pattern of patterns) if (!/^(\*\.[a-z]+|\.?[\w.-]+(\/[\w.-]+)*|\.env\.\*)$/.test(pattern)) throw new Error(`unsupported .dockerignore pattern ${pattern}`);
  return (path) =>
    patterns.some((pattern) => {
      if (pattern.startsWith("*.")) return path.endsWith(pattern.slice(1));
      if (pattern.endsWith(".*")) return path.startsWith(pattern.slice(0, -1));
      return path === pattern || path.startsWith(`${pattern}/`);
    });
}

const dockerfile = stages(instructions(read("Dockerfile")));
const build = dockerfile.get("build") ?? [];
const runtime = dockerfile.get("runtime") ?? [];

describe("Dockerfile", () => {
  it("has a build stage and a runtime stage, the runtime last", () => {
    expect([...dockerfile.keys()]).toEqual(["build", "runtime"]);
  });

  it("builds with dev dependencies: npm ci, the build, and models:prepare proving the models load and run", () => {
    expect(runs(build)).toEqual(["npm ci", "npm run build", "MODELS_DIR=/tmp/models-check npm run models:prepare"]);
    expect(read("package.json")).toMatch(/"models:prepare":/);
  });

  it("runs on production dependencies only, as the node user, with a health check and the engine as its command", () => {
    expect(runs(runtime)[0]).toMatch(/^npm ci --omit=dev /);
    expect(runs(build).join(" ")).not.toMatch(/--omit=dev/);
    const users = runtime.filter((i) => i.keyword === "USER");
    expect(users.at(-1)?.args).toBe("node");
    expect(runtime.find((i) => i.keyword === "HEALTHCHECK")?.args).toMatch(/CMD \["node", "scripts\/healthcheck\.mjs", "engine"\]$/);
    expect(runtime.at(-1)).toEqual({ keyword: "CMD", args: '["node", "dist/main.js"]' });
    expect(runtime.find((i) => i.keyword === "ENV")?.args).toMatch(/NODE_ENV=production .*MODELS_DIR=\/app\/models/);
  });

  it("prepares the models at build time in the runtime stage, against its own node_modules, owned by node", () => {
    const prepare = runs(runtime).find((args) => args.includes("scripts/prepare-image-models.mjs"));
    expect(prepare).toMatch(/^node scripts\/prepare-image-models\.mjs .*chown -R node:node \/app\/models \/app\/data$/);
    // After the install (whose files name the prepared graphs) and after dist/, which the script imports.
    const order = runtime.map((i) => `${i.keyword} ${i.args}`);
    const at = (pattern: RegExp) => order.findIndex((line) => pattern.test(line));
    expect(at(/^RUN npm ci --omit=dev/)).toBeLessThan(at(/prepare-image-models/));
    expect(at(/^COPY --from=build \/app\/dist/)).toBeLessThan(at(/^RUN node scripts\/prepare-image-models/));
    expect(at(/^RUN node scripts\/prepare-image-models/)).toBeLessThan(at(/^USER node/));
  });

  it("copies into the runtime what dist/ reads beside it, and the build's output", () => {
    const fromBuild = copies(runtime)
      .filter((args) => args.some((a) => a === "--from=build"))
      .map((args) => args.filter((a) => !a.startsWith("--")));
    expect(fromBuild).toEqual([
      ["/app/dist", "./dist"],
      ["/app/web/dist", "./web/dist"],
    ]);
    // database.ts, proto.ts and mount-api.ts find these relative to dist/.
    const fromContext = copies(runtime)
      .filter((args) => !args.some((a) => a.startsWith("--from")))
      .flatMap((args) => args.slice(0, -1));
    expect(fromContext).toEqual(expect.arrayContaining(["drizzle", "proto", "scripts/healthcheck.mjs", "scripts/prepare-image-models.mjs", "package.json", "package-lock.json", ".npmrc"]));
  });

  it("copies only paths that exist and that .dockerignore lets into the build context", () => {
    const isIgnored = ignored();
    const sources = [...build, ...runtime]
      .filter((i) => i.keyword === "COPY" && !/--from=/.test(i.args))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith("--")).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(exists(source), source).toBe(true);
      expect(isIgnored(source), source).toBe(false);
    }
    for (const kept of ["node_modules", "dist", "web/dist", "data", ".git", "error.log"]) expect(isIgnored(kept), kept).toBe(true);
  });
});

describe("deploy/nginx.conf", () => {
  const conf = read("deploy/nginx.conf").replace(/#.*$/gm, "");
  const upstreams = new Map(
    [...conf.matchAll(/upstream\s+(\w+)\s*\{([^}]*)\}/g)].map((m) => [m[1] ?? "", [...(m[2] ?? "").matchAll(/server\s+(\S+?)(?:\s+resolve)?;/g)].map((s) => s[1])]),
  );
  const locations = new Map([...conf.matchAll(/location\s+(=\s*)?(\S+)\s*\{([^}]*)\}/g)].map((m) => [m[2] ?? "", m[3] ?? ""]));

  it("routes /engine-x/ to that engine alone, stripping the prefix, as each engine's PUBLIC_ADDRESS expects", () => {
    for (const engine of ["engine-a", "engine-b"]) {
      const body = locations.get(`/${engine}/`);
      const upstream = /proxy_pass\s+http:\/\/(\w+)\/;/.exec(body ?? "")?.[1];
      expect(upstream, engine).toBeDefined();
      expect(upstreams.get(upstream ?? "")).toEqual([`${engine}:2567`]);
    }
    expect(read("compose.yaml")).toMatch(/PUBLIC_ADDRESS: \$\{PUBLIC_HOST:-localhost:8080\}\/engine-a/);
  });

  it("sends everything else round-robin to both engines, retrying a draining or gone one", () => {
    const root = locations.get("/") ?? "";
    const upstream = /proxy_pass\s+http:\/\/(\w+);/.exec(root)?.[1];
    expect(upstreams.get(upstream ?? "")).toEqual(["engine-a:2567", "engine-b:2567"]);
    expect(root).toMatch(/proxy_next_upstream\s+error\s+http_503\s+non_idempotent;/);
  });

  it("forwards WebSocket upgrades, listens on the port compose publishes, and answers its own health check", () => {
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/listen 8080;/);
    expect(locations.get("/proxy-health")).toMatch(/return 200/);
    expect(read("compose.yaml")).toMatch(/http:\/\/127\.0\.0\.1:8080\/proxy-health/);
  });

  it("logs paths without their query: the SDK carries the join token in the room connection's query", () => {
    const format = /log_format\s+(\w+)\s+'([^']*)'/.exec(conf);
    expect(format?.[2]).toMatch(/\$uri\b/);
    expect(format?.[2]).not.toMatch(/\$(request|request_uri|args|query_string)\b/);
    expect(conf).toMatch(new RegExp(`access_log\\s+\\S+\\s+${format?.[1] ?? "?"};`));
  });
});
