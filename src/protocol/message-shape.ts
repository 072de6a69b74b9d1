/**
 * Measures a decoded client message without trusting it. Colyseus decodes MessagePack, which yields values JSON
 * cannot carry (BigInt for 64-bit integers, Map, typed arrays, Date and arbitrary extension values) and can nest or
 * widen without limit; `JSON.stringify` throws on some of them and recursion overflows the stack on others. This walk
 * is iterative, bounded in work and never throws, so a size check can run before any schema sees the value.
 */

export interface MessageShapeLimits {
  /** Largest JSON encoding, in bytes (UTF-8), of the message. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most values (leaves, arrays and objects) in the message. */
  maxValues: number;
}

export type MessageShape =
  | { ok: true; bytes: number }
  | { ok: false; problem: "too_large"; detail: string }
  | { ok: false; problem: "unsupported_value"; detail: string };

/** Bytes a string takes in JSON: its UTF-8 length plus quotes; escapes are ignored (a bound, not an encoder). */
function jsonStringBytes(value: string): number {
  let bytes = 2;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return bytes;
}

/** Paths name the offending value in the reply; client-chosen keys can be huge, so they are cut. */
const MAX_PATH_CHARS = 120;

function childPath(path: string, step: string): string {
  return path.length >= MAX_PATH_CHARS ? path : `${path}${step}`.slice(0, MAX_PATH_CHARS);
}

function kindOf(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  if (value instanceof Map) return "a map";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return "binary data";
  if (value instanceof Date) return "a date";
  return "an object of another kind";
}

/** A plain JSON-like object: `{}` literal or null prototype (no Map, Date, typed array, class instance). */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function inspectMessage(message: unknown, limits: MessageShapeLimits): MessageShape {
  let bytes = 0;
  let values = 0;
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: message, depth: 0, path: "" }];
  // MessagePack's structured-clone records can make a value refer to itself; JSON has no references at all.
  const containers = new WeakSet<object>();
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    values += 1;
    if (values > limits.maxValues) return { ok: false, problem: "too_large", detail: `more than ${limits.maxValues} values` };
    if (depth > limits.maxDepth) return { ok: false, problem: "too_large", detail: `nested deeper than ${limits.maxDepth} levels` };
    const where = path === "" ? "the message" : path;
    switch (typeof value) {
      case "string":
        bytes += jsonStringBytes(value);
        break;
      case "number":
        if (!Number.isFinite(value)) return { ok: false, problem: "unsupported_value", detail: `${where} is ${String(value)}, which JSON cannot carry` };
        bytes += 24;
        break;
      case "boolean":
        bytes += 5;
        break;
      case "undefined":
        break;
      case "bigint":
        return { ok: false, problem: "unsupported_value", detail: `${where} is a 64-bit integer; send numbers within ±2^53` };
      case "object":
        if (value === null) {
          bytes += 4;
        } else if (containers.has(value)) {
          return { ok: false, problem: "unsupported_value", detail: `${where} refers to a value already in the message (circular or shared); JSON carries no references` };
        } else if (Array.isArray(value)) {
          containers.add(value);
          bytes += 2 + value.length;
          if (values + value.length > limits.maxValues) return { ok: false, problem: "too_large", detail: `more than ${limits.maxValues} values` };
          for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], depth: depth + 1, path: childPath(path, `[${i}]`) });
        } else if (isPlainObject(value)) {
          containers.add(value);
          const keys = Object.keys(value);
          if (values + keys.length > limits.maxValues) return { ok: false, problem: "too_large", detail: `more than ${limits.maxValues} values` };
          bytes += 2;
          for (const key of keys) {
            bytes += jsonStringBytes(key) + 2;
            stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: childPath(path, path === "" ? key : `.${key}`) });
          }
        } else {
          return { ok: false, problem: "unsupported_value", detail: `${where} is ${kindOf(value)}; messages carry JSON values only` };
        }
        break;
      default:
        return { ok: false, problem: "unsupported_value", detail: `${where} is a ${typeof value}` };
    }
    if (bytes > limits.maxBytes) return { ok: false, problem: "too_large", detail: `over ${limits.maxBytes} bytes` };
  }
  return { ok: true, bytes };
}
