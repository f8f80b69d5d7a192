import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../consensus/types.js';
import { decodeMessage, encodeMessage } from './codec.js';

test('raft messages round-trip, with entry and snapshot bytes from Buffers and plain Uint8Arrays', () => {
  const messages: Message[] = [
    {
      type: 'append', from: 'a', to: 'b', term: 3, prevIndex: 4, prevTerm: 2, commit: 4,
      entries: [
        { term: 3, index: 5, type: 'normal', data: Buffer.from('{"type":"x"}') },
        { term: 3, index: 6, type: 'config', data: new Uint8Array([1, 2, 3]) },
      ],
    },
    { type: 'snapshot', from: 'a', to: 'c', term: 3, snapshot: { metadata: { index: 9, term: 3, config: { voters: ['a', 'b'], learners: ['c'] } }, data: Buffer.from([0, 255]) } },
    { type: 'vote', from: 'a', to: 'b', term: 4, lastIndex: 9, lastTerm: 3, force: false },
    { type: 'readIndexResp', from: 'a', to: 'b', term: 4, requestId: 'r1', index: 9 },
  ];
  const plain = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return [...v];
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  };
  for (const m of messages) assert.deepEqual(plain(decodeMessage(encodeMessage(m))), plain(m));
  const append = decodeMessage(encodeMessage(messages[0]!));
  assert.ok(append.type === 'append' && append.entries[0]!.data instanceof Uint8Array);
  assert.equal(Buffer.from(append.entries[0]!.data).toString(), '{"type":"x"}');
});

test('malformed raft messages are refused, not passed to the core', () => {
  for (const bad of ['not json', '{}', '{"type":"vote","from":"a","to":"b","term":-1,"lastIndex":1,"lastTerm":1,"force":false}',
    '{"type":"append","from":"a","to":"b","term":1,"prevIndex":0,"prevTerm":0,"commit":0,"entries":[{"term":1,"index":1,"type":"normal","data":[1]}]}',
    '{"type":"evil","from":"a","to":"b","term":1}']) {
    assert.throws(() => decodeMessage(Buffer.from(bad)), /malformed raft message/);
  }
});
