/**
 * Payload edits and projections with Qdrant's semantics: set (merge) at the top level or at a
 * dotted path, delete keys by dotted path, and the `with_payload` selector (all, none, a list of
 * keys, include or exclude).
 */

import type { JsonValue, Payload } from '../index/types.js';

/** Which payload fields a read returns. */
export type PayloadSelector = boolean | { include: string[] } | { exclude: string[] };

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clonePayload(payload: Payload | null): Payload {
  return payload === null ? {} : (structuredClone(payload));
}

/** Merges `patch` into `base` (top-level keys) or into the object at dotted `key`, returning a new payload. */
export function setPayload(base: Payload | null, patch: Payload, key?: string): Payload {
  const result = clonePayload(base);
  let target: { [key: string]: JsonValue } = result;
  if (key !== undefined && key !== '') {
    for (const part of key.split('.')) {
      const next = target[part];
      if (isObject(next)) {
        target = next;
      } else {
        const created: { [key: string]: JsonValue } = {};
        target[part] = created;
        target = created;
      }
    }
  }
  for (const [k, v] of Object.entries(patch)) target[k] = structuredClone(v);
  return result;
}

/** Removes the given dotted keys, returning a new payload. */
export function deletePayloadKeys(base: Payload | null, keys: readonly string[]): Payload {
  const result = clonePayload(base);
  for (const key of keys) {
    const parts = key.split('.');
    const last = parts.pop();
    if (last === undefined) continue;
    let target: JsonValue | undefined = result;
    for (const part of parts) {
      target = isObject(target) ? target[part] : undefined;
    }
    if (isObject(target)) delete target[last];
  }
  return result;
}

/** Projects a payload for a response according to the selector. */
export function selectPayload(payload: Payload | null, selector: PayloadSelector): Payload | null {
  if (selector === false) return null;
  if (payload === null) return {};
  if (selector === true) return payload;
  if ('include' in selector) {
    const out: Payload = {};
    for (const key of selector.include) {
      const value = readPath(payload, key);
      if (value !== undefined) writePath(out, key, value);
    }
    return out;
  }
  return deletePayloadKeys(payload, selector.exclude);
}

function readPath(payload: Payload, key: string): JsonValue | undefined {
  let value: JsonValue | undefined = payload;
  for (const part of key.split('.')) {
    value = isObject(value) ? value[part] : undefined;
  }
  return value;
}

function writePath(out: Payload, key: string, value: JsonValue): void {
  const parts = key.split('.');
  const last = parts.pop();
  if (last === undefined) return;
  let target: { [key: string]: JsonValue } = out;
  for (const part of parts) {
    const next = target[part];
    if (isObject(next)) target = next;
    else {
      const created: { [key: string]: JsonValue } = {};
      target[part] = created;
      target = created;
    }
  }
  target[last] = value;
}
