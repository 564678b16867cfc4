import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../config/index.ts';
import { isLifelineError } from '../errors/index.ts';
import { type ClassificationThresholds, classify, thresholdProblem } from './classify.ts';

const t: ClassificationThresholds = {
  P0: { players: 10_000, payingPlayers: 1_000, regions: 3 },
  P1: { players: 1_000, payingPlayers: 100, regions: 2 },
  P2: { players: 1, payingPlayers: 1, regions: 1 },
};

test('any one figure reaching a level is enough, the highest level wins, and no player affected is a P3', () => {
  assert.equal(classify({ players: 0, payingPlayers: 0, regions: 0 }, t).severity, 'P3');
  assert.equal(classify({ players: 1, payingPlayers: 0, regions: 1 }, t).severity, 'P2');
  assert.equal(classify({ players: 999, payingPlayers: 100, regions: 1 }, t).severity, 'P1');
  assert.equal(classify({ players: 50, payingPlayers: 5, regions: 3 }, t).severity, 'P0');
  const r = classify({ players: 10_000, payingPlayers: 0, regions: 1 }, t);
  assert.deepEqual(r, { severity: 'P0', reason: 'players 10000 >= 10000 (P0)' });
});

test('more impact never lowers the severity', () => {
  const order = ['P0', 'P1', 'P2', 'P3'];
  const figures = fc.record({
    players: fc.nat(20_000),
    payingPlayers: fc.nat(2_000),
    regions: fc.nat(5),
  });
  fc.assert(
    fc.property(figures, figures, (a, b) => {
      const more = {
        players: Math.max(a.players, b.players),
        payingPlayers: Math.max(a.payingPlayers, b.payingPlayers),
        regions: Math.max(a.regions, b.regions),
      };
      return order.indexOf(classify(more, t).severity) <= order.indexOf(classify(a, t).severity);
    }),
  );
});

test('thresholds out of order are refused, in the pure check and at config load', () => {
  assert.equal(thresholdProblem(t), null);
  assert.match(
    thresholdProblem({ ...t, P1: { ...t.P1, regions: 5 } }) ?? '',
    /regions must satisfy P0 >= P1 >= P2/,
  );
  assert.throws(
    () => loadConfig({ env: {}, cwd: '/nonexistent', overrides: { incidents: { p1: { players: 20_000 } } } }),
    (err: unknown) => isLifelineError(err, 'CONFIG_INVALID') && err.details?.key === 'incidents.p0.players',
  );
  assert.throws(
    () => loadConfig({ env: { LIFELINE_INCIDENTS__P2__REGIONS: '0' }, cwd: '/nonexistent' }),
    (err: unknown) => isLifelineError(err, 'CONFIG_INVALID') && err.details?.key === 'incidents.p2.regions',
  );
});
