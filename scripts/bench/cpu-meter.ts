import { readFileSync } from "node:fs";
import { round } from "./latency-stats.js";

export interface CpuFigures {
  /** User + system CPU time of this process during the pass (every thread: JS, onnxruntime, libuv, GC). */
  process_cpu_ms: number;
  /**
   * CPU time ÷ wall time. The VAD passes run on one thread (onnxruntime's VAD session has one intra-op thread, the
   * calling one), so ≈ 1 means the pass had its core; well below 1 means it waited: for a timer (a lone stream
   * waiting out maxWaitMs) or for a core other processes were using. Whisper uses every core (≈ cpus when alone).
   */
  cpu_per_wall: number;
  /**
   * Cores' worth of CPU that other processes used during the pass (machine-wide busy time from /proc/stat minus this
   * process's): ≈ 0 on a quiet machine. Null where /proc/stat is not available.
   */
  other_processes_cores: number | null;
}

/** /proc/stat counts in USER_HZ ticks, 100 per second on Linux. */
const MS_PER_TICK = 10;

/** Machine-wide busy CPU time so far (all cores), or null off Linux. */
function machineBusyMs(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    if (fields.length < 5 || fields.some((value) => !Number.isFinite(value))) return null;
    // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return (total - idle) * MS_PER_TICK;
  } catch {
    return null;
  }
}

/** Starts counting CPU time; the returned function stops and relates it to the pass's wall time. */
export function startCpuMeter(): (elapsedMs: number) => CpuFigures {
  const start = process.cpuUsage();
  const busyAtStart = machineBusyMs();
  return (elapsedMs) => {
    const used = process.cpuUsage(start);
    const busyAtEnd = machineBusyMs();
    const cpuMs = (used.user + used.system) / 1000;
    const othersMs = busyAtStart === null || busyAtEnd === null ? null : Math.max(0, busyAtEnd - busyAtStart - cpuMs);
    return {
      process_cpu_ms: round(cpuMs, 1),
      cpu_per_wall: elapsedMs <= 0 ? 0 : round(cpuMs / elapsedMs, 2),
      other_processes_cores: othersMs === null || elapsedMs <= 0 ? null : round(othersMs / elapsedMs, 2),
    };
  };
}
