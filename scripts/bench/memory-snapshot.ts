import { attributeNew, nodeLabel, type Attribution, type HeapGraph } from "./memory-heap-graph.js";

/**
 * What the breakdown keeps of a heap snapshot: shallow (self) bytes and object counts per category, the grouping of
 * DevTools' "Comparison" view (objects by constructor, closures by function name, strings, arrays and V8 internals by
 * kind). Differences between two points divided by the clients (or rooms) added give bytes per client (or room).
 */
export interface CategoryTotal {
  count: number;
  bytes: number;
}

export interface SnapshotSummary {
  nodes: number;
  bytes: number;
  categories: Map<string, CategoryTotal>;
}

/** Objects whose fields the per-room attribution names (class in the snapshot → how it is shown). */
export const ROOM_OWNERS: ReadonlyMap<string, string> = new Map([
  ["BoundMeetingRoom", "Room"],
  ["BoundTutoringRoom", "Room"],
  ["BareRoom", "Room"],
  ["Actor", "xstate Actor"],
  ["StateMachine", "xstate StateMachine"],
  ["SchemaSerializer", "SchemaSerializer"],
  ["RoomAudio", "RoomAudio"],
  ["AudioLink", "AudioLink"],
  ["ClientInbox", "ClientInbox"],
  ["OrderedWrites", "OrderedWrites"],
  ["RoomConnections", "RoomConnections"],
]);

/** The same for the per-participant attribution: Colyseus' connection object and schema instances (`schema()` → klass). */
export const CLIENT_OWNERS: ReadonlyMap<string, string> = new Map([
  ["WebSocketClient", "WebSocketClient"],
  ["klass", "schema instance (klass)"],
]);

/**
 * Lines that are one-time or not objects at all, merged so the tables show what scales: machine code and bytecode
 * the JIT made on first use, V8 hidden classes, and Node's own estimate of native memory behind handles.
 */
export function mergedLabel(label: string): string {
  if (label.includes("(compiled code)")) return "(compiled code: JIT and bytecode, one-time)";
  if (label.includes("(object shape)")) return "(object shapes: V8 hidden classes)";
  const native = /^\((?:synthetic|native)\) (Node \/ \S+)$/.exec(label);
  if (native?.[1] !== undefined) return `(native, Node's estimate) ${native[1]}`;
  return label;
}

export function summarizeGraph(graph: HeapGraph): SnapshotSummary {
  const categories = new Map<string, CategoryTotal>();
  let bytes = 0;
  for (let v = 0; v < graph.count; v++) {
    const type = graph.typeNames[graph.type[v] ?? 0];
    // Roots and groupings the snapshot adds own no memory of their own.
    if (type === "synthetic") continue;
    const key = mergedLabel(nodeLabel(graph, v));
    const size = graph.selfSize[v] ?? 0;
    bytes += size;
    const total = categories.get(key);
    if (total === undefined) categories.set(key, { count: 1, bytes: size });
    else {
      total.count += 1;
      total.bytes += size;
    }
  }
  return { nodes: graph.count, bytes, categories };
}

/** Attribution rows with one-time and native lines merged (see `mergedLabel`). */
export function attributeMerged(graph: HeapGraph, before: Set<number>, owners: ReadonlyMap<string, string>): Attribution[] {
  const merged = new Map<string, Attribution>();
  for (const row of attributeNew(graph, before, owners)) {
    const path = mergedLabel(row.path);
    const total = merged.get(path) ?? { path, bytes: 0, count: 0 };
    total.bytes += row.bytes;
    total.count += row.count;
    merged.set(path, total);
  }
  return [...merged.values()].sort((a, b) => b.bytes - a.bytes);
}

export interface Delta {
  key: string;
  /** Objects added per client (or per room) between the two points. */
  count_per: number;
  bytes_per: number;
}

/** (after − before) ÷ `per` for every category, largest growth first. */
export function categoryDelta(before: SnapshotSummary, after: SnapshotSummary, per: number): Delta[] {
  const keys = new Set([...before.categories.keys(), ...after.categories.keys()]);
  const deltas: Delta[] = [];
  for (const key of keys) {
    const a = before.categories.get(key) ?? { count: 0, bytes: 0 };
    const b = after.categories.get(key) ?? { count: 0, bytes: 0 };
    deltas.push({ key, count_per: (b.count - a.count) / per, bytes_per: (b.bytes - a.bytes) / per });
  }
  return deltas.sort((x, y) => y.bytes_per - x.bytes_per);
}

/** Attribution rows ÷ `per`, in the same shape as category deltas. */
export function perUnit(rows: readonly Attribution[], per: number): Delta[] {
  return rows.map((row) => ({ key: row.path, count_per: row.count / per, bytes_per: row.bytes / per }));
}
