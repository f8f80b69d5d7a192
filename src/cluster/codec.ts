/**
 * Wire encoding of Raft messages between nodes: JSON with byte fields as base64. Decoding checks
 * the shape of everything the core reads, so a malformed or hostile message is dropped with an
 * error instead of tripping an assertion inside the core.
 */

import type { Entry, Message, Snapshot } from '../consensus/types.js';

const MESSAGE_TYPES = new Set([
  'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'vote', 'preVote', 'voteResp', 'preVoteResp',
  'snapshot', 'timeoutNow', 'readIndex', 'readIndexResp',
]);

/** Encodes a message for a RaftBatch. */
export function encodeMessage(m: Message): Buffer {
  // The replacer looks at the holder's original value: JSON.stringify has already applied
  // Buffer.prototype.toJSON to `value` when the bytes are a Buffer.
  return Buffer.from(
    JSON.stringify(m, function (this: Record<string, unknown>, key: string, value: unknown) {
      const original = this[key];
      return original instanceof Uint8Array ? { $b64: Buffer.from(original).toString('base64') } : value;
    }),
  );
}

class CodecError extends Error {}

function fail(what: string): never {
  throw new CodecError(`malformed raft message: ${what}`);
}

function num(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${key} is not a non-negative integer`);
  return v;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) fail(`${key} is not a node id`);
  return v;
}

function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${key} is not a boolean`);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'object' || v === null || typeof (v as { $b64?: unknown }).$b64 !== 'string') fail(`${what} is not bytes`);
  return new Uint8Array(Buffer.from((v as { $b64: string }).$b64, 'base64'));
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function ids(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) fail(`${what} is not a list of node ids`);
  return v;
}

function entry(v: unknown): Entry {
  const o = record(v, 'entry');
  const type = o.type;
  if (type !== 'normal' && type !== 'config') fail('entry type');
  return { term: num(o, 'term'), index: num(o, 'index'), type, data: bytes(o.data, 'entry data') };
}

function snapshot(v: unknown): Snapshot {
  const o = record(v, 'snapshot');
  const meta = record(o.metadata, 'snapshot metadata');
  const config = record(meta.config, 'snapshot config');
  return {
    metadata: { index: num(meta, 'index'), term: num(meta, 'term'), config: { voters: ids(config.voters, 'voters'), learners: ids(config.learners, 'learners') } },
    data: bytes(o.data, 'snapshot data'),
  };
}

/** Decodes and validates one message; throws on anything malformed. */
export function decodeMessage(raw: Uint8Array): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    fail('not JSON');
  }
  const o = record(parsed, 'message');
  const type = o.type;
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) fail('unknown type');
  const base = { from: str(o, 'from'), to: str(o, 'to'), term: num(o, 'term') };
  switch (type) {
    case 'append': {
      if (!Array.isArray(o.entries)) fail('entries');
      return { ...base, type, prevIndex: num(o, 'prevIndex'), prevTerm: num(o, 'prevTerm'), entries: o.entries.map(entry), commit: num(o, 'commit') };
    }
    case 'appendResp':
      return { ...base, type, index: num(o, 'index'), reject: bool(o, 'reject'), hintIndex: num(o, 'hintIndex'), hintTerm: num(o, 'hintTerm') };
    case 'heartbeat':
      return { ...base, type, commit: num(o, 'commit'), readSeq: num(o, 'readSeq') };
    case 'heartbeatResp':
      return { ...base, type, readSeq: num(o, 'readSeq') };
    case 'vote':
    case 'preVote':
      return { ...base, type, lastIndex: num(o, 'lastIndex'), lastTerm: num(o, 'lastTerm'), force: bool(o, 'force') };
    case 'voteResp':
    case 'preVoteResp':
      return { ...base, type, reject: bool(o, 'reject') };
    case 'snapshot':
      return { ...base, type, snapshot: snapshot(o.snapshot) };
    case 'timeoutNow':
      return { ...base, type };
    case 'readIndex':
      return { ...base, type, requestId: str(o, 'requestId') };
    case 'readIndexResp':
      return { ...base, type, requestId: str(o, 'requestId'), index: num(o, 'index') };
    default:
      return fail('unknown type');
  }
}
