import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread on the module `entry` (a relative path without extension, e.g. "./pool-thread") next to
 * `callerUrl` (the caller's `import.meta.url`). Built (dist): the compiled `.js`. From TypeScript sources (tsx,
 * vitest), a small eval bootstrap registers tsx's loader in the thread first (`--import` is a process option a worker
 * cannot take), then imports the `.ts` file.
 */
export function startModuleWorker(callerUrl: string, entry: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`${entry}.js`, callerUrl), options);
  const source = new URL(`${entry}.ts`, callerUrl).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
