import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDrill } from '../../src/lab/drill/index.ts';
import type { Scenario } from '../../src/lab/scenario/index.ts';
import { assertPassed, finding, objective, shortScenario } from '../drill.ts';
import { services } from '../services.ts';

const s = await services('node-loss drill', ['postgres', 'redis']);

/** How much later than the built-in scenario the short one restores each kill's window. */
const RESTORE_LATER_SECONDS = 120;

/**
 * The built-in node-loss scenario at ×30, each restore two minutes later and its window two
 * minutes wider. A survivor notices a dead node within the presence TTL, which never goes below
 * 3 wall seconds, plus up to a presence round of 1 s: 120 scenario seconds at ×30. The scenario's
 * restore a minute after a kill would come before the survivor recorded the kill's disruptions,
 * and its window would miss them; three minutes after leaves 2 wall seconds to spare. The drill
 * then waits for the last restore's tickets (900 s compressed to 30 s) to lapse, which is most of
 * its length: at ×10 it took 143 s, at ×30 about a third of that.
 */
function shortNodeLoss(): Scenario {
  const scenario = shortScenario('node-loss', 60, 30);
  return {
    ...scenario,
    actions: scenario.actions.map((a) =>
      a.do === 'restore' && a.from.source === 'window'
        ? {
            ...a,
            at: a.at + RESTORE_LATER_SECONDS,
            from: { ...a.from, to: a.from.to + RESTORE_LATER_SECONDS },
          }
        : a,
    ),
  };
}

if (s) {
  // The drill waits for its restores to finish before it counts unsettled records, and
  // measures every figure from the run: nothing here is timed.
  test('node-loss, short: three nodes on PostgreSQL and Redis, two killed; every player back, no session lost', async () => {
    const scenario = shortNodeLoss();
    assert.ok(
      scenario.actions.every((a) => a.at <= scenario.durationSeconds),
      'the later restores still fall within the scenario',
    );
    const r = await runDrill(scenario, { env: {}, store: { pgUrl: s.pgUrl, redisUrl: s.redisUrl } });
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
