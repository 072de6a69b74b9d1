import fc from "fast-check";
import { bridgeFuzzEntry, type BridgeFuzzEntry } from "./bridge-entry.js";
import { connectionDraft } from "./bridge-connections.js";
import { messageDraft } from "./bridge-messages.js";
import type { FuzzSurface } from "./corpus.js";
import { sampleSeeded } from "./hostile-values.js";

/**
 * The virtual tutor server's plain-WebSocket bridge (`/ws/{session_id}?token=`): hostile connections (paths, encodings,
 * queries, tokens, raw request targets, frames breaking RFC 6455) and hostile messages on a good connection (see
 * bridge-connections.ts and bridge-messages.ts). Replayed by bridge.fuzz.test.ts against a real engine.
 */

/** Inputs of the committed corpus: a replay of them fits CI's minute on two cores. */
export const BRIDGE_CORPUS_ENTRIES = 400;

const draft = fc.oneof({ weight: 3, arbitrary: connectionDraft }, { weight: 7, arbitrary: messageDraft });

export const bridgeSurface: FuzzSurface<BridgeFuzzEntry> = {
  name: "bridge",
  entry: bridgeFuzzEntry,
  defaultCount: BRIDGE_CORPUS_ENTRIES,
  generate(seed, count) {
    return sampleSeeded(draft, seed, count).map((entry, index) => bridgeFuzzEntry.parse({ id: `bridge-${index}`, ...entry }));
  },
};
