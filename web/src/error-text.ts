import type { JoinErrorCode } from "../../src/protocol/error-codes.js";
import type { ErrorMessage } from "../../src/protocol/server-messages.js";

/** Human text for the engine's join error codes (the SDK error's `message`); unknown codes fall back to the raw text. */
const JOIN_ERROR_TEXT: Partial<Record<JoinErrorCode, string>> = {
  token_missing: "This link has no join token. Ask the organiser for a new meeting link.",
  token_invalid: "This join link is not valid (it may have been copied incompletely). Ask the organiser for a new link.",
  token_expired: "This join link has expired. Ask the organiser for a new link.",
  token_wrong_session: "This join link belongs to another meeting. Ask the organiser for the right link.",
  role_not_allowed: "Your role is not allowed in this meeting.",
  session_not_found: "This meeting does not exist.",
  session_full: "This meeting is full. Try again later.",
  session_ended: "This meeting is ending or has ended.",
};

export function joinErrorText(code: string): string {
  return (JOIN_ERROR_TEXT as Record<string, string | undefined>)[code] ?? `Could not join the meeting (${code || "unknown error"}).`;
}

export const MISSING_LINK_TEXT =
  "Open this page with a meeting link: /?session=<session id>&token=<join token>.";

/** Shown when getUserMedia is refused: how to turn the microphone back on. */
export function microphoneErrorText(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError") {
    return "Microphone access was denied. To speak, allow the microphone for this site (the camera/microphone icon in the address bar, or the browser's site settings), then reload the page. You can still listen and read the transcript.";
  }
  if (name === "NotFoundError") return "No microphone was found. Connect one and reload the page to speak.";
  return "The microphone could not be started. Check your browser's microphone settings and reload the page.";
}

/** Why the engine refused a chat message: its own words (and the failing field's), with the code to match on. */
export function chatErrorText(error: ErrorMessage): string {
  if (error.code === "rate_limited") return "Message not sent: you are sending messages too fast. Wait a moment and try again.";
  const details = (error.issues ?? []).map((issue) => issue.message).join("; ");
  return `Message not sent: ${error.message}${details ? ` (${details})` : ""} [${error.code}]`;
}
