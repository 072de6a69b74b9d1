import type { ParticipantRecord } from "../persistence/store.js";
import type { TranscriptSegmentRecord } from "../persistence/transcript-store.js";

/** Display names by participant id, as recorded at join. */
export type SpeakerNames = ReadonlyMap<string, string>;

export function speakerNames(participants: readonly ParticipantRecord[]): SpeakerNames {
  return new Map(participants.map((p) => [p.participantId, p.name]));
}

/** The speaker's display name on one line; the participant id when none was recorded (or it is blank). */
function speakerOf(participantId: string, names: SpeakerNames): string {
  const name = names.get(participantId)?.replace(/[\r\n]+/g, " ").trim() ?? "";
  return name === "" ? participantId : name;
}

function clock(ms: number, separator: "." | ","): string {
  const total = Math.max(0, Math.round(ms));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  const millis = total % 1000;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(hours)}:${two(minutes)}:${two(seconds)}${separator}${String(millis).padStart(3, "0")}`;
}

/**
 * Stored offsets count from the session's creation, which can be long before anyone speaks; subtitles count from the
 * first speech, so the first cue starts at 00:00:00.000.
 */
function firstSpeechMs(segments: readonly TranscriptSegmentRecord[]): number {
  return segments.reduce((earliest, s) => Math.min(earliest, s.startMs), Number.POSITIVE_INFINITY);
}

/** A blank line ends a cue in both formats: keep line breaks, never an empty line. */
function withoutBlankLines(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/\n\s*\n/g, "\n").trim();
}

/** WebVTT parses `<` and `&` in cue text and voice names as markup: escape them, and `>` so `-->` cannot appear. */
function vttEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** WebVTT with the speaker's name as a voice span. */
export function toVtt(segments: readonly TranscriptSegmentRecord[], names: SpeakerNames = new Map()): string {
  const origin = firstSpeechMs(segments);
  const cues = segments.map(
    (s) =>
      `${clock(s.startMs - origin, ".")} --> ${clock(s.endMs - origin, ".")}\n` +
      `<v ${vttEscape(speakerOf(s.participantId, names))}>${vttEscape(withoutBlankLines(s.text))}`,
  );
  return `WEBVTT\n\n${cues.join("\n\n")}${cues.length > 0 ? "\n" : ""}`;
}

/** SubRip has no escaping: an arrow in the text could read as a timing line, so it becomes `→`. */
function srtText(text: string): string {
  return withoutBlankLines(text).replaceAll("-->", "→");
}

/** SubRip with the speaker's name before each cue's text. */
export function toSrt(segments: readonly TranscriptSegmentRecord[], names: SpeakerNames = new Map()): string {
  const origin = firstSpeechMs(segments);
  return segments
    .map(
      (s, i) =>
        `${i + 1}\n${clock(s.startMs - origin, ",")} --> ${clock(s.endMs - origin, ",")}\n` +
        `${srtText(speakerOf(s.participantId, names))}: ${srtText(s.text)}\n`,
    )
    .join("\n");
}
