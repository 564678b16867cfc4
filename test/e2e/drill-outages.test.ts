import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPassed, finding, objective, peakOnline, shortDrill } from '../drill.ts';

test('entitlement-outage, short: owners pass on their last known good licence, no session lost', async () => {
  const r = await shortDrill('entitlement-outage');
  assertPassed(r);
  assert.ok(finding(r, 'ownersWithHistory').value > 0);
  assert.ok(
    (objective(r, 'maxUpstreamLoadRatio.entitlements').measured ?? 0) > 0,
    'entitlements load measured',
  );
  assert.ok(peakOnline(r) > 0);
  assert.ok(
    r.series.some((s) => s.upstreams.entitlements?.capacityPerSecond === 0),
    'the series shows the service offline',
  );
});

test('dns-debacle, short: the delegation removed through the lab DNS, no session lost, no owner denied, detected by the node', async (t) => {
  // 300 players, not the short drills' 60: a removed delegation fails only the logins that arrive
  // after the cached answer lapses, and 60 players (36 online at the onset) bring the first of
  // those a minute or more after it (measured: detected after 90 s). The node's detection step is
  // 10 scenario seconds at ×40 as at ×5 (0.25 wall s), so the two failing steps a signal needs
  // (detection.failures.minSteps) fit in the 60-s objective.
  // ×20, not the short drills' ×40: DNS TTLs are whole seconds, so at ×40 the scenario's 25-s TTL
  // becomes 1 wall s = 40 scenario s, and with both cores busy the node detected the fault 60.48 s
  // after the onset (2026-12-02), against the 60-s objective. At ×20 the TTL is 20 scenario s; ×25
  // (the TTL its own 25 s) still missed once so, at 64.2 s. About 17 wall s more than at ×40.
  const r = await shortDrill('dns-debacle', { players: 300, timeScale: 20 });
  assertPassed(r);
  const removed = r.marks.find((m) => m.label.startsWith('delegation'))?.playedAt;
  const restored = r.marks.find((m) => m.label.startsWith('recover delegation'))?.playedAt;
  assert.ok(removed !== undefined && restored !== undefined, 'the delegation was removed and put back');
  const refreshes = (from: number, to: number) =>
    r.series
      .filter((s) => s.t >= from && s.t < to)
      .reduce((n, s) => n + Object.values(s.refreshes ?? {}).reduce((a, b) => a + b, 0), 0);
  assert.ok(refreshes(0, r.durationSeconds) > 0, 'players refreshed during the drill');
  // The identity restart falls inside the delegation's removal: identity is unreachable exactly
  // then, from the second the drill removed it to the one it put it back (on a busy machine a
  // step plays after its scheduled second, and the fault is in force from when it played).
  assert.equal(finding(r, 'refreshesWhileIdentityDown').value, refreshes(removed, restored));
  assert.equal(
    r.findings.find((f) => f.name === 'dnsFaultsNotApplied'),
    undefined,
    'the DNS fault is applied',
  );
  // Time to detect is read from the node's signals: the first started after the onset, from the
  // login-failures detector, within the objective; and nothing was raised before the fault.
  const detect = objective(r, 'maxTimeToDetectSeconds');
  t.diagnostic(`time to detect: ${detect.detail}`);
  assert.ok(detect.measured !== null, detect.detail);
  assert.ok(detect.measured <= detect.target, detect.detail);
  assert.match(detect.detail, /login-failures/);
  assert.equal(
    r.findings.find((f) => f.name === 'signalsBeforeFault'),
    undefined,
    'no signal before the fault',
  );
  assert.ok(peakOnline(r) > 0);
});
