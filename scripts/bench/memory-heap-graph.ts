import { z } from "zod";

/**
 * A V8 heap snapshot as typed arrays. Object ids are stable between snapshots of one process, so the objects a step
 * created are the ids the earlier snapshot did not have; each is charged to who holds it (see `attributeNew`).
 */
export interface HeapGraph {
  count: number;
  typeNames: string[];
  type: Uint8Array;
  /** Index into `strings`. */
  name: Uint32Array;
  id: Uint32Array;
  selfSize: Float64Array;
  /** Edges of node i are firstEdge[i] … firstEdge[i + 1] − 1. */
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeTypeNames: string[];
  /** A string index for named edges, the element index for "element" and "hidden" edges. */
  edgeName: Uint32Array;
  /** Target node (ordinal, not the snapshot's field offset). */
  edgeTo: Uint32Array;
  strings: string[];
}

const snapshotSchema = z.object({
  snapshot: z.object({
    meta: z.object({
      node_fields: z.array(z.string()),
      node_types: z.array(z.union([z.array(z.string()), z.string()])),
      edge_fields: z.array(z.string()),
      edge_types: z.array(z.union([z.array(z.string()), z.string()])),
    }),
  }),
  nodes: z.array(z.number()),
  edges: z.array(z.number()),
  strings: z.array(z.string()),
});

function fieldIndex(fields: string[], field: string): number {
  const index = fields.indexOf(field);
  if (index < 0) throw new Error(`heap snapshot without field ${field}`);
  return index;
}

export function parseHeapGraph(text: string): HeapGraph {
  const parsed = snapshotSchema.parse(JSON.parse(text));
  const meta = parsed.snapshot.meta;
  const nf = meta.node_fields;
  const ef = meta.edge_fields;
  const typeNames = meta.node_types[fieldIndex(nf, "type")];
  const edgeTypeNames = meta.edge_types[fieldIndex(ef, "type")];
  if (!Array.isArray(typeNames) || !Array.isArray(edgeTypeNames)) throw new Error("heap snapshot without type names");
  const nw = nf.length;
  const ew = ef.length;
  const [ty, nm, idf, sz, ec] = ["type", "name", "id", "self_size", "edge_count"].map((f) => fieldIndex(nf, f));
  const [ety, enm, eto] = ["type", "name_or_index", "to_node"].map((f) => fieldIndex(ef, f));
  const { nodes, edges } = parsed;
  const count = nodes.length / nw;
  const graph: HeapGraph = {
    count,
    typeNames,
    type: new Uint8Array(count),
    name: new Uint32Array(count),
    id: new Uint32Array(count),
    selfSize: new Float64Array(count),
    firstEdge: new Uint32Array(count + 1),
    edgeType: new Uint8Array(edges.length / ew),
    edgeTypeNames,
    edgeName: new Uint32Array(edges.length / ew),
    edgeTo: new Uint32Array(edges.length / ew),
    strings: parsed.strings,
  };
  let edge = 0;
  for (let i = 0; i < count; i++) {
    const at = i * nw;
    graph.type[i] = nodes[at + (ty ?? 0)] ?? 0;
    graph.name[i] = nodes[at + (nm ?? 0)] ?? 0;
    graph.id[i] = nodes[at + (idf ?? 0)] ?? 0;
    graph.selfSize[i] = nodes[at + (sz ?? 0)] ?? 0;
    graph.firstEdge[i] = edge;
    edge += nodes[at + (ec ?? 0)] ?? 0;
  }
  graph.firstEdge[count] = edge;
  for (let e = 0; e < graph.edgeTo.length; e++) {
    graph.edgeType[e] = edges[e * ew + (ety ?? 0)] ?? 0;
    graph.edgeName[e] = edges[e * ew + (enm ?? 0)] ?? 0;
    graph.edgeTo[e] = (edges[e * ew + (eto ?? 0)] ?? 0) / nw;
  }
  return graph;
}

export function nodeIds(graph: HeapGraph): Set<number> {
  return new Set(graph.id);
}

/** How a node is named: a constructor for objects, "(closure) name", "(string)", "(system) …" and so on. */
export function nodeLabel(graph: HeapGraph, node: number): string {
  const type = graph.typeNames[graph.type[node] ?? 0] ?? "unknown";
  const name = graph.strings[graph.name[node] ?? 0] ?? "";
  switch (type) {
    case "object":
      return name;
    case "closure":
      return `(closure) ${name === "" ? "anonymous" : name}`;
    case "string":
    case "concatenated string":
    case "sliced string":
      return "(string)";
    case "code":
      return "(compiled code)";
    case "number":
    case "heap number":
      return "(number)";
    case "hidden":
      return `(system) ${name.slice(0, 60)}`;
    default:
      return `(${type}) ${name.slice(0, 60)}`.trim();
  }
}

function edgeLabel(graph: HeapGraph, e: number): string {
  const type = graph.edgeTypeNames[graph.edgeType[e] ?? 0] ?? "";
  const name = graph.edgeName[e] ?? 0;
  if (type === "element" || type === "hidden") return `[${name}]`;
  return graph.strings[name] ?? "?";
}

const isWeak = (graph: HeapGraph, e: number) => graph.edgeTypeNames[graph.edgeType[e] ?? 0] === "weak";

export interface Attribution {
  /** "<owner or pre-existing object>.<field> → <class reached>", e.g. "BoundMeetingRoom.#actor → Actor". */
  path: string;
  bytes: number;
  count: number;
}

/** Edge names that are ids (session ids, numbered keys) are one group, not one line each. */
function groupedEdge(graph: HeapGraph, e: number): string {
  const text = edgeLabel(graph, e);
  if (/^\[\d+\]$/.test(text)) return "[]";
  // "1 / part of key (WebSocketClient @95) -> value (Object @10) pair in WeakMap (table @10)": a WeakMap entry.
  if (text.includes("pair in WeakMap")) return "<value in a WeakMap>";
  return /[0-9a-f]{8}-|\d{6,}/i.test(text) ? "<id>" : text.slice(0, 40);
}

/**
 * Charges every object created since `before` (ids it lacks) to who holds it, first touch wins, self sizes summed
 * (nothing counted twice, the rows add up to all new bytes):
 *   1. new instances of an `owners` class (a room, a client; the map gives the name they are shown as) and what is
 *      reachable from them through new objects only, by the owner's field: "Room.#audio → RoomAudio";
 *   2. the rest by the pre-existing object it hangs from: "Map.[] → ParticipantState" (old objects are shared, never
 *      traversed); what only weak edges reach is "(weakly held)".
 * A dominator tree would not do: an actor's timers and the matchmaker also reach a room's parts, so the root
 * dominates them.
 */
export function attributeNew(graph: HeapGraph, before: Set<number>, owners: ReadonlyMap<string, string>): Attribution[] {
  const n = graph.count;
  // Node's embedder graph ("Node / TCPSocketWrap", synthetic groupings) is rebuilt for every snapshot under fresh
  // ids: those nodes are never new, only places new objects hang from.
  const embedder = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const type = graph.typeNames[graph.type[v] ?? 0];
    if (type === "synthetic" || (type === "native" && (graph.strings[graph.name[v] ?? 0] ?? "").startsWith("Node / "))) embedder[v] = 1;
  }
  const isNew = (v: number) => embedder[v] !== 1 && !before.has(graph.id[v] ?? 0);
  const labelOf = new Int32Array(n).fill(-1);
  const labels: string[] = [];
  const index = new Map<string, number>();
  const intern = (text: string) => {
    let at = index.get(text);
    if (at === undefined) {
      at = labels.length;
      labels.push(text);
      index.set(text, at);
    }
    return at;
  };
  const queue = new Uint32Array(n);
  let head = 0;
  let tail = 0;
  const isOwner = new Uint8Array(n);
  const ownerName = (v: number) => owners.get(nodeLabel(graph, v)) ?? nodeLabel(graph, v);
  // Spreads labels from the queued nodes through new, unlabelled ones; an owner's direct fields get their own label.
  const spread = () => {
    while (head < tail) {
      const v = queue[head++] ?? 0;
      for (let e = graph.firstEdge[v] ?? 0; e < (graph.firstEdge[v + 1] ?? 0); e++) {
        const w = graph.edgeTo[e] ?? 0;
        if (isWeak(graph, e) || labelOf[w] !== -1 || !isNew(w) || isOwner[w] === 1) continue;
        labelOf[w] =
          isOwner[v] === 1 ? intern(`${ownerName(v)}.${groupedEdge(graph, e)} → ${nodeLabel(graph, w)}`) : (labelOf[v] ?? 0);
        queue[tail++] = w;
      }
    }
  };
  for (let v = 0; v < n; v++) {
    if (!isNew(v) || !owners.has(nodeLabel(graph, v))) continue;
    isOwner[v] = 1;
    labelOf[v] = intern(`${ownerName(v)} (itself)`);
    queue[tail++] = v;
  }
  spread();
  for (let v = 0; v < n; v++) {
    if (isNew(v)) continue;
    for (let e = graph.firstEdge[v] ?? 0; e < (graph.firstEdge[v + 1] ?? 0); e++) {
      const w = graph.edgeTo[e] ?? 0;
      if (isWeak(graph, e) || labelOf[w] !== -1 || !isNew(w)) continue;
      labelOf[w] = intern(`${nodeLabel(graph, v)}.${groupedEdge(graph, e)} → ${nodeLabel(graph, w)}`);
      queue[tail++] = w;
    }
    spread();
  }
  const totals = new Map<number, Attribution>();
  for (let v = 0; v < n; v++) {
    if (!isNew(v)) continue;
    const at = labelOf[v] === -1 ? intern("(weakly held)") : (labelOf[v] ?? 0);
    const total = totals.get(at) ?? { path: labels[at] ?? "", bytes: 0, count: 0 };
    total.bytes += graph.selfSize[v] ?? 0;
    total.count += 1;
    totals.set(at, total);
  }
  return [...totals.values()].sort((a, b) => b.bytes - a.bytes);
}
