import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityUpstream } from '../identity.ts';
import type { Fault } from '../scenario/index.ts';
import { FaultSwitch } from './faults.ts';
import type { DrillUpstream } from './upstreams.ts';

async function faultsOf(up: DrillUpstream): Promise<unknown[]> {
  const res = await fetch(`${up.controlUrl}/_lab/faults`);
  return ((await res.json()) as { faults: unknown[] }).faults;
}

test('a scenario fault overlays the standing ones by kind, and its recovery puts the standing one back', async (t) => {
  const upstream = await identityUpstream();
  t.after(() => upstream.close());
  const standing = [
    { kind: 'capacity', perSecond: 250 },
    { kind: 'latency', ms: 30 },
  ];
  const up: DrillUpstream = {
    target: 'identity',
    upstream,
    controlUrl: upstream.controlUrl,
    serviceUrl: upstream.verifyUrl,
    capacityPerSecond: 250,
    standing,
  };
  const faults = new FaultSwitch(new Map([['identity', up]]));
  const overload: Fault = { kind: 'capacity', target: 'identity', at: 10, until: 20, perSecond: 60 };
  const errors: Fault = { kind: 'error', target: 'identity', at: 15, rate: 0.2, status: 503 };
  await faults.set(overload, true, 10);
  await faults.set(errors, true, 15);
  const during = await faultsOf(up);
  assert.equal(during.length, 3);
  assert.ok(during.some((f) => JSON.stringify(f).includes('"perSecond":60')));
  assert.ok(
    !during.some((f) => JSON.stringify(f).includes('"perSecond":250')),
    'one capacity fault at a time',
  );
  await faults.set(overload, false, 20);
  const after = await faultsOf(up);
  assert.ok(
    after.some((f) => JSON.stringify(f).includes('"perSecond":250')),
    'the normal capacity is back',
  );
  assert.ok(
    after.some((f) => JSON.stringify(f).includes('"kind":"error"')),
    'the error fault is still in force',
  );
  assert.deepEqual(
    faults.applied.map((a) => [a.fault.kind, a.from, a.to]),
    [
      ['capacity', 10, 20],
      ['error', 15, null],
    ],
  );
});

test('a dns fault is reported as not applied until the DNS lab is wired, and nothing else changes', async () => {
  const faults = new FaultSwitch(new Map());
  const dns: Fault = { kind: 'dns', target: 'identity', at: 0, mode: 'delegation-removed' };
  const note = await faults.set(dns, true, 0);
  assert.match(note ?? '', /dns faults not available/);
  assert.equal(faults.notApplied, 1);
  assert.deepEqual(faults.applied, []);
  const missing: Fault = { kind: 'down', target: 'backend', at: 0 };
  assert.match((await faults.set(missing, true, 0)) ?? '', /no backend upstream/);
});
