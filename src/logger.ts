import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Identifiers go in fields (`session_id`, `participant_id`); message text never carries
 * names or other personal data.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "session-engine" } });
}
