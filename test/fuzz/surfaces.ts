import { bridgeSurface } from "./bridge-surface.js";
import type { FuzzSurface } from "./corpus.js";
import { grpcSurface } from "./grpc-surface.js";
import { restSurface } from "./rest-surface.js";
import { roomSurface } from "./room-surface.js";
import { websocketSurface } from "./websocket-surface.js";

/**
 * Every fuzzed surface; `npm run fuzz:corpus` regenerates each one's committed corpus. A new surface (new routes or
 * pool RPCs) adds its module here and a replay test beside it.
 */
export const FUZZ_SURFACES: readonly FuzzSurface<unknown>[] = [bridgeSurface, grpcSurface, restSurface, roomSurface, websocketSurface];
