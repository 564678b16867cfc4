import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPassed, finding, objective, shortDrill } from '../drill.ts';
import { services } from '../services.ts';

const s = await services('node-loss drill', ['postgres', 'redis']);

if (s) {
  // At ×10, not the short drills' ×40: a survivor notices a dead node within the presence TTL,
  // which never goes below 3 wall seconds (120 scenario seconds at ×40, past the scenario's
  // restore of the kill's window). The drill waits for its restores to finish before it counts
  // unsettled records, and measures every figure from the run: nothing here is timed.
  test('node-loss, short: three nodes on PostgreSQL and Redis, two killed; every player back, no session lost', async () => {
    const r = await shortDrill('node-loss', {
      timeScale: 10,
      store: { pgUrl: s.pgUrl, redisUrl: s.redisUrl },
    });
    for (const label of ['kill node-2', 'restart node-2', 'kill node-3'])
      assert.ok(
        r.marks.some((m) => m.label === label),
        `${label}: ${JSON.stringify(r.marks)}`,
      );
    // Every player a kill put out came back (RTO is null if one never did), within the target.
    const rto = objective(r, 'rtoSeconds');
    assert.notEqual(rto.measured, null, rto.detail);
    assert.equal(rto.passed, true, rto.detail);
    assert.match(finding(r, 'outages').detail, /; 0 still out at the end,/);
    assert.ok(finding(r, 'outages').value > 0, 'the kills did put players out');
    assert.equal(objective(r, 'maxSessionsLost').measured, 0);
    assert.equal(objective(r, 'rpo.maxUnsettled').measured, 0);
    assert.equal(objective(r, 'rpo.maxLostWrites').measured, 0);
    assertPassed(r);
  });
}
