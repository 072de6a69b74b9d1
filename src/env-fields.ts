import { z } from "zod";
import { isRetryable } from "./protocol/error-codes.js";

/** zod fields for environment variables: an empty value counts as unset. */

export const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

export const intFrom = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional();

export const logLevelField = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional();

/** Error naming every bad variable; the process prints it and exits 2. */
export class ConfigError extends Error {
  readonly code = "invalid_config";
  readonly retryable = isRetryable("invalid_config");
}

/** Parses the environment with `schema` or throws `ConfigError`. */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
}

/** For entry points: `read()`'s configuration, or its `ConfigError` on stderr and exit code 2. */
export function configOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** The set fields of `overrides` merged over `defaults`. */
export function mergeSet<T extends object>(defaults: T, overrides: Partial<T>): T {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...defaults, ...set };
}
