import { z } from "zod";
import { storable } from "../storable-text.js";

/**
 * The meeting system's ids (`meeting_id`, `user_id`): integers or strings of up to 128 characters. The engine keeps
 * them as text (`42` and `"42"` name the same session).
 */
export const meetingSystemId = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), storable(z.string().min(1).max(128))]);

export function idText(id: z.infer<typeof meetingSystemId>): string {
  return String(id);
}
