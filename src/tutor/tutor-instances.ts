import type { Logger } from "../logger.js";
import type { LlmCheck, LlmClient, LlmSettings } from "./llm/llm-client.js";
import type { TutorProfile, TutorSettings } from "./tutor-profile.js";

/**
 * Per-tutor model instances, as the virtual tutor server kept them (`get_ai_engine(tutor_id)`): one per tutor, made
 * on first use, shared by every live session of that tutor, reference-counted, evicted after `idleMs` without
 * sessions and by least-recent use past `maxInstances`. An instance holds what a tutor is made of (its profile, its
 * LLM client and settings, its voice); it never holds a conversation: that is each session's.
 */
export interface TutorInstancesOptions {
  /** An instance with no session is evicted after this long. */
  idleMs: number;
  /** Past this many instances, the least recently used one without sessions is evicted. */
  maxInstances: number;
}

export const DEFAULT_TUTOR_INSTANCES_OPTIONS: TutorInstancesOptions = { idleMs: 10 * 60_000, maxInstances: 100 };

export interface TutorVoice {
  name: string;
  rateWpm: number;
}

/** Speech synthesis as a tutor uses it (the inference pool's `tts` model, through the gateway). */
export interface TutorSpeech {
  /** `continuation`: a later sentence of a reply already speaking (queued behind every reply's first sentence). */
  synthesize(text: string, voice: TutorVoice, signal?: AbortSignal, continuation?: boolean): Promise<{ pcm16: Uint8Array; sampleRate: number }>;
}

export interface TutorInstancesDeps {
  /** Stored profiles; null for a tutor without one (it gets the default profile). */
  profiles: { get(tutorId: string): Promise<TutorProfile | null> };
  /** The profile a tutor without a stored one gets (the environment's). */
  defaultProfile: TutorSettings;
  /** The engine's LLM_MODEL; a profile's `llm.model` overrides it. */
  defaultModel: string | null;
  /** The LLM client a tutor's instance uses (one per instance: its own connection pool and bounds). */
  createLlm(): LlmClient;
  speech: TutorSpeech;
  logger: Logger;
  counters?: TutorInstanceCounters;
}

/** Where hits, misses and evictions are counted (Prometheus, in the engine). */
export interface TutorInstanceCounters {
  hit(): void;
  miss(): void;
  evicted(reason: "idle" | "capacity" | "changed"): void;
  /** Instances held now, after each change. */
  instances(count: number): void;
}

export class TutorInstance {
  readonly tutorId: string;
  readonly profile: TutorSettings;
  /** Whether the profile is stored (false: the default profile). */
  readonly stored: boolean;
  readonly llm: LlmClient;
  readonly llmSettings: LlmSettings | null;
  readonly voice: TutorVoice;
  refs = 0;
  lastUsedMs = 0;
  idleTimer: NodeJS.Timeout | null = null;
  /** A newer profile was stored: the next session gets a new instance; this one ends with its last session. */
  stale = false;

  constructor(tutorId: string, profile: TutorSettings, stored: boolean, llm: LlmClient, defaultModel: string | null) {
    this.tutorId = tutorId;
    this.profile = profile;
    this.stored = stored;
    this.llm = llm;
    const model = profile.llm.model ?? defaultModel;
    this.llmSettings = model === null ? null : { model, temperature: profile.llm.temperature, maxTokens: profile.llm.max_tokens };
    this.voice = { name: profile.voice.name, rateWpm: profile.voice.rate_wpm };
  }
}

/** A session's hold on its tutor's instance; `release` once, when the session ends. */
export interface TutorLease {
  readonly instance: TutorInstance;
  release(): void;
}

export type PrewarmPart<T> = ({ ok: true; ms: number } & T) | { ok: false; ms: number; code: string; message: string };

export interface PrewarmReport {
  tutor_id: string;
  profile: "stored" | "default";
  voice: PrewarmPart<{ sample_rate: number }>;
  llm: PrewarmPart<{ model: string | null; model_listed: boolean }>;
}

export class TutorInstances {
  readonly #deps: TutorInstancesDeps;
  readonly #options: TutorInstancesOptions;
  readonly #instances = new Map<string, TutorInstance>();
  /** Instances being made: concurrent first uses of one tutor share one. */
  readonly #pending = new Map<string, Promise<TutorInstance>>();

  constructor(deps: TutorInstancesDeps, options: Partial<TutorInstancesOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_TUTOR_INSTANCES_OPTIONS, ...options };
  }

  get size(): number {
    return this.#instances.size;
  }

  /** The tutor's instance for a new session: the live one (a hit) or a new one (a miss). */
  async acquire(tutorId: string): Promise<TutorLease> {
    const instance = await this.#instanceFor(tutorId);
    instance.refs += 1;
    instance.lastUsedMs = Date.now();
    if (instance.idleTimer !== null) clearTimeout(instance.idleTimer);
    instance.idleTimer = null;
    // Only now, with this session counted, may a new instance push an idle one out.
    this.#evictPastCapacity();
    let released = false;
    return {
      instance,
      release: () => {
        if (released) return;
        released = true;
        this.#release(instance);
      },
    };
  }

  /** Makes the instance (if none) and tries its voice and its LLM endpoint; the report says what answered. */
  async prewarm(tutorId: string, signal?: AbortSignal): Promise<PrewarmReport> {
    const lease = await this.acquire(tutorId);
    try {
      const { instance } = lease;
      const [voice, llm] = await Promise.all([this.#tryVoice(instance, signal), this.#tryLlm(instance, signal)]);
      return { tutor_id: tutorId, profile: instance.stored ? "stored" : "default", voice, llm };
    } finally {
      lease.release();
    }
  }

  /** The tutor's profile changed or went: sessions from now on get a new instance. */
  invalidate(tutorId: string): void {
    const instance = this.#instances.get(tutorId);
    if (instance === undefined) return;
    this.#instances.delete(tutorId);
    instance.stale = true;
    this.#deps.counters?.instances(this.#instances.size);
    if (instance.refs === 0) this.#evict(instance, "changed");
  }

  close(): void {
    for (const instance of this.#instances.values()) if (instance.idleTimer !== null) clearTimeout(instance.idleTimer);
    this.#instances.clear();
  }

  async #instanceFor(tutorId: string): Promise<TutorInstance> {
    const live = this.#instances.get(tutorId);
    if (live !== undefined) {
      this.#deps.counters?.hit();
      return live;
    }
    const pending = this.#pending.get(tutorId);
    if (pending !== undefined) {
      this.#deps.counters?.hit();
      return pending;
    }
    this.#deps.counters?.miss();
    const making = this.#make(tutorId).finally(() => this.#pending.delete(tutorId));
    this.#pending.set(tutorId, making);
    return making;
  }

  async #make(tutorId: string): Promise<TutorInstance> {
    const stored = await this.#deps.profiles.get(tutorId);
    const instance = new TutorInstance(tutorId, stored ?? this.#deps.defaultProfile, stored !== null, this.#deps.createLlm(), this.#deps.defaultModel);
    this.#instances.set(tutorId, instance);
    this.#deps.counters?.instances(this.#instances.size);
    this.#deps.logger.info({ tutor_id: tutorId, stored: stored !== null, instances: this.#instances.size }, "tutor instance created");
    return instance;
  }

  #release(instance: TutorInstance): void {
    instance.refs = Math.max(0, instance.refs - 1);
    instance.lastUsedMs = Date.now();
    if (instance.refs > 0) return;
    if (instance.stale) {
      this.#evict(instance, "changed");
      return;
    }
    instance.idleTimer = setTimeout(() => {
      if (instance.refs === 0 && this.#instances.get(instance.tutorId) === instance) this.#evict(instance, "idle");
    }, this.#options.idleMs);
    // An idle tutor must not keep the process alive.
    instance.idleTimer.unref();
    this.#evictPastCapacity();
  }

  /** Least recently used first, only instances without sessions: a tutor in use is never taken from its sessions. */
  #evictPastCapacity(): void {
    if (this.#instances.size <= this.#options.maxInstances) return;
    const idle = [...this.#instances.values()].filter((instance) => instance.refs === 0).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const instance of idle) {
      if (this.#instances.size <= this.#options.maxInstances) return;
      this.#evict(instance, "capacity");
    }
  }

  #evict(instance: TutorInstance, reason: "idle" | "capacity" | "changed"): void {
    if (instance.idleTimer !== null) clearTimeout(instance.idleTimer);
    instance.idleTimer = null;
    if (this.#instances.get(instance.tutorId) === instance) this.#instances.delete(instance.tutorId);
    this.#deps.counters?.evicted(reason);
    this.#deps.counters?.instances(this.#instances.size);
    this.#deps.logger.info({ tutor_id: instance.tutorId, reason, instances: this.#instances.size }, "tutor instance evicted");
  }

  async #tryVoice(instance: TutorInstance, signal?: AbortSignal): Promise<PrewarmReport["voice"]> {
    const startedAt = performance.now();
    try {
      const audio = await this.#deps.speech.synthesize("Hello.", instance.voice, signal);
      return { ok: true, ms: Math.round(performance.now() - startedAt), sample_rate: audio.sampleRate };
    } catch (error) {
      return failedPart(error, startedAt);
    }
  }

  async #tryLlm(instance: TutorInstance, signal?: AbortSignal): Promise<PrewarmReport["llm"]> {
    const startedAt = performance.now();
    try {
      const check: LlmCheck = await instance.llm.check(signal);
      return { ok: true, ms: Math.round(performance.now() - startedAt), model: instance.llmSettings?.model ?? null, model_listed: check.models.includes(instance.llmSettings?.model ?? "") };
    } catch (error) {
      return failedPart(error, startedAt);
    }
  }
}

function failedPart(error: unknown, startedAt: number): { ok: false; ms: number; code: string; message: string } {
  const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "internal";
  return { ok: false, ms: Math.round(performance.now() - startedAt), code, message: error instanceof Error ? error.message : String(error) };
}
