/**
 * The fast path of a search (or query) body's vector. JSON.parse spends most of a search body's parse
 * time on the vector's numbers, on the event loop that every request shares; the native
 * `parseFloatArray` (native/json_floats.cc) reads them several times faster, straight into the
 * Float32Array the engine needs, with the same values (nearest double, then nearest float32).
 *
 * The fast path takes a body only when it is certain to read it as JSON.parse would: pure ASCII,
 * one `"vector":[` in it, at the top level of the body object, followed by a plain array of
 * finite float32 numbers, and no second `"vector"` key. Everything else (and every body the rest
 * of which JSON.parse refuses) returns undefined, and the caller parses the whole body the usual
 * way, so that errors and edge cases are answered exactly as before.
 */

import { isAscii } from 'node:buffer';
import { LIMITS } from '../base/limits.js';
import { loadNativeAddon } from '../base/native-addon.js';

/** What the `hektor_json` binding exports. */
interface JsonBinding {
  parseFloatArray(bytes: Uint8Array, start: number, end: number, out: Float32Array): number;
}

function loadBinding(): JsonBinding {
  return loadNativeAddon('hektor_json', 'JSON binding', ['parseFloatArray']) as unknown as JsonBinding;
}

const binding = loadBinding();

/** Where the native parse writes; a vector longer than any collection's falls back. */
const scratch = new Float32Array(LIMITS.vectorSizeMax);

/** The fields whose array the fast path reads: `vector` (search) and `query` (query API). */
export type VectorField = 'vector' | 'query';

/** What the fast path looks for, per field: the key and the array's opening bracket, as bytes. */
const KEYS: Record<VectorField, Buffer> = { vector: Buffer.from('"vector":[', 'latin1'), query: Buffer.from('"query":[', 'latin1') };
/** What stands in for the vector in the text given to JSON.parse. */
const PLACEHOLDER = '0';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when byte `at` of `body` is outside any string and directly inside the outermost object,
 * i.e. a key starting there belongs to the body object itself.
 */
function atTopLevel(body: Buffer, at: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < at; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return !inString && depth === 1 && body[0] === OPEN_BRACE;
}

/**
 * Parses a body whose `field` (`vector` of a search, `query` of a query) is a plain array of
 * numbers: the body object with that field set to a Float32Array of its values, or undefined when
 * the fast path does not apply (see the module comment) and the body must be parsed as usual. The
 * caller has made sure that the body cannot poison a prototype (JSON.parse is used on the rest
 * without the poisoning checks).
 */
export function parseVectorBody(body: Buffer, field: VectorField): Record<string, unknown> | undefined {
  const keyBytes = KEYS[field];
  const key = body.indexOf(keyBytes);
  if (key < 0 || body.indexOf(keyBytes, key + 1) >= 0 || !isAscii(body)) return undefined;
  const open = key + keyBytes.length;
  const close = body.indexOf(CLOSE_BRACKET, open);
  if (close < 0 || !atTopLevel(body, key)) return undefined;
  const count = binding.parseFloatArray(body, open, close, scratch);
  if (count < 0) return undefined;
  const rest = body.toString('latin1', 0, open - 1) + PLACEHOLDER + body.toString('latin1', close + 1);
  // A second key of that name (JSON.parse keeps the last of duplicates) is left to the usual path.
  const quoted = `"${field}"`;
  if (rest.indexOf(quoted) !== rest.lastIndexOf(quoted)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const object = parsed as Record<string, unknown>;
  if (object[field] !== 0) return undefined;
  object[field] = scratch.slice(0, count);
  return object;
}
