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

/** A non-negative decimal number (`0.7`, `2`); an empty value counts as unset. Bounds are checked where it is used. */
export const decimal = optionalText.pipe(z.string().regex(/^\d+(\.\d+)?$/, "must be a number").transform(Number).optional());

/** A comma-separated list whose every entry is one of `known` (duplicates dropped); an empty value counts as unset. */
export const listOf = (known: readonly string[], noun: string) =>
  optionalText.pipe(
    z
      .string()
      .transform((value) => [...new Set(value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== ""))])
      .superRefine((entries, ctx) => {
        if (entries.length === 0) ctx.addIssue({ code: "custom", message: `name at least one ${noun} (known: ${known.join(", ")})` });
        for (const entry of entries.filter((e) => !known.includes(e))) {
          ctx.addIssue({ code: "custom", message: `unknown ${noun} "${entry}" (known: ${known.join(", ")})` });
        }
      })
      .optional(),
  );

/** `true`/`false` (also `1`/`0`, `yes`/`no`, any case); an empty value counts as unset. */
export const booleanFlag = optionalText.pipe(
  z
    .string()
    .toLowerCase()
    .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }))
    .transform((value) => value === "true" || value === "1" || value === "yes")
    .optional(),
);

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
