import type { TranscriptSegmentRecord } from "../persistence/transcript-store.js";

function clock(ms: number, separator: "." | ","): string {
  const total = Math.max(0, Math.round(ms));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  const millis = total % 1000;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(hours)}:${two(minutes)}:${two(seconds)}${separator}${String(millis).padStart(3, "0")}`;
}

/** Cue text must not contain a blank line or `-->` (it would end or corrupt the cue). */
function cueText(text: string): string {
  return text.replace(/\r?\n\s*\r?\n/g, "\n").replaceAll("-->", "→");
}

/** WebVTT with the speaker as a voice span. */
export function toVtt(segments: TranscriptSegmentRecord[]): string {
  const cues = segments.map(
    (s) => `${clock(s.startMs, ".")} --> ${clock(s.endMs, ".")}\n<v ${s.participantId.replaceAll(">", "")}>${cueText(s.text)}`,
  );
  return `WEBVTT\n\n${cues.join("\n\n")}${cues.length > 0 ? "\n" : ""}`;
}

export function toSrt(segments: TranscriptSegmentRecord[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${clock(s.startMs, ",")} --> ${clock(s.endMs, ",")}\n${s.participantId}: ${cueText(s.text)}\n`)
    .join("\n");
}
