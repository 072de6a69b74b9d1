import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** What `npm install` reads from the project: no key npm warns about, no dependency install script, no skipped hook. */
const run = promisify(execFile);
const root = new URL("../../", import.meta.url);

async function npmConfig(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("npm", ["config", ...args], { cwd: root, env: { ...process.env, NO_UPDATE_NOTIFIER: "1" } });
}

describe("install configuration", () => {
  it("the project .npmrc holds only keys npm knows (no 'Unknown project config' warning)", async () => {
    const { stderr } = await npmConfig("list");
    expect(stderr).not.toMatch(/Unknown (project|user|env) config/);
  });

  it("dependency install scripts do not run: onnxruntime-node's would download the CUDA provider from NuGet", async () => {
    const { stdout } = await npmConfig("get", "ignore-scripts");
    expect(stdout.trim()).toBe("true");
  });

  it("no script relies on a pre/post hook, which ignore-scripts skips (npm start builds in its own script)", async () => {
    const pkg = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(await readFile(new URL("package.json", root), "utf8")));
    const names = Object.keys(pkg.scripts);
    const hooks = names.filter((name) => /^(pre|post)/.test(name) && names.includes(name.replace(/^(pre|post)/, "")));
    expect(hooks).toEqual([]);
    expect(pkg.scripts["start"]).toMatch(/npm run build && exec node dist\/main\.js/);
  });
});
