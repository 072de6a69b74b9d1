import { randomUUID } from "node:crypto";
import { access, rename, unlink, writeFile } from "node:fs/promises";

/** Files prepared once and cached (models, test media): checked for, and written so readers never see half a file. */

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a temporary file of this process and renames it into place: concurrent writers each rename a whole file. */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
