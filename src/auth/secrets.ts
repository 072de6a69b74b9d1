import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

export interface EngineSecrets {
  adminApiKey: string;
  tokenSecret: string;
  /** Where generated secrets are kept; null when both came from the environment. */
  file: string | null;
  /** True when the admin key came from the data folder (print it so the operator can use it). */
  adminKeyGenerated: boolean;
}

const storedSchema = z.object({ adminApiKey: z.string().min(16), tokenSecret: z.string().min(32) });

/**
 * Uses ADMIN_API_KEY / TOKEN_SECRET when set; otherwise generates random ones on first start and keeps them in
 * `DATA_DIR/secrets.json` (mode 0600) so restarts keep issued tokens valid and the API is never open.
 */
export async function resolveSecrets(input: {
  adminApiKey: string | null;
  tokenSecret: string | null;
  dataDir: string;
}): Promise<EngineSecrets> {
  if (input.adminApiKey !== null && input.tokenSecret !== null) {
    return { adminApiKey: input.adminApiKey, tokenSecret: input.tokenSecret, file: null, adminKeyGenerated: false };
  }
  const file = join(input.dataDir, "secrets.json");
  const stored = await readStored(file);
  const secrets = stored ?? { adminApiKey: randomBytes(24).toString("base64url"), tokenSecret: randomBytes(48).toString("base64url") };
  if (stored === null) {
    await mkdir(input.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return {
    adminApiKey: input.adminApiKey ?? secrets.adminApiKey,
    tokenSecret: input.tokenSecret ?? secrets.tokenSecret,
    file,
    adminKeyGenerated: input.adminApiKey === null,
  };
}

async function readStored(file: string): Promise<z.infer<typeof storedSchema> | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return null;
    throw error;
  }
  // A corrupt file is an operator problem to fix, not something to overwrite silently.
  return storedSchema.parse(JSON.parse(text));
}
