import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainAlert, readinessCheck } from './readiness.ts';

const failingProbe = { name: 'auth.example', kind: 'hostname', ok: false, error: 'ENOTFOUND' };

test('only draining or an unreachable store or live state makes a node unready', async () => {
  let draining = false;
  let liveDown = false;
  const check = readinessCheck({
    draining: () => draining,
    pings: {
      store: async () => {},
      live: async () => {
        if (liveDown) throw new Error('connection refused');
      },
    },
    // Static stability: a failing upstream, a degraded identity and an audit alert are reported only.
    probes: () => [failingProbe],
    upstreams: () => ({ identity: 'degraded: queueing at the minimum limit' }),
    alerts: () => ({ 'audit-chain': chainAlert({ ok: false, kind: 'regressed' }) }),
  });
  assert.deepEqual(await check(), {
    ready: true,
    checks: { draining: 'no', store: 'ok', live: 'ok' },
    dependencies: {
      'hostname:auth.example': 'failing: ENOTFOUND',
      identity: 'degraded: queueing at the minimum limit',
    },
    alerts: { 'audit-chain': 'regressed' },
  });
  liveDown = true;
  const down = await check();
  assert.equal(down.ready, false);
  assert.equal(down.checks.live, 'unreachable: connection refused');
  liveDown = false;
  draining = true;
  const drained = await check();
  assert.equal(drained.ready, false);
  assert.equal(drained.checks.draining, 'yes');
});
