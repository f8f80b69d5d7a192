/** The public gRPC API through a real gRPC client: collections, points, search, errors with codes. */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadPointsProto } from '../../src/transport/grpc.js';
import type { CollectionsClient } from '../../src/transport/generated/hektor/api/v1/Collections.js';
import type { PointsClient } from '../../src/transport/generated/hektor/api/v1/Points.js';
import { startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const dir = tempDir();
let node: HektorNode;
let collections: CollectionsClient;
let points: PointsClient;

function call<Req, Res>(fn: (req: Req, cb: grpc.requestCallback<Res>) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (error, response) => (error !== null ? reject(error) : response === undefined ? reject(new Error('empty')) : resolve(response)));
  });
}

before(async () => {
  ({ node } = await startNode(dir.path, { grpc_api_port: 0 }));
  const proto = loadPointsProto().hektor.api.v1;
  const address = `127.0.0.1:${node.grpcApiPort!}`;
  collections = new proto.Collections(address, grpc.credentials.createInsecure());
  points = new proto.Points(address, grpc.credentials.createInsecure());
});
after(async () => {
  collections.close();
  points.close();
  await node.stop();
  dir.remove();
});

test('public gRPC API: create, upsert, get, search, scroll, count, delete', async () => {
  const created = await call(collections.Create.bind(collections), { name: 'g', size: 3, distance: 'Euclid', shard_number: 2 });
  assert.equal(created.created, true);
  assert.deepEqual((await call(collections.List.bind(collections), {})).names, ['g']);
  await call(points.Upsert.bind(points), {
    collection: 'g',
    points: [
      { id: { num: 1 }, vector: [0, 0, 0], payload_json: '{"tag":"a"}' },
      { id: { num: 2 }, vector: [1, 1, 1], payload_json: '{"tag":"b"}' },
      { id: { uuid: '550e8400-e29b-41d4-a716-446655440000' }, vector: [5, 5, 5], payload_json: '' },
    ],
  });
  const info = await call(collections.Get.bind(collections), { name: 'g' });
  assert.equal(info.points_count, 3);
  const got = await call(points.Get.bind(points), { collection: 'g', ids: [{ num: 2 }], with_payload: true, with_vector: true });
  assert.equal(got.points[0]?.payload_json, '{"tag":"b"}');
  assert.deepEqual(got.points[0].vector, [1, 1, 1]);
  const hits = await call(points.Search.bind(points), { collection: 'g', vector: [0.9, 0.9, 0.9], limit: 2, with_payload: true });
  assert.deepEqual(hits.points.map((h) => h.id?.num), [2, 1]);
  assert.ok(Math.abs(hits.points[0]!.score - Math.sqrt(0.03)) < 1e-4);
  const filtered = await call(points.Search.bind(points), { collection: 'g', vector: [0, 0, 0], limit: 5, filter_json: '{"must":[{"key":"tag","match":{"value":"b"}}]}' });
  assert.deepEqual(filtered.points.map((h) => h.id?.num), [2]);
  const page = await call(points.Scroll.bind(points), { collection: 'g', limit: 2 });
  assert.deepEqual(page.points.map((p) => p.id?.num), [1, 2]);
  assert.equal(page.next_page_offset?.uuid, '550e8400-e29b-41d4-a716-446655440000');
  assert.equal((await call(points.Count.bind(points), { collection: 'g', filter_json: '' })).count, 3);
  await call(points.Delete.bind(points), { collection: 'g', ids: [{ num: 1 }] });
  assert.equal((await call(points.Count.bind(points), { collection: 'g', filter_json: '' })).count, 2);
  assert.equal((await call(collections.Delete.bind(collections), { name: 'g' })).deleted, true);
});

test('public gRPC API: bad input is a gRPC status carrying the stable code', async () => {
  await call(collections.Create.bind(collections), { name: 'h', size: 2, distance: 'Dot' });
  await assert.rejects(call(points.Upsert.bind(points), { collection: 'h', points: [{ id: { num: 1 }, vector: [1, 2, 3], payload_json: '' }] }), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /^invalid_vector: /);
    return true;
  });
  await assert.rejects(call(points.Count.bind(points), { collection: 'missing', filter_json: '' }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && e.details.startsWith('collection_not_found'));
  await assert.rejects(call(collections.Create.bind(collections), { name: 'h', size: 2, distance: 'Dot' }), (e: grpc.ServiceError) => e.code === grpc.status.ALREADY_EXISTS);
  await assert.rejects(call(points.Search.bind(points), { collection: 'h', vector: [1, 2], limit: 1, filter_json: '{"must":[{"key":1}]}' }), (e: grpc.ServiceError) => e.details.startsWith('invalid_filter'));
});
