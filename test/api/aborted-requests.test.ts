// A request whose client goes away before the answer (here: the headers and part of a body, then
// the connection closed) no longer counts as in flight. Counted forever, such requests would make
// every later search look concurrent and, past LIMITS.httpInFlightMax of them, get every request
// refused with too_many_requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIMITS } from '../../src/base/limits.js';
import { http, startNode, tempDir } from '../helpers/node.js';

/** Opens a connection, sends a search's headers and the first bytes of its body, and waits. */
function partialRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST /collections/c/points/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"vec');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

test('requests abandoned by their clients stop counting as in flight', async () => {
  const dir = tempDir();
  const { node, url } = await startNode(dir.path);
  try {
    assert.equal((await http(url, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } })).status, 200);
    const port = Number(new URL(url).port);
    const abandoned = LIMITS.httpInFlightMax + 16;
    for (let sent = 0; sent < abandoned; ) {
      const batch = await Promise.all(Array.from({ length: Math.min(128, abandoned - sent) }, () => partialRequest(port)));
      // Long enough for the node to read the headers (which is when a request starts counting).
      await sleep(100);
      for (const socket of batch) socket.destroy();
      sent += batch.length;
    }
    await sleep(200);
    const ready = await http(url, 'GET', '/readyz');
    assert.equal(ready.status, 200, `after ${abandoned} abandoned requests: ${JSON.stringify(ready.json)}`);
    const search = await http(url, 'POST', '/collections/c/points/search', { vector: [1, 0], limit: 1 });
    assert.equal(search.status, 200, JSON.stringify(search.json));
  } finally {
    await node.stop();
    dir.remove();
  }
});
