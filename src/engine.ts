import { orAfter } from "./or-after.js";
import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { LocalDriver, LocalPresence, matchMaker, Server, type MatchMakerDriver, type Presence } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { answerClientErrors } from "./api/client-errors.js";
import { applyCorsPolicy } from "./api/cors.js";
import { mountApi } from "./api/mount-api.js";
import { routeTable, type RouteEntry } from "./api/route-table.js";
import { SessionsService } from "./api/sessions-service.js";
import { JoinTokens } from "./auth/join-tokens.js";
import { resolveSecrets } from "./auth/secrets.js";
import { ConfigError, modelsDirOf, type EngineConfig } from "./config.js";
import type { EventBus } from "./events/event-bus.js";
import { EventPublisher } from "./events/event-publisher.js";
import { Draining } from "./draining.js";
import { LocalEventBus } from "./events/local-event-bus.js";
import { createJobQueue } from "./jobs/create-job-queue.js";
import type { JobQueue } from "./jobs/job-queue.js";
import { RedisEventBus } from "./events/redis-event-bus.js";
import { GrpcInferenceGateway, type InferenceGateway } from "./inference/inference-gateway.js";
import { inferenceReadiness } from "./inference/inference-readiness.js";
import { startPoolThread, type PoolThread } from "./inference/pool-thread-handle.js";
import { DrizzleTranscriptStore } from "./persistence/drizzle-transcript-store.js";
import { DrizzleMeetingAnalysisStore } from "./persistence/drizzle-meeting-analysis-store.js";
import { MeetingAnalyses } from "./analysis/meeting-analyses.js";
import { DrizzleAnalysisStore } from "./persistence/drizzle-analysis-store.js";
import { DrizzleKnowledgeBaseStore } from "./persistence/drizzle-knowledge-base-store.js";
import { DrizzleTutorStore } from "./persistence/drizzle-tutor-store.js";
import type { KnowledgeBaseStore } from "./persistence/knowledge-base-store.js";
import type { TutorStore } from "./persistence/tutor-store.js";
import type { AnalysisStore } from "./persistence/analysis-store.js";
import type { TranscriptStore } from "./persistence/transcript-store.js";
import type { Logger } from "./logger.js";
import { EngineMetrics } from "./metrics/engine-metrics.js";
import { persistenceReadiness } from "./persistence/persistence-readiness.js";
import { installWebSocketGlobal } from "./node-websocket.js";
import { DrizzleSessionStore } from "./persistence/drizzle-session-store.js";
import { openDatabase } from "./persistence/open-database.js";
import type { SessionStore } from "./persistence/store.js";
import { bindRooms } from "./rooms/bind-room.js";
import { explainMissingRooms } from "./rooms/missing-room-answers.js";
import { assertBindable, listenOrFail, probeRedis } from "./startup-checks.js";
import { MAX_FRAME_BYTES } from "./protocol/client-messages.js";
import { MatchMakerRoomDirectory } from "./rooms/room-directory.js";
import { ColyseusRoomHost } from "./rooms/colyseus-room-host.js";
import { SessionResume } from "./rooms/session-resume.js";
import { bridgedTransport } from "./bridge/bridge-upgrades.js";
import { TutorBridge } from "./bridge/tutor-bridge.js";
import { DrizzleTurnStore } from "./persistence/drizzle-turn-store.js";
import type { TurnStore } from "./persistence/turn-store.js";
import { createLlmClient } from "./tutor/llm/llm-config.js";
import { poolSpeech } from "./tutor/pool-speech.js";
import { TutorInstances } from "./tutor/tutor-instances.js";
import { defaultTutorProfile } from "./tutor/tutor-profile.js";

export const ENGINE_VERSION = "0.1.0";

/** How long stop() waits for HTTP requests in flight once the listener closed. */
const HTTP_CLOSE_TIMEOUT_MS = 5_000;

/** How long start-up waits for REDIS_URL to answer before saying it cannot be reached. */
const REDIS_PROBE_TIMEOUT_MS = 3_000;

export interface RunningEngine {
  /** `http://host:port` of REST and pages. */
  httpUrl: string;
  /** `ws://host:port` clients join with. */
  engineUrl: string;
  port: number;
  adminApiKey: string;
  /** True when the admin key was generated and kept in the data folder (print it for the operator). */
  adminKeyGenerated: boolean;
  secretsFile: string | null;
  store: SessionStore;
  transcripts: TranscriptStore;
  analyses: AnalysisStore;
  tutors: TutorStore;
  knowledge: KnowledgeBaseStore;
  turns: TurnStore;
  /** Meeting analyses (`GET /api/v1/ai/analysis/{id}`), computed as sessions end. */
  meetingAnalyses: MeetingAnalyses;
  /** Background jobs (session-end analyses, async transcriptions): in process, or BullMQ with REDIS_URL. */
  jobs: JobQueue;
  tutorInstances: TutorInstances;
  /** The virtual tutor server's plain-WebSocket clients, bridged into the rooms. */
  bridge: TutorBridge;
  service: SessionsService;
  inference: InferenceGateway;
  metrics: EngineMetrics;
  /** Where the engine publishes what happens (`meeting_events`, `ai_events`, `signaling_events`): Redis with REDIS_URL. */
  events: EventBus;
  /** The in-process pool (a worker thread), when INFERENCE_URLS names none. */
  pool: Pick<PoolThread, "ready" | "address" | "restarts" | "terminate"> | null;
  /** Every route the HTTP API answers, walked from Express' own table (the OpenAPI document must list each). */
  routes(): RouteEntry[];
  /** Drains every session (clients told, writes flushed), then closes the transport and the database. */
  stop(): Promise<void>;
}

/** Presence and matchmaking driver: in-process by default, Redis when REDIS_URL is set (several processes). */
function scaleOutBackends(redisUrl: string | null): { presence: Presence; driver: MatchMakerDriver } {
  if (redisUrl === null) return { presence: new LocalPresence(), driver: new LocalDriver() };
  return { presence: new RedisPresence(redisUrl), driver: new RedisDriver(redisUrl) };
}

/** In process by default; Redis pub/sub when REDIS_URL is set, so other services can subscribe. */
function eventBus(redisUrl: string | null, metrics: EngineMetrics, logger: Logger): EventBus {
  const deps = { counters: metrics.events, logger };
  return redisUrl === null ? new LocalEventBus(deps) : new RedisEventBus(redisUrl, deps);
}

function publicUrls(config: EngineConfig, port: number): { httpUrl: string; engineUrl: string } {
  const local = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const httpUrl = (config.publicUrl ?? `http://${local}:${port}`).replace(/\/+$/, "");
  return { httpUrl, engineUrl: httpUrl.replace(/^http/, "ws") };
}

/** The in-process pool on loopback gRPC unless INFERENCE_URLS lists remote workers. */
async function startInference(
  config: EngineConfig,
  logger: Logger,
  inferenceToken: string,
  metrics: EngineMetrics,
): Promise<{ gateway: InferenceGateway; pool: PoolThread | null }> {
  const gatewayOptions = { logger, counters: metrics.failover };
  if (config.inferenceUrls.length > 0) {
    logger.info({ pools: config.inferenceUrls }, "using remote inference pools");
    return { gateway: new GrpcInferenceGateway(config.inferenceUrls, inferenceToken, gatewayOptions), pool: null };
  }
  const pool = await startPoolThread({
    token: inferenceToken,
    modelsDir: modelsDirOf(config),
    device: config.inferenceDevice,
    models: config.inferenceModels,
    asr: { lanes: config.asrLanes, threadsPerLane: config.asrThreads },
    interim: config.asrInterim,
    port: config.inferencePort,
    logLevel: config.logLevel,
    closeTimeoutMs: 10_000,
    logger,
    onRestart: () => metrics.failover.threadRestarted(),
  });
  logger.info({ address: pool.address }, "in-process inference pool started on loopback");
  return { gateway: new GrpcInferenceGateway([pool.address], inferenceToken, gatewayOptions), pool };
}

/**
 * Starts the engine: database (migrated), Colyseus with both room kinds, the management API on the same port.
 * Sessions a dead process left open are restored from their persisted snapshots when they can be, else ended
 * (`process_restart`): src/rooms/session-resume.ts.
 */
export async function startEngine(config: EngineConfig, logger: Logger): Promise<RunningEngine> {
  installWebSocketGlobal();
  // A generated token would never match the remote pools' one (configFromEnv refuses this too).
  if (config.inferenceUrls.length > 0 && config.inferenceToken === null) {
    throw new ConfigError("invalid configuration: INFERENCE_TOKEN: required when INFERENCE_URLS is set");
  }
  // Checked first, before models and database start: a port in use or a Redis that does not answer is one line
  // naming PORT or REDIS_URL, not a stack trace, a hang or retries for ever.
  await assertBindable({ host: config.host, port: config.port });
  if (config.redisUrl !== null) await probeRedis(config.redisUrl, REDIS_PROBE_TIMEOUT_MS);
  const secrets = await resolveSecrets({
    adminApiKey: config.adminApiKey,
    tokenSecret: config.tokenSecret,
    inferenceToken: config.inferenceToken,
    dataDir: config.dataDir,
  });
  const database = await openDatabase({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  await database.migrate();
  const store = new DrizzleSessionStore(database.db, { onClose: () => database.close() });
  const transcripts = new DrizzleTranscriptStore(database.db);
  const analyses = new DrizzleAnalysisStore(database.db);
  const tutors = new DrizzleTutorStore(database.db);
  const knowledge = new DrizzleKnowledgeBaseStore(database.db);
  const turns = new DrizzleTurnStore(database.db);
  const rooms = new MatchMakerRoomDirectory();
  // Before the gateway, which counts its pools' health and failovers into it; scrapes read the gateway later.
  const metrics = new EngineMetrics({
    listRooms: () => rooms.listLocal(),
    process: () => ({ processId: matchMaker.processId, publicAddress: config.publicAddress }),
    poolStatuses: () => inference.gateway.statusOfEach(),
  }, { perRoomSeries: config.metricsToken !== null });
  const inference = await startInference(config, logger, secrets.inferenceToken, metrics);
  logger.info({ database: database.kind }, "database ready");

  const tokens = new JoinTokens(secrets.tokenSecret);
  const bus = eventBus(config.redisUrl, metrics, logger);
  const events = new EventPublisher(bus);
  const jobs = createJobQueue(config.redisUrl, { logger, counters: metrics.jobs }, { prefix: config.jobsPrefix });
  // The listening port is known only after listen(); the API reads it through this holder.
  const urls = { httpUrl: "", engineUrl: "" };
  // The tutor bridge joins rooms as an SDK client of this very process: over its own listening address, not
  // PUBLIC_URL, which behind a proxy or in a container need not be reachable from inside.
  let localEngineUrl = "";
  const draining = new Draining();
  const service = new SessionsService({ store, rooms, tokens, config, logger, events, draining });
  const speech = poolSpeech(inference.gateway);
  // One client for the API's LLM work (meeting summaries, the ASR service's optimize routes); tutors make their own.
  const llm = createLlmClient(config, logger);
  const meetingAnalyses = new MeetingAnalyses({
    store,
    transcripts,
    analyses,
    meetingAnalyses: new DrizzleMeetingAnalysisStore(database.db),
    llm: { client: llm, model: config.llmModel },
    logger,
    jobs,
    events,
  });
  const tutorInstances = new TutorInstances(
    {
      profiles: tutors,
      defaultProfile: defaultTutorProfile(config.defaultTutor),
      defaultModel: config.llmModel,
      createLlm: () => createLlmClient(config, logger),
      speech,
      logger,
      counters: metrics.tutor,
    },
    { idleMs: config.tutorIdleMs, maxInstances: config.tutorMaxInstances },
  );
  const bridge = new TutorBridge({ tokens, engineUrl: () => localEngineUrl, logger });
  const httpServer = createServer();
  // Emitted once the server stopped listening and every connection ended: stop() waits for it (bounded).
  const httpClosed = new Promise<void>((resolve) => httpServer.once("close", () => resolve()));
  answerClientErrors(httpServer, (code) => metrics.error("api", code));
  applyCorsPolicy(config.corsOrigins);
  const restoreJoinAnswers = explainMissingRooms(store);
  const { transport, attach: attachBridge } = bridgedTransport(httpServer, { maxPayload: MAX_FRAME_BYTES });
  const { presence, driver } = scaleOutBackends(config.redisUrl);
  const server = new Server({
    transport,
    presence,
    driver,
    greet: false,
    // Signals are handled by main.ts, which calls stop(): the engine never exits the process itself.
    gracefullyShutdown: false,
    ...(config.publicAddress === null ? {} : { publicAddress: config.publicAddress }),
    express: (app) => {
      // Before any route: the request limiter keys on req.ip, the caller's address behind TRUST_PROXY proxies.
      app.set("trust proxy", config.trustProxyHops);
      mountApi(app, {
        service,
        store,
        transcripts,
        analyses,
        tutors,
        knowledge,
        tutorInstances,
        turns,
        meetingAnalyses,
        jobs,
        events,
        inference: inference.gateway,
        llm,
        llmModel: config.llmModel,
        llmConfigured: config.llmUrl !== null,
        asrApiOpen: config.asrApiOpen,
        adminApiKey: secrets.adminApiKey,
        maxSessions: config.maxSessions,
        engineUrl: () => urls.engineUrl,
        version: ENGINE_VERSION,
        logger,
        metrics,
        metricsToken: config.metricsToken,
        readiness: [draining.readiness(), persistenceReadiness(metrics.writes), inferenceReadiness(inference.gateway)],
      });
    },
  });
  const roomClasses = bindRooms({
    store,
    transcripts,
    analyses,
    inference: inference.gateway,
    tokens,
    config,
    logger,
    metrics,
    tutors: tutorInstances,
    speech,
    searchKnowledge: (kbId, query, limit) => knowledge.search(kbId, query, limit),
    turns,
    sessionEnded: (sessionId) => void meetingAnalyses.sessionEnded(sessionId),
    events,
  });
  attachBridge(bridge);
  server.define("meeting", roomClasses.meeting);
  server.define("tutoring", roomClasses.tutoring);

  try {
    await listenOrFail(httpServer, () => server.listen(config.port, config.host), { host: config.host, port: config.port });
  } catch (error) {
    restoreJoinAnswers();
    await jobs.close();
    await bus.close();
    inference.gateway.close();
    await inference.pool?.close();
    await store.close();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  Object.assign(urls, publicUrls(config, address.port));
  const loopback = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "[::1]" : config.host.includes(":") ? `[${config.host}]` : config.host;
  localEngineUrl = `ws://${loopback}:${address.port}`;
  // Sessions a dead process left: restored in this one, or ended with process_restart (src/rooms/session-resume.ts).
  const resume = new SessionResume({ store, host: new ColyseusRoomHost(), events, logger }, { sweepIntervalMs: config.resumeSweepMs });
  await resume.run();
  // With several processes, one that dies while this one runs has its sessions taken over by a sweep.
  if (config.redisUrl !== null && config.resumeSweepMs > 0) resume.startSweeps();
  logger.info({ url: urls.httpUrl, port: address.port, redis: config.redisUrl !== null }, "engine listening");

  let stopping: Promise<void> | null = null;
  return {
    ...urls,
    port: address.port,
    adminApiKey: secrets.adminApiKey,
    adminKeyGenerated: secrets.adminKeyGenerated,
    secretsFile: secrets.file,
    store,
    transcripts,
    analyses,
    tutors,
    knowledge,
    turns,
    meetingAnalyses,
    jobs,
    tutorInstances,
    bridge,
    service,
    inference: inference.gateway,
    metrics,
    events: bus,
    pool: inference.pool,
    routes: () => routeTable(transport.getExpressApp()),
    stop() {
      stopping ??= (async () => {
        logger.info("engine stopping: draining sessions");
        // Synchronously, before the first await: a request arriving from here on is answered `draining`.
        draining.begin();
        await resume.stop();
        // Still serving meanwhile: new sessions answer 503 `draining`, `/ready` 503, so a balancer moves on first.
        if (config.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
        await bridge.close();
        await server.gracefullyShutdown(false);
        // Colyseus closed the listener; requests in flight (answered 503 `draining`, or uploads) finish before the
        // database they read closes, for a bounded time.
        await orAfter(httpClosed, HTTP_CLOSE_TIMEOUT_MS, undefined);
        httpServer.closeAllConnections();
        // Rooms disposed above started their sessions' analyses: finished (or their summaries cut) before the database closes.
        await meetingAnalyses.close();
        // Running jobs (transcriptions) finish or are cut, bounded; on Redis the rest wait for another process.
        await jobs.close();
        // After the rooms and analyses, which publish their last events; bounded when Redis is slow or away.
        await bus.close();
        tutorInstances.close();
        restoreJoinAnswers();
        inference.gateway.close();
        await inference.pool?.close();
        await store.close();
        logger.info("engine stopped");
      })();
      return stopping;
    },
  };
}
