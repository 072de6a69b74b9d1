import type { JoinErrorCode, RoomErrorCode } from "../../src/protocol/error-codes.js";
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

/** Shown when the camera cannot be opened: how to allow it, and that the rest of the page goes on. */
export function cameraErrorText(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError") {
    return "Camera access was denied. To turn your camera on, allow the camera for this site (the camera icon in the address bar, or the browser's site settings), then press Camera again. You can still take part without it.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera was found. Connect one and press Camera again.";
  if (name === "NotReadableError") return "The camera is in use by another application, or could not be started. Close the other application and press Camera again.";
  return "The camera could not be started. Check your browser's camera settings and press Camera again.";
}

/** Why the engine refused a camera frame (`error` with `type: "video"`), by code, with the code to match on. */
const VIDEO_ERROR_TEXT: Partial<Record<RoomErrorCode, string>> = {
  invalid_video: "A camera frame was refused",
  rate_limited: "Camera frames were sent faster than this session allows; the page now sends fewer",
  session_not_live: "Your camera is not analysed until the session has started",
  model_unavailable: "Expression analysis is unavailable: its model is not loaded",
  inference_unavailable: "Expression analysis is unavailable: the analysis service cannot be reached",
  overloaded: "Expression analysis is busy; some frames are not analysed",
  deadline_exceeded: "Expression analysis is running late; some frames are not analysed",
};

export function videoErrorText(error: ErrorMessage): string {
  const text = VIDEO_ERROR_TEXT[error.code];
  if (text === undefined) return `Camera frame not analysed: ${error.message} [${error.code}]`;
  return error.code === "invalid_video" ? `${text}: ${error.message} [${error.code}]` : `${text}. [${error.code}]`;
}

/** Codes of a tutor's failed turn, shown in its panel (not as a refused chat message: the message was relayed). */
const TUTOR_ERROR_TEXT: Partial<Record<RoomErrorCode, string>> = {
  llm_unavailable: "The tutor cannot answer right now: its language model is unavailable. Ask again in a moment.",
};

export function isTutorError(error: ErrorMessage): boolean {
  return TUTOR_ERROR_TEXT[error.code] !== undefined;
}

export function tutorErrorText(error: ErrorMessage): string {
  return `${TUTOR_ERROR_TEXT[error.code] ?? `The tutor could not answer: ${error.message}.`} [${error.code}]`;
}
