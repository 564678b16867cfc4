import assert from 'node:assert/strict';
import { test } from 'node:test';
import { objective, shortDrill } from '../drill.ts';
import { services } from '../services.ts';

const s = await services('node-loss drill', ['postgres', 'redis']);

if (s) {
  // Known failure, kept visible (docs/DRILLS.md, "Known results"): with the refresh reuse grace
  // no session is lost any more, but after the second kill a few players are not back by the end
  // and a few node-loss records stay ticketed.
  test('node-loss, short: three nodes on PostgreSQL and Redis, two killed; every player back, no session lost', {
    todo: 'after a node kill, a few players never back and a few node-loss records unsettled',
  }, async () => {
    const r = await shortDrill('node-loss', { store: { pgUrl: s.pgUrl, redisUrl: s.redisUrl } });
    assert.ok(
      r.marks.some((m) => m.label === 'kill node-2') && r.marks.some((m) => m.label === 'restart node-2'),
    );
    assert.equal(objective(r, 'rpo.maxUnsettled').passed, true);
    assert.equal(objective(r, 'maxSessionsLost').measured, 0);
    assert.equal(objective(r, 'rtoSeconds').passed, true);
    assert.equal(r.passed, true);
  });
}
