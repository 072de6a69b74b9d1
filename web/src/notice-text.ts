import type { EndReason } from "../../src/domain.js";

/** Why the page is no longer in the session: what its status says and the notice explains. */
export type Departure = "left" | "ended" | "replaced" | "disconnected";

/** How the page names a session of this kind: in the heading, the tab and its notices. */
export function kindLabel(kind: string): string {
  return kind === "tutoring" ? "Tutoring session" : "Meeting";
}

function kindNoun(kind: string): string {
  return kind === "tutoring" ? "session" : "meeting";
}

const END_REASON_TEXT: Record<EndReason, string> = {
  requested: "the organiser ended it",
  idle_timeout: "nobody was connected for a while",
  max_duration: "it reached its maximum duration",
  process_restart: "the server restarted",
  shutdown: "the server is shutting down",
};

/** The notice once the page is out of the session; `endReason` is the engine's, when it ended. */
export function departureText(departure: Departure, kind: string, endReason: string | null): string {
  const noun = kindNoun(kind);
  switch (departure) {
    case "left":
      return `You left the ${noun}.`;
    case "ended": {
      const why = (END_REASON_TEXT as Record<string, string | undefined>)[endReason ?? ""];
      return why ? `The ${noun} has ended: ${why}.` : `The ${noun} has ended.`;
    }
    case "replaced":
      return `You joined this ${noun} from another tab or device, so this page was disconnected.`;
    case "disconnected":
      return `The connection to the ${noun} was lost. Reload the page to join again.`;
  }
}
