import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Upstream } from './upstream.ts';

const call = async (url: string, method: string, body?: string) => {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { body }) });
  return { status: res.status, body: (await res.json()) as any };
};

test('the control API switches faults and reports measured stats; bad input is refused with a code and changes nothing', async (t) => {
  const up = await Upstream.start({ name: 'ctl', handler: () => ({ status: 200, body: {} }) });
  t.after(() => up.close());
  const faults = `${up.controlUrl}/_lab/faults`;

  const put = await call(
    faults,
    'PUT',
    JSON.stringify({ faults: [{ kind: 'error', rate: 1, status: 500 }] }),
  );
  assert.equal(put.status, 200);
  assert.deepEqual(put.body.faults, [{ kind: 'error', rate: 1, status: 500 }]);
  assert.equal((await fetch(up.url)).status, 500);

  const bad = await call(faults, 'PUT', JSON.stringify({ faults: [{ kind: 'error', rate: 2 }] }));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'LAB_FAULT_INVALID');
  assert.equal(bad.body.error.path, 'faults[0].rate');
  assert.equal((await call(faults, 'PUT', '{"faults":')).body.error.code, 'MALFORMED_JSON');
  assert.equal((await call(faults, 'POST', '{"kind":"nap"}')).body.error.code, 'LAB_FAULT_INVALID');
  assert.deepEqual(
    (await call(faults, 'GET')).body.faults,
    [{ kind: 'error', rate: 1, status: 500 }],
    'unchanged',
  );

  const added = await call(faults, 'POST', JSON.stringify({ kind: 'rate-limited', retryAfterSeconds: 3 }));
  assert.equal(added.body.faults.length, 2);
  assert.equal((await fetch(up.url)).status, 429);

  // down stops the upstream, never its control API: recover still gets through.
  await call(faults, 'POST', JSON.stringify({ kind: 'down' }));
  await assert.rejects(fetch(up.url));
  assert.deepEqual((await call(faults, 'DELETE')).body, { faults: [] });
  assert.equal((await fetch(up.url)).status, 200);

  const stats = (await call(`${up.controlUrl}/_lab/stats`, 'GET')).body;
  assert.equal(stats.requests, 3);
  assert.deepEqual(stats.byStatus, { 200: 1, 429: 1, 500: 1 });
  assert.equal(stats.inFlight, 0);
  assert.equal(
    stats.seconds.reduce((n: number, s: { requests: number }) => n + s.requests, 0),
    3,
  );
  assert.equal((await call(`${up.controlUrl}/_lab/nothing`, 'GET')).body.error.code, 'NOT_FOUND');
});
