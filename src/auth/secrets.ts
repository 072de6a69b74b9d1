import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

export interface EngineSecrets {
  adminApiKey: string;
  tokenSecret: string;
  /** INFERENCE_TOKEN of the in-process pool (with INFERENCE_URLS the configuration requires it set). */
  inferenceToken: string;
  /** Where generated secrets are kept; null when all came from the environment. */
  file: string | null;
  /** True when the admin key came from the data folder (print it so the operator can use it). */
  adminKeyGenerated: boolean;
}

const storedSchema = z.object({
  adminApiKey: z.string().min(16),
  tokenSecret: z.string().min(32),
  // Absent in files written before the pool had a secret: generated and added on the next start.
  inferenceToken: z.string().min(32).optional(),
});

const storedPoolSchema = z.object({ inferenceToken: z.string().min(32) });

const newSecret = (bytes: number) => randomBytes(bytes).toString("base64url");

/**
 * Uses ADMIN_API_KEY / TOKEN_SECRET / INFERENCE_TOKEN when set; otherwise generates random ones on first start and
 * keeps them in `DATA_DIR/secrets.json` (mode 0600) so restarts keep issued tokens valid and nothing is ever open.
 */
export async function resolveSecrets(input: {
  adminApiKey: string | null;
  tokenSecret: string | null;
  inferenceToken: string | null;
  dataDir: string;
}): Promise<EngineSecrets> {
  if (input.adminApiKey !== null && input.tokenSecret !== null && input.inferenceToken !== null) {
    return { adminApiKey: input.adminApiKey, tokenSecret: input.tokenSecret, inferenceToken: input.inferenceToken, file: null, adminKeyGenerated: false };
  }
  const file = join(input.dataDir, "secrets.json");
  const stored = await readStored(file, storedSchema);
  const secrets = {
    adminApiKey: stored?.adminApiKey ?? newSecret(24),
    tokenSecret: stored?.tokenSecret ?? newSecret(48),
    inferenceToken: stored?.inferenceToken ?? newSecret(32),
  };
  if (stored === null || stored.inferenceToken === undefined) await keep(input.dataDir, file, secrets);
  return {
    adminApiKey: input.adminApiKey ?? secrets.adminApiKey,
    tokenSecret: input.tokenSecret ?? secrets.tokenSecret,
    inferenceToken: input.inferenceToken ?? secrets.inferenceToken,
    file,
    adminKeyGenerated: input.adminApiKey === null,
  };
}

/**
 * The standalone pool's INFERENCE_TOKEN: the set one, or one generated on first start and kept in
 * `DATA_DIR/inference-secrets.json` (mode 0600) for the operator to copy to the engines.
 */
export async function resolvePoolToken(input: { token: string | null; dataDir: string }): Promise<{ token: string; file: string | null }> {
  if (input.token !== null) return { token: input.token, file: null };
  const file = join(input.dataDir, "inference-secrets.json");
  const stored = await readStored(file, storedPoolSchema);
  if (stored !== null) return { token: stored.inferenceToken, file };
  const generated = { inferenceToken: newSecret(32) };
  await keep(input.dataDir, file, generated);
  return { token: generated.inferenceToken, file };
}

async function keep(dataDir: string, file: string, secrets: object): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
}

async function readStored<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return null;
    throw error;
  }
  // A corrupt file is an operator problem to fix, not something to overwrite silently.
  return schema.parse(JSON.parse(text));
}
