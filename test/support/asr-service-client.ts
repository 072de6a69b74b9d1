import { serviceErrorBody } from "../../src/api/asr-service-schemas.js";

/**
 * The ASR service's API as its clients call it (its documentation's `curl -F audio=@speech.wav -F language=en`). The
 * answers' shapes are the strict schemas the OpenAPI document publishes (src/api/asr-service-schemas.ts).
 */

export {
  healthAnswer as healthShape,
  optimizeAnswer as optimizeShape,
  serviceErrorBody as serviceErrorShape,
  statusAnswer as statusShape,
  transcribeAndOptimizeAnswer as transcribeAndOptimizeShape,
  transcribeAnswer as transcribeShape,
} from "../../src/api/asr-service-schemas.js";

export interface Answer {
  status: number;
  body: unknown;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** A multipart POST as `curl -F audio=@speech.wav -F name=value` sends it; `key` null sends no Authorization. */
export async function postForm(
  url: string,
  key: string | null,
  file: { field: string; bytes: Uint8Array; name: string; type: string } | null,
  fields: Record<string, string> = {},
): Promise<Answer> {
  const form = new FormData();
  if (file !== null) form.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  return answerOf(await fetch(url, { method: "POST", headers, body: form }));
}

/** A JSON request as `curl -H 'Content-Type: application/json' -d '{...}'` sends it. */
export async function requestJson(url: string, key: string | null, method: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return answerOf(await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
}

/** The error's code, after checking the answer is in the service's error shape. */
export function serviceErrorCode(answer: Answer): string {
  return serviceErrorBody.parse(answer.body).code;
}
