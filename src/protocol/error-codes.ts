/**
 * Every error code the engine answers with, in one table: where it comes from, how each surface carries it (HTTP
 * status, join rejection number, WebSocket close code, gRPC status) and whether trying again can succeed. Every error
 * class reads `retryable` and its status from here; clients match on the code, never on message text. The README's
 * error table is rendered from this one (`npm run docs:errors`; a test keeps them equal).
 *
 * Pure data, no Node imports: the browser client, the load generator and the tests import it too.
 */

/** Where a code can surface: the management API, a join attempt, a room message, the inference pool, start-up. */
export type ErrorSurface = "api" | "join" | "room" | "pool" | "config";

export interface ErrorSpec {
  /** Trying the same thing again later can succeed (capacity, availability), as opposed to a bad input. */
  retryable: boolean;
  surfaces: readonly ErrorSurface[];
  /** HTTP status of the management API's answer. */
  http?: number;
  /** Join rejections: the number Colyseus answers the SDK's matchmaking request with (its `code`; 440–450). */
  join?: number;
  /** The WebSocket close code, when the connection is closed rather than answered. */
  close?: number;
  /** gRPC status of a pool call failing with this code (`details` carry `<code>: <message>`). */
  /** The process's exit status, for codes that stop it at start. */
  exit?: number;
  grpc?: "INVALID_ARGUMENT" | "UNAUTHENTICATED" | "UNAVAILABLE" | "RESOURCE_EXHAUSTED" | "DEADLINE_EXCEEDED" | "INTERNAL";
  meaning: string;
}

export const ERROR_TABLE = {
  invalid_request: { retryable: false, surfaces: ["api"], http: 400, meaning: "Malformed JSON, failing, unknown or unstorable fields (U+0000, lone surrogates), a bad path; `details` lists each" },
  invalid_message: { retryable: false, surfaces: ["room"], meaning: "A room message of the wrong shape, or holding values JSON cannot carry (64-bit integers, extensions, maps, binary); `issues` lists each" },
  message_too_large: { retryable: false, surfaces: ["room"], meaning: "A control message over 64 KB, nested deeper than 32 levels or with more than 10,000 values" },
  frame_too_large: { retryable: false, surfaces: ["room"], close: 1009, meaning: "A WebSocket frame over 1 MiB: the connection is closed before any handler runs" },
  protocol_violation: { retryable: false, surfaces: ["room"], close: 4002, meaning: "A frame Colyseus cannot decode (bad MessagePack), or over 2,000 messages in one second: the connection is closed" },
  unknown_message_type: { retryable: false, surfaces: ["room"], meaning: "A message type this kind of session does not take" },
  participant_not_found: { retryable: false, surfaces: ["room"], meaning: "A signal to a participant who is not connected" },
  session_not_live: { retryable: true, surfaces: ["room"], meaning: "Audio or video while the session is not open to it (before it opens, while draining)" },
  session_replaced: { retryable: false, surfaces: ["room"], close: 4000, meaning: "The participant joined from another connection; this one gets `session.replaced` and is closed" },
  inference_unavailable: { retryable: true, surfaces: ["room"], meaning: "The pool is unreachable and the room's bounded audio buffer is full" },
  unauthorized: { retryable: false, surfaces: ["api", "pool"], http: 401, grpc: "UNAUTHENTICATED", meaning: "Missing or wrong admin key, metrics token, monitor password or pool secret" },
  forbidden: { retryable: false, surfaces: ["api"], http: 403, meaning: "The key is valid but not for this route" },
  not_found: { retryable: false, surfaces: ["api"], http: 404, meaning: "No such route" },
  session_not_found: { retryable: false, surfaces: ["api", "join"], http: 404, join: 446, meaning: "No session has that id" },
  session_exists: { retryable: false, surfaces: ["api"], http: 409, meaning: "A session with that id exists" },
  session_ended: { retryable: false, surfaces: ["api", "join"], http: 409, join: 449, meaning: "The session is draining or ended" },
  payload_too_large: { retryable: false, surfaces: ["api"], http: 413, meaning: "A body or upload over the route's limit" },
  recording_too_long: { retryable: false, surfaces: ["api", "pool"], http: 413, grpc: "INVALID_ARGUMENT", meaning: "A recording over 10 minutes" },
  invalid_audio: { retryable: false, surfaces: ["api", "room", "pool"], http: 400, grpc: "INVALID_ARGUMENT", meaning: "Audio that is not valid base64, WAV or 16-bit PCM, an unsupported rate, a frame outside 10–100 ms, or audio from an observer" },
  invalid_video: { retryable: false, surfaces: ["room", "pool", "api"], http: 400, grpc: "INVALID_ARGUMENT", meaning: "A video frame that is not a JPEG, is truncated or corrupt, uses a JPEG coding the decoder lacks, or is over 256 KB or 1280×720" },
  invalid_image: { retryable: false, surfaces: ["api", "pool"], http: 400, grpc: "INVALID_ARGUMENT", meaning: "An image that is not valid base64, not a JPEG or PNG, truncated or corrupt, or over its route's dimensions" },
  language_unsupported: { retryable: false, surfaces: ["api"], http: 400, meaning: "A language no loaded speech model recognises (the message names those it does: today only English)" },
  rate_limited: { retryable: true, surfaces: ["api", "room"], http: 429, meaning: "Over a request, message or audio budget (`Retry-After` on the API)" },
  max_sessions: { retryable: true, surfaces: ["api"], http: 503, meaning: "`MAX_SESSIONS` open sessions (`Retry-After`)" },
  not_ready: { retryable: true, surfaces: ["api"], http: 503, meaning: "`/ready`: the database or the rooms are not accepting yet" },
  database_unavailable: { retryable: true, surfaces: ["api", "join"], http: 503, join: 444, meaning: "The database did not answer (creating a session or a token, or joining, while it is down); try again (`Retry-After`)" },
  draining: { retryable: true, surfaces: ["api"], http: 503, meaning: "This engine process is shutting down (SIGTERM) and takes no new sessions: another process, or this one restarted, will (`Retry-After`)" },
  job_not_found: { retryable: false, surfaces: ["api"], http: 404, meaning: "No background job has that id (`GET /api/v1/jobs/{id}`)" },
  model_unavailable: { retryable: true, surfaces: ["api", "room", "pool"], http: 503, grpc: "UNAVAILABLE", meaning: "The model did not load, or the pool is unreachable: never a made-up value" },
  overloaded: { retryable: true, surfaces: ["api", "room", "pool"], http: 503, grpc: "RESOURCE_EXHAUSTED", meaning: "The pool's queue, or a background job kind's queue, is full" },
  deadline_exceeded: { retryable: true, surfaces: ["api", "room", "pool"], http: 504, grpc: "DEADLINE_EXCEEDED", meaning: "The work waited past its deadline" },
  unknown_stream: { retryable: false, surfaces: ["pool"], grpc: "INVALID_ARGUMENT", meaning: "A chunk or close for a stream the call has not opened" },
  stream_exists: { retryable: false, surfaces: ["pool"], grpc: "INVALID_ARGUMENT", meaning: "An open for a stream id the call already has open" },
  too_many_streams: { retryable: true, surfaces: ["pool"], grpc: "RESOURCE_EXHAUSTED", meaning: "A call or the pool holds its maximum of streams" },
  token_missing: { retryable: false, surfaces: ["join"], join: 440, meaning: "No join token" },
  token_invalid: { retryable: false, surfaces: ["join"], join: 441, meaning: "Bad signature, tampered, malformed, `alg: none`" },
  token_expired: { retryable: false, surfaces: ["join"], join: 442, meaning: "Past `exp`" },
  token_wrong_session: { retryable: false, surfaces: ["join"], join: 443, meaning: "A token of another session or kind" },
  role_not_allowed: { retryable: false, surfaces: ["join"], join: 445, meaning: "A role not of the session's kind" },
  join_by_id_only: { retryable: false, surfaces: ["join"], join: 447, meaning: "`create`/`join`/`joinOrCreate` by name: sessions are created over REST" },
  session_full: { retryable: true, surfaces: ["join"], join: 448, meaning: "`max_participants` connected" },
  invalid_join_options: { retryable: false, surfaces: ["join"], join: 450, meaning: "Join options of the wrong shape (e.g. an unsupported `sample_rate`)" },
  llm_unavailable: { retryable: true, surfaces: ["api", "room"], http: 503, meaning: "No language model is configured (`LLM_URL`), or it did not answer in time or failed: the transcript still arrives, never a made-up reply" },
  tutor_not_found: { retryable: false, surfaces: ["api"], http: 404, meaning: "No tutor profile has that id" },
  document_not_found: { retryable: false, surfaces: ["api"], http: 404, meaning: "No document with that id in that knowledge base" },
  invalid_text: { retryable: false, surfaces: ["api", "pool"], http: 400, grpc: "INVALID_ARGUMENT", meaning: "Text that is empty or over its route's limit (1,000 characters to synthesize), or asks for a voice or rate the synthesizer lacks" },
  internal: { retryable: true, surfaces: ["api", "room", "pool"], http: 500, grpc: "INTERNAL", meaning: "An unexpected failure, logged with its stack and counted; the process and every other session go on" },
  startup_failed: { retryable: false, surfaces: ["config"], exit: 1, meaning: "The port is in use, or a service the configuration names (e.g. `REDIS_URL`) does not answer: one line naming it, exit 1" },
  invalid_config: { retryable: false, surfaces: ["config"], exit: 2, meaning: "A bad environment variable: the process prints every bad one and exits 2" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

type Table = typeof ERROR_TABLE;
/** Codes the management API answers with (they have an HTTP status). */
export type ApiErrorCode = { [K in ErrorCode]: Table[K] extends { http: number } ? K : never }[ErrorCode];
/** Codes a join can be refused with (they have a join number). */
export type JoinErrorCode = { [K in ErrorCode]: Table[K] extends { join: number } ? K : never }[ErrorCode];
/** Codes a room's `error` message carries. */
export type RoomErrorCode = { [K in ErrorCode]: "room" extends Table[K]["surfaces"][number] ? K : never }[ErrorCode];
/** Codes the inference pool answers with, bound to one stream or call. */
export type PoolErrorCode = { [K in ErrorCode]: "pool" extends Table[K]["surfaces"][number] ? K : never }[ErrorCode];

export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_TABLE, value);
}

export function isRetryable(code: ErrorCode): boolean {
  return ERROR_TABLE[code].retryable;
}

function codesOf<C extends ErrorCode>(surface: ErrorSurface): C[] {
  return ERROR_CODES.filter((code) => (ERROR_TABLE[code].surfaces as readonly ErrorSurface[]).includes(surface)) as C[];
}

export const ROOM_ERROR_CODES = codesOf<RoomErrorCode>("room");
export const POOL_ERROR_CODE_LIST = codesOf<PoolErrorCode>("pool");
