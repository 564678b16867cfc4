import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadScenario } from '../scenario/index.ts';
import { drillClock } from './clock.ts';
import { scenarioTtl, wallSeconds } from './dns.ts';
import { incidentOnsets, type SeenSignal, signalsBeforeFault, timeToDetect } from './signals.ts';

const signal = (startedAt: number, detector = 'login-failures'): SeenSignal => ({
  id: `${detector}-${startedAt}`,
  source: 'detector',
  detector,
  severity: 'P1',
  title: '',
  startedAt,
  onsetAt: startedAt,
});

test("dns-debacle's faults overlap from the delegation's removal on: one incident, at its onset", () => {
  const s = loadScenario('dns-debacle');
  const delegation = s.faults.find((f) => f.kind === 'dns');
  assert.deepEqual(incidentOnsets(s), [delegation?.at]);
});

test('time to detect: the first signal at or after each onset, in scenario seconds; none is null', () => {
  const s = loadScenario('dns-debacle');
  const [onset = 0] = incidentOnsets(s);
  const clock = drillClock(5, 1_000_000);
  const before = signal(clock.wallAt(onset) - 1);
  const after = signal(clock.wallAt(onset + 30), 'later');
  const d = timeToDetect(s, [after, before, signal(clock.wallAt(onset + 80))], clock);
  assert.equal(d.seconds, 30, 'a signal from before the onset is not this fault detected');
  assert.match(d.detail, /later .* after 30\.0 scenario s = 6\.0 wall s/);
  const none = timeToDetect(s, [before], clock);
  assert.equal(none.seconds, null);
  assert.match(none.detail, /no signal started after it by the end/);
});

test('a signal open at the onset, raised before the fault, does not count as detecting it and is named; one resolved before it is not', () => {
  const s = loadScenario('dns-debacle');
  const [onset = 0] = incidentOnsets(s);
  const clock = drillClock(5, 1_000_000);
  const early = { ...signal(clock.wallAt(onset - 2)), severity: 'P2', resolvedAt: null };
  const open = timeToDetect(s, [early], clock);
  assert.equal(open.seconds, null, 'the fault was never announced: no fresh signal');
  assert.match(
    open.detail,
    /already open: login-failures \(P2\) open since 118\.0 s, raised before the fault/,
  );
  assert.deepEqual(signalsBeforeFault(s, [early, signal(clock.wallAt(onset + 5))], clock), [early]);
  const over = { ...early, resolvedAt: clock.wallAt(onset - 1) };
  assert.doesNotMatch(timeToDetect(s, [over], clock).detail, /already open/);
});

test("the lab DNS's TTL is the scenario's cache TTL on the wall clock", () => {
  const s = loadScenario('dns-debacle');
  const f = s.faults.find((x) => x.kind === 'dns');
  assert.equal(scenarioTtl(s), f?.kind === 'dns' ? f.cacheTtlSeconds : undefined);
  assert.equal(wallSeconds(25, 5), 5);
  assert.equal(wallSeconds(25, 50, 1), 1);
});
