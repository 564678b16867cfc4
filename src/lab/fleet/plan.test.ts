import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifelineError } from '../../errors/index.ts';
import { curveOf, diurnalShare } from './curve.ts';
import { parseFleetPlan } from './plan.ts';
import { buildRoster, fleetOwners, fleetPlayerIds } from './roster.ts';
import { smallPlan } from './testing.ts';

const plan = (over = {}) => smallPlan(['http://127.0.0.1:1'], over);

test('a plan that is not one is refused with VALIDATION_FAILED naming the field', () => {
  const cases: [unknown, string][] = [
    [null, 'plan'],
    [{ ...plan(), players: 0 }, 'players'],
    [{ ...plan(), players: 1e9 }, 'players'],
    [{ ...plan(), nodes: [] }, 'nodes'],
    [{ ...plan(), nodes: ['ftp://x'] }, 'nodes[0]'],
    [{ ...plan(), regions: [{ region: 'na', shards: [], weight: 1 }] }, 'regions[0].shards'],
    [{ ...plan(), arrival: { curve: 'tide' } }, 'arrival.curve'],
    [{ ...plan(), arrival: { curve: 'diurnal', troughShare: 2 } }, 'arrival.troughShare'],
    [{ ...plan(), thinkSeconds: { min: 5, max: 1 } }, 'thinkSeconds.max'],
    [{ ...plan(), client: 'rude' }, 'client'],
    [{ ...plan(), credential: { kind: 'oidc' } }, 'credential.issuerControlUrl'],
    [{ ...plan(), timeScale: Number.NaN }, 'timeScale'],
    [{ ...plan(), warmUp: 'yes' }, 'warmUp'],
  ];
  for (const [input, path] of cases) {
    assert.throws(
      () => parseFleetPlan(input),
      (err: unknown) =>
        err instanceof LifelineError && err.code === 'VALIDATION_FAILED' && err.details?.path === path,
      path,
    );
  }
  assert.deepEqual(parseFleetPlan(plan()), plan());
  assert.equal(parseFleetPlan({ ...plan(), warmUp: true }).warmUp, true);
});

test('the roster: owners by share, regions by weight and shards evenly, the same for the same seed', () => {
  const p = plan({
    players: 1000,
    ownerShare: 0.3,
    nodes: ['http://a:1', 'http://b:1'],
    regions: [
      { region: 'na', shards: ['na-1', 'na-2'], weight: 3 },
      { region: 'eu', shards: ['eu-1'], weight: 1 },
    ],
  });
  const seats = buildRoster(p);
  assert.equal(fleetOwners(p), 300);
  assert.equal(seats.filter((s) => s.owner).length, 300);
  assert.deepEqual(new Set(seats.map((s) => s.id)), new Set(fleetPlayerIds(p)));
  const count = (f: (s: (typeof seats)[number]) => boolean) => seats.filter(f).length;
  assert.equal(
    count((s) => s.region === 'na'),
    750,
  );
  assert.equal(
    count((s) => s.shard === 'na-1'),
    375,
  );
  assert.equal(
    count((s) => s.shard === 'eu-1'),
    250,
  );
  assert.equal(
    count((s) => s.node === 1),
    500,
    'round-robin over the nodes',
  );
  // The first ranks (who arrive first) are a mix, not one region or all owners.
  const first = seats.slice(0, 100);
  assert.ok(first.some((s) => s.region === 'eu') && first.some((s) => s.region === 'na'));
  assert.ok(first.some((s) => s.owner) && first.some((s) => !s.owner));
  assert.deepEqual(buildRoster(p), seats, 'the same seed draws the same roster');
  assert.notDeepEqual(buildRoster({ ...p, seed: p.seed + 1 }), seats);
});

test('the curves: diurnal between trough and peak, peaking where asked; a storm brings everyone within its window', () => {
  const arrival = {
    curve: 'diurnal',
    troughShare: 0.2,
    peakShare: 0.8,
    periodSeconds: 100,
    peakAtSeconds: 30,
  } as const;
  assert.equal(diurnalShare(arrival, 30), 0.8);
  assert.ok(Math.abs(diurnalShare(arrival, 80) - 0.2) < 1e-12);
  assert.ok(Math.abs(diurnalShare(arrival, 130) - 0.8) < 1e-12);
  const diurnal = curveOf(plan({ players: 1000, arrival }));
  assert.equal(diurnal.wanted(30), 800);
  assert.equal(diurnal.wanted(80), 200);
  assert.ok(diurnal.thinkFirst);

  const storm = curveOf(plan({ players: 500, arrival: { curve: 'storm', at: 10, overSeconds: 5 } }));
  assert.equal(storm.wanted(9.999), 0);
  const mid = storm.wanted(12.5);
  assert.ok(mid > 0 && mid < 500, `half-way through the storm ${mid} have arrived`);
  assert.equal(storm.wanted(15), 500);
});

test('a ramped diurnal curve brings its players online over the ramp, then follows the curve', () => {
  const arrival = {
    curve: 'diurnal',
    troughShare: 0.5,
    peakShare: 0.5,
    periodSeconds: 100,
    peakAtSeconds: 0,
    rampSeconds: 40,
  } as const;
  const ramped = curveOf(plan({ players: 1000, arrival }));
  assert.equal(ramped.wanted(0), 0);
  assert.equal(ramped.wanted(10), 125);
  assert.equal(ramped.wanted(40), 500);
  assert.equal(ramped.wanted(90), 500);
  assert.deepEqual(parseFleetPlan({ ...plan(), arrival }).arrival, arrival);
  assert.throws(() => parseFleetPlan({ ...plan(), arrival: { ...arrival, rampSeconds: 0 } }), LifelineError);
});
