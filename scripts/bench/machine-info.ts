import { createRequire } from "node:module";
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  available_parallelism: number;
  cpu_model: string;
  platform: string;
  arch: string;
  os_release: string;
  total_memory_mb: number;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  load_average_1m: number;
  node_version: string;
  onnxruntime_node_version: string;
  grpc_js_version: string;
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpus: cores.length,
    available_parallelism: availableParallelism(),
    cpu_model: cores[0]?.model.trim() ?? "unknown",
    platform: platform(),
    arch: arch(),
    os_release: release(),
    total_memory_mb: Math.round(totalmem() / (1024 * 1024)),
    load_average_1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    node_version: process.version,
    onnxruntime_node_version: packageVersion("onnxruntime-node"),
    grpc_js_version: packageVersion("@grpc/grpc-js"),
  };
}

function packageVersion(name: string): string {
  try {
    const manifest: unknown = createRequire(import.meta.url)(`${name}/package.json`);
    if (typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string") {
      return manifest.version;
    }
  } catch {
    // Not resolvable (exports map without package.json): reported as unknown.
  }
  return "unknown";
}
