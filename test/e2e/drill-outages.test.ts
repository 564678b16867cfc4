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

test('dns-debacle, short: no session lost and no owner denied; the refreshes a gateway would have sent to identity are counted', async () => {
  const r = await shortDrill('dns-debacle');
  assertPassed(r);
  const down = r.marks.find((m) => m.label.startsWith('identity-restart'));
  assert.ok(down?.until !== undefined);
  const refreshes = (from: number, to: number) =>
    r.series
      .filter((s) => s.t >= from && s.t < to)
      .reduce((n, s) => n + Object.values(s.refreshes ?? {}).reduce((a, b) => a + b, 0), 0);
  assert.ok(refreshes(0, r.durationSeconds) > 0, 'players refreshed during the drill');
  // Whether any falls in identity's 15-s restart depends on the token's phase; the count must be exactly those.
  assert.equal(finding(r, 'refreshesWhileIdentityDown').value, refreshes(down.t, down.until as number));
  assert.equal(
    finding(r, 'dnsFaultsNotApplied').value,
    1,
    'the DNS fault is said to be skipped, not silently dropped',
  );
  assert.ok(r.marks.some((m) => m.label.includes('dns faults not available')));
  assert.ok(peakOnline(r) > 0);
});
