/**
 * JSON text of any value a hostile client can write, including what JSON.stringify cannot or would mangle: 64-bit
 * integers as bare digits, ±Infinity as `1e999` (which JSON.parse reads back as Infinity), NaN as the invalid token
 * `NaN`, -0 as `-0`, maps as their entries, binary as byte arrays. Null when the text would be over `maxChars` (the
 * corpus keeps large inputs as recipes instead).
 */

const RAW = "\u0000raw:";
const rawToken = (text: string) => `${RAW}${text}\u0000`;
const RAW_TOKENS = /"\\u0000raw:([^"\\]*)\\u0000"/g;

export function hostileJson(value: unknown, maxChars = 16 * 1024): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return rawToken(v.toString());
      if (typeof v === "number") {
        if (Number.isNaN(v)) return rawToken("NaN");
        if (v === Infinity) return rawToken("1e999");
        if (v === -Infinity) return rawToken("-1e999");
        if (Object.is(v, -0)) return rawToken("-0");
      }
      if (v instanceof Map) return [...v.entries()];
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number | bigint>);
      return v;
    });
  } catch {
    // Deeper than JSON.stringify recurses: the corpus has explicit nesting recipes for that.
    return null;
  }
  if (text === undefined || text.length > maxChars) return null;
  return text.replace(RAW_TOKENS, (_match, raw: string) => raw);
}
