import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetSummary } from '../fleet/index.ts';
import { loadScenario, parseScenario, scenarioWithTimeScale } from '../scenario/index.ts';
import type { LabSecond } from '../stats.ts';
import { newTally } from './actions.ts';
import {
  checkObjectives,
  loadWindowSeconds,
  type Measured,
  onsets,
  peakLoad,
  recoveryBounds,
  recoveryTime,
  withinBounds,
} from './objectives.ts';

const second = (at: number, requests: number): LabSecond => ({
  at,
  requests,
  answered: requests,
  byStatus: { 200: requests },
  refused: 0,
  reset: 0,
  held: 0,
  peakInFlight: 1,
  p99Ms: 1,
});

const summary = (over: Partial<FleetSummary> = {}): FleetSummary => ({
  players: 10,
  sessionsLost: 0,
  ownersDenied: 0,
  outages: [],
  requests: {},
  firstLogins: [],
  ...over,
});

function measured(over: Partial<Measured> = {}): Measured {
  return {
    fleet: summary(),
    fleetSeconds: [],
    upstreams: [],
    tally: newTally(),
    unsettled: 0,
    wall: { from: 10_000, to: 20_000 },
    ...over,
  };
}

test('RTO: each outage belongs to the latest onset before it; the worst onset counts; one player never back fails it', () => {
  const outs = [
    { player: 'a', outAt: 61, backAt: 90, cause: 'close:4001' },
    { player: 'b', outAt: 125, backAt: 140, cause: 'close:1006' },
    { player: 'c', outAt: 5, backAt: 500, cause: 'login:NETWORK' },
  ];
  assert.equal(recoveryTime([60, 120], outs).rto, 30, 'a: 90 - 60; b: 140 - 120; c began before any onset');
  const never = recoveryTime([60], [...outs, { player: 'd', outAt: 70, backAt: null, cause: 'close:4001' }]);
  assert.equal(never.rto, null);
  assert.match(never.detail, /1 of 3 players/);
  const left = recoveryTime(
    [60],
    [...outs, { player: 'e', outAt: 70, backAt: null, cause: 'close:1006', leftAt: 160 }],
  );
  assert.equal(left.rto, 100, 'a player who left while out is not "never back", but was out until it left');
  assert.deepEqual(onsets(loadScenario('node-loss')), [120, 300], 'kills are onsets, restarts are not');
  const kicks = loadScenario('runaway-kick');
  assert.deepEqual(onsets(kicks), [60], "a kick's at, when the drill sent none");
  assert.deepEqual(
    onsets(kicks, new Map([['script', 61.25]])),
    [61.25],
    "a kick's onset is when the drill sent its first request",
  );
});

test("RTO's interval on Lifeline's side: from the last player's request back less the first kick's answer, to the drill's RTO", () => {
  const kick = { sent: 60, answered: 60.5 };
  const a = { player: 'a', outAt: 61, backAt: 90, backSentAt: 89.6, cause: 'close:4001' };
  const outs = [
    a,
    { player: 'b', outAt: 62, backAt: 181.5, backSentAt: 181.2, cause: 'close:4001' },
    { player: 'c', outAt: 20, backAt: 400, backSentAt: 399, cause: 'login:NETWORK' },
    { player: 'd', outAt: 300, backAt: 320, backSentAt: 319, cause: 'close:1006' },
  ];
  const starts = [20, 60, 300];
  const b = recoveryBounds(starts, outs, kick);
  assert.equal(b.upper, 121.5, "the drill's RTO for the onset: b back at 181.5, sent the kick at 60");
  assert.equal(recoveryTime([60], outs.slice(0, 2)).rto, b.upper, 'the upper bound is the RTO');
  assert.ok(
    Math.abs((b.lower ?? Number.NaN) - 120.7) < 1e-9,
    `b's rejoin sent at 181.2, the kick answered at 60.5: ${b.lower}`,
  );
  assert.match(b.detail, /over 2 outages$/, 'c and d belong to other onsets');
  assert.equal(withinBounds(b, 121.32), true);
  assert.equal(withinBounds(b, 120.7), true, 'both ends are inside');
  assert.equal(withinBounds(b, 121.5), true);
  assert.equal(
    withinBounds(b, 120.6),
    false,
    'a Lifeline RTO shorter than the trips allow: its last restore came too early',
  );
  assert.equal(withinBounds(b, 121.6), false, 'longer than the players were out');
  assert.equal(withinBounds({ lower: null, upper: 121.5 }, 121), null, 'no lower bound: nothing to check');

  // b left before it was back: its time out counts to the RTO up to then, not below it.
  const left = { player: 'b', outAt: 62, backAt: null, leftAt: 190, cause: 'close:4001' };
  const lb = recoveryBounds(starts, [a, left], kick);
  assert.equal(lb.upper, 130, 'out until it left');
  assert.ok(Math.abs((lb.lower ?? Number.NaN) - 29.1) < 1e-9, `only a's rejoin bounds it below: ${lb.lower}`);
  assert.match(lb.detail, /1 of them left out of the lower bound/);
  assert.equal(
    recoveryBounds(starts, [left], kick).lower,
    null,
    'nobody came back by a request: no lower bound',
  );

  const never = recoveryBounds(
    starts,
    [...outs, { player: 'e', outAt: 70, backAt: null, cause: 'close:4001' }],
    kick,
  );
  assert.deepEqual([never.lower, never.upper], [null, null], 'a player never back: no RTO, no interval');
  assert.match(never.detail, /1 of 3 players never came back/);
  assert.equal(
    recoveryBounds(starts, outs, { sent: 60, answered: null }).lower,
    null,
    'no answer to the kick',
  );
  assert.match(
    recoveryBounds([60, 61.5], outs.slice(0, 1), { sent: 61.5, answered: 62 }).detail,
    /no player went out/,
  );
});

test('the upstream load ratio is the peak rate over 10 scenario seconds inside the run over the normal capacity', () => {
  const seconds = [second(9_000, 900), second(10_000, 120), second(11_000, 300), second(20_000, 900)];
  const upstreams = [{ target: 'identity' as const, capacityPerSecond: 250, seconds }];
  const ratioOf = (timeScale: number) =>
    checkObjectives(
      scenarioWithTimeScale(loadScenario('login-storm'), timeScale),
      measured({ upstreams }),
    ).find((o) => o.name === 'maxUpstreamLoadRatio.identity');
  // At ×1 the window is 10 wall seconds: the run's ten, 420 requests, 42 a second.
  const slow = ratioOf(1);
  assert.equal(slow?.measured, 42 / 250, 'seconds before t0 (the history) and after the end are left out');
  assert.match(slow?.detail ?? '', /peak 42 requests a second over 10 wall-clock seconds/);
  assert.equal(slow?.passed, true);
  // At ×10 it is one wall second: the busiest, 300.
  const fast = ratioOf(10);
  assert.equal(fast?.measured, 300 / 250);
  assert.match(fast?.detail ?? '', /peak 300 requests in a wall-clock second/);
  assert.equal(fast?.passed, false);
  const missing = checkObjectives(loadScenario('login-storm'), measured()).find(
    (o) => o.name === 'maxUpstreamLoadRatio.identity',
  );
  assert.equal(missing?.measured, null, 'no upstream measured: null, and failed');
  assert.equal(missing?.passed, false);
});

test('the load window slides: a burst inside the run is seen whole, a late second made up is diluted, not hidden', () => {
  const wall = { from: 0, to: 30_000 };
  const up = (requests: (i: number) => number) => ({
    target: 'identity' as const,
    capacityPerSecond: 250,
    seconds: Array.from({ length: 30 }, (_, i) => second(i * 1000, requests(i))),
  });
  // Three calls a second late: 247 then 253. Over ten seconds the 253 counts as 250.3.
  assert.equal(
    peakLoad(
      up((i) => (i === 12 ? 253 : i === 11 ? 247 : 250)),
      wall,
      1,
    ),
    253,
  );
  assert.equal(
    peakLoad(
      up((i) => (i === 12 ? 253 : i === 11 ? 247 : 250)),
      wall,
      10,
    ),
    250.3,
  );
  // Five seconds at 750 and five at 100 in the busiest window: 425 a second.
  assert.equal(
    peakLoad(
      up((i) => (i >= 14 && i < 19 ? 750 : 100)),
      wall,
      10,
    ),
    425,
  );
  assert.equal(loadWindowSeconds(1), 10);
  assert.equal(loadWindowSeconds(40), 1);
});

test('kicked before the trip, lost writes, unsettled records and time to detect are measured, or null and failed', () => {
  const s = parseScenario(
    JSON.stringify({
      ...loadScenario('runaway-kick'),
      objectives: {
        maxKickedBeforeTrip: 50,
        rpo: { maxUnsettled: 0, maxLostWrites: 0 },
        maxTimeToDetectSeconds: 60,
      },
    }),
    'test',
  );
  const tally = { ...newTally(), kickedBeforeTrip: 50, kicked: 50, trippedAt: 70 };
  const fleetSeconds = [{ t: 130, refreshes: { ok: 3, TOKEN_INVALID: 2 } }] as never;
  const results = checkObjectives(s, measured({ tally, fleetSeconds, unsettled: null }));
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  assert.equal(by.maxKickedBeforeTrip?.measured, 50);
  assert.equal(by.maxKickedBeforeTrip?.passed, true);
  assert.equal(by['rpo.maxLostWrites']?.measured, 2);
  assert.equal(by['rpo.maxLostWrites']?.passed, false);
  assert.equal(by['rpo.maxUnsettled']?.passed, false, 'records that could not be read fail the objective');
  assert.equal(by.maxTimeToDetectSeconds?.measured, null);
  assert.equal(by.maxTimeToDetectSeconds?.passed, false);
  assert.match(by.maxTimeToDetectSeconds?.detail ?? '', /signals were not read/);
  const untripped = checkObjectives(
    s,
    measured({ tally: { ...newTally(), kicked: 400, kickedBeforeTrip: 400 } }),
  );
  assert.equal(untripped.find((r) => r.name === 'maxKickedBeforeTrip')?.passed, false);
});

test("a login storm's all-in ratio and first-ETA error come from the fleet's first logins, against identity's capacity", () => {
  const s = { ...loadScenario('login-storm'), timeScale: 1 };
  const identity = { target: 'identity' as const, capacityPerSecond: 250, seconds: [] };
  // 500 players (N/C = 2 s), every one quoted exactly; the last in 2.498 s after the first asked.
  const firstLogins = Array.from({ length: 500 }, (_, i) => ({
    startedAt: 5,
    etaSeconds: 1 + i / 500,
    quotedAt: 5.5,
    inAt: 5.5 + 1 + i / 500,
  }));
  const by = (m: Measured) => Object.fromEntries(checkObjectives(s, m).map((r) => [r.name, r]));
  const ok = by(measured({ upstreams: [identity], fleet: summary({ firstLogins }) }));
  assert.ok(Math.abs((ok.maxAllInRatio?.measured ?? 0) - 2.498 / 2) < 1e-9);
  assert.equal(ok.maxAllInRatio?.passed, false, '1.249 × N/C is past 1.15');
  assert.ok((ok.maxFirstEtaErrorP90?.measured ?? 1) < 1e-9, 'every ETA was exact');
  assert.equal(ok.maxFirstEtaErrorP90?.passed, true);
  // One player never in: the ratio is not measured, and fails; with no capacity, too.
  const stuck = [...firstLogins, { startedAt: 5, etaSeconds: null, quotedAt: null, inAt: null }];
  const never = by(measured({ upstreams: [identity], fleet: summary({ firstLogins: stuck }) }));
  assert.equal(never.maxAllInRatio?.measured, null);
  assert.equal(never.maxAllInRatio?.passed, false);
  assert.match(never.maxAllInRatio?.detail ?? '', /1 of 501 players never got in/);
  assert.equal(by(measured({ fleet: summary({ firstLogins }) })).maxAllInRatio?.measured, null);
});
