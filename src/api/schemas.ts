import { z } from "zod";
import { SESSION_KINDS, SESSION_STATUSES } from "../domain.js";
import { DEFAULT_VIDEO_FPS, MAX_VIDEO_FPS } from "../protocol/client-messages.js";
import { storable } from "../storable-text.js";
import { isReservedName, RESERVED_NAME_MESSAGE } from "../reserved-names.js";

/** Request and response shapes of the management API: they validate requests and generate `/openapi.json`. */

const DAY_MS = 24 * 60 * 60_000;
const id = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only")
  .refine((value) => !isReservedName(value), RESERVED_NAME_MESSAGE);

export const createSessionBody = z.strictObject({
  kind: z.enum(SESSION_KINDS),
  title: storable(z.string().trim().min(1).max(200)).optional(),
  tutor_id: id.optional(),
  student_id: id.optional(),
  kb_id: id.optional(),
  max_participants: z.number().int().min(1).max(100).optional(),
  idle_timeout_ms: z.number().int().min(1_000).max(DAY_MS).optional(),
  max_duration_ms: z.number().int().min(1_000).max(7 * DAY_MS).optional(),
  noise_suppression: z
    .boolean()
    .optional()
    .describe("RNNoise noise suppression of every participant's audio before speech detection (default false); a participant's join option `noise_suppression` overrides it"),
  video_fps: z
    .number()
    .int()
    .min(1)
    .max(MAX_VIDEO_FPS)
    .optional()
    .describe(`Camera frames per second each participant may send, 1–${MAX_VIDEO_FPS} (default ${DEFAULT_VIDEO_FPS})`),
});
export type CreateSessionBody = z.infer<typeof createSessionBody>;

/** The virtual tutor server's ids: integers or strings, stored as text. */
const seedId = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform(String), z.string()]).pipe(id);

/** Seed-compatible create: always a tutoring session. */
export const seedCreateSessionBody = z.object({
  tutor_id: seedId,
  student_id: seedId,
  kb_id: seedId.optional(),
});

export const issueTokenBody = z.strictObject({
  participant_id: id,
  name: storable(z.string().trim().min(1).max(100)).optional(),
  role: z.enum(["host", "participant", "observer", "student", "tutor"]),
  ttl_ms: z.number().int().min(1_000).max(DAY_MS).optional(),
});
export type IssueTokenBody = z.infer<typeof issueTokenBody>;

export const listSessionsQuery = z.object({
  status: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === "" ? undefined : value.split(",")))
    .pipe(z.array(z.enum(SESSION_STATUSES)).optional()),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** Any id is looked up (unknown → 404), but one Postgres cannot compare is refused (400) before the query. */
export const sessionIdParam = storable(z.string().min(1).max(128));

export const createdSession = z.object({
  session_id: z.string(),
  kind: z.enum(SESSION_KINDS),
  status: z.enum(SESSION_STATUSES),
  engine_url: z.string(),
  engine_token: z.string(),
  created_at: z.string(),
});

export const seedCreatedSession = z.object({
  session_id: z.string(),
  engine_url: z.string(),
  engine_token: z.string(),
  status: z.literal("active"),
});

export const participantView = z.object({
  participant_id: z.string(),
  name: z.string(),
  role: z.string(),
  connected: z.boolean(),
  joined_at: z.string(),
  left_at: z.string().nullable(),
});

export const sessionSummary = z.object({
  session_id: z.string(),
  kind: z.enum(SESSION_KINDS),
  title: z.string().nullable(),
  status: z.enum(SESSION_STATUSES),
  end_reason: z.string().nullable(),
  tutor_id: z.string().nullable(),
  student_id: z.string().nullable(),
  kb_id: z.string().nullable(),
  max_participants: z.number(),
  idle_timeout_ms: z.number(),
  max_duration_ms: z.number(),
  created_at: z.string(),
  last_activity: z.string(),
  ended_at: z.string().nullable(),
});

export const sessionDetail = sessionSummary.extend({ participants: z.array(participantView) });

export const sessionList = z.object({
  items: z.array(sessionSummary),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
});

export const issuedToken = z.object({ token: z.string(), expires_at: z.string(), engine_url: z.string() });

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    details: z.unknown().optional(),
  }),
});
