/**
 * Wire encoding of the data plane: replication messages and snapshot pages as msgpack, with
 * vectors as raw float32 bytes (the log's stored form), so an append costs no JSON number
 * formatting and decodes into aligned Float32Arrays.
 */

import { pack, unpack } from 'msgpackr';
import type { PointId } from '../base/ids.js';
import type { Payload } from '../index/types.js';
import type { ReplicaEntry, ReplicationMessage } from '../replication/types.js';
import type { SnapshotPoint } from '../shard/local-shard.js';
import type { ShardOp } from '../storage/ops.js';
import { decodeEntry, encodeEntry, type EncodedEntry } from '../storage/shard-store.js';

type EncodedMessage = Exclude<ReplicationMessage<ShardOp>, { type: 'append' }> | (Omit<Extract<ReplicationMessage<ShardOp>, { type: 'append' }>, 'entries'> & { entries: EncodedEntry[] });

/** Encodes one replication message. */
export function encodeReplicationMessage(message: ReplicationMessage<ShardOp>): Buffer {
  if (message.type !== 'append') return pack(message);
  const encoded: EncodedMessage = { ...message, entries: message.entries.map((e) => encodeEntry({ seq: e.seq, epoch: e.epoch, op: e.op })) };
  return pack(encoded);
}

/** Decodes a message made by encodeReplicationMessage; throws on malformed input. */
export function decodeReplicationMessage(data: Uint8Array): ReplicationMessage<ShardOp> {
  const raw = unpack(data) as EncodedMessage;
  if (typeof raw !== 'object' || typeof raw.type !== 'string') throw new Error('not a replication message');
  if (raw.type !== 'append') return raw;
  const entries: ReplicaEntry<ShardOp>[] = raw.entries.map((e) => decodeEntry(e));
  return { ...raw, entries };
}

interface EncodedSnapshotPoint {
  id: PointId;
  version: number;
  v: Uint8Array;
  payload: Payload | null;
}

/** Encodes a page of snapshot points. */
export function encodeSnapshotPage(points: readonly SnapshotPoint[]): Buffer {
  return pack(points.map((p): EncodedSnapshotPoint => ({ id: p.id, version: p.version, v: Buffer.from(p.vector.buffer, p.vector.byteOffset, p.vector.byteLength), payload: p.payload })));
}

/** Decodes a page made by encodeSnapshotPage. */
export function decodeSnapshotPage(data: Uint8Array): SnapshotPoint[] {
  const raw = unpack(data) as EncodedSnapshotPoint[];
  if (!Array.isArray(raw)) throw new Error('not a snapshot page');
  return raw.map((p) => {
    const vector = new Float32Array(p.v.byteLength / 4);
    new Uint8Array(vector.buffer).set(p.v);
    return { id: p.id, version: p.version, vector, payload: p.payload };
  });
}
