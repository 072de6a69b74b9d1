import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { TurnTimings } from "../tutor/reply-runner.js";
import type { TutorInstanceCounters } from "../tutor/tutor-instances.js";

const SECONDS_PER_MS = 1 / 1000;
const TURN_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10];
const EVICTION_REASONS = ["idle", "capacity", "changed"] as const;
const TURN_OUTCOMES = ["completed", "interrupted", "failed"] as const;
/** Turn timings observed, each from the turn's start (`reply.start`). */
const TURN_STAGES = ["llm_first_token", "llm_first_sentence", "tts_first_sentence", "first_audio"] as const;

/** The tutors' metrics: per-tutor instances (lookups, evictions, how many live) and each turn's timings. */
export class TutorMetrics implements TutorInstanceCounters {
  readonly #instances: Gauge;
  readonly #lookups: Counter<"result">;
  readonly #evictions: Counter<"reason">;
  readonly #turns: Counter<"outcome">;
  readonly #turnLatency: Histogram<"stage">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#instances = new Gauge({ name: "engine_tutor_instances", help: "Per-tutor model instances held by this process.", registers });
    this.#lookups = new Counter({ name: "engine_tutor_instance_lookups_total", help: "Sessions taking their tutor's instance: a live one (hit) or a new one (miss).", labelNames: ["result"], registers });
    this.#evictions = new Counter({ name: "engine_tutor_instance_evictions_total", help: "Tutor instances evicted: idle past TUTOR_IDLE_MS, past TUTOR_MAX_INSTANCES, or their profile changed.", labelNames: ["reason"], registers });
    this.#turns = new Counter({ name: "engine_tutor_turns_total", help: "Tutor turns by outcome.", labelNames: ["outcome"], registers });
    this.#turnLatency = new Histogram({
      name: "engine_tutor_turn_latency_seconds",
      help: "Per tutor turn, from its start: the LLM's first token and first sentence, that sentence synthesized, its first audio sent.",
      labelNames: ["stage"],
      buckets: TURN_BUCKETS_S,
      registers,
    });
    for (const result of ["hit", "miss"]) this.#lookups.inc({ result }, 0);
    for (const reason of EVICTION_REASONS) this.#evictions.inc({ reason }, 0);
    for (const outcome of TURN_OUTCOMES) this.#turns.inc({ outcome }, 0);
    for (const stage of TURN_STAGES) this.#turnLatency.zero({ stage });
  }

  hit(): void {
    this.#lookups.inc({ result: "hit" });
  }

  miss(): void {
    this.#lookups.inc({ result: "miss" });
  }

  evicted(reason: (typeof EVICTION_REASONS)[number]): void {
    this.#evictions.inc({ reason });
  }

  instances(count: number): void {
    this.#instances.set(count);
  }

  turn(outcome: (typeof TURN_OUTCOMES)[number], timings: TurnTimings): void {
    this.#turns.inc({ outcome });
    const observe = (stage: (typeof TURN_STAGES)[number], ms: number | undefined) => {
      if (ms !== undefined) this.#turnLatency.observe({ stage }, ms * SECONDS_PER_MS);
    };
    observe("llm_first_token", timings.llm_first_token_ms);
    observe("llm_first_sentence", timings.llm_first_sentence_ms);
    observe("tts_first_sentence", timings.tts_first_sentence_ms);
    observe("first_audio", timings.first_audio_ms);
  }
}
