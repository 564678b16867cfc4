import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durations, mayMove, moved, seedPhases, transitions } from './lifecycle.ts';
import { type Incident, incidentStatuses } from './records.ts';

function incident(): Incident {
  return {
    id: 'i1',
    title: 't',
    severity: 'P1',
    severityReason: 'r',
    status: 'investigating',
    declaredBy: 'alice',
    causeKey: null,
    startedAt: 1_000,
    detectedAt: 61_000,
    declaredAt: 70_000,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    updatedAt: 70_000,
    phases: seedPhases(),
    signals: [],
    version: 1,
    roles: [],
    notes: [],
  };
}

test('the status machine: running statuses move freely, resolved reopens or is reviewed, closed is final', () => {
  assert.deepEqual(Object.keys(transitions).sort(), [...incidentStatuses].sort());
  assert.ok(mayMove('investigating', 'identified'));
  assert.ok(mayMove('monitoring', 'investigating'));
  assert.ok(mayMove('resolved', 'investigating'), 'a recurrence reopens');
  assert.ok(!mayMove('investigating', 'closed'), 'no skipping the review');
  assert.ok(!mayMove('investigating', 'post-incident'));
  assert.ok(!mayMove('post-incident', 'investigating'));
  for (const to of incidentStatuses) assert.ok(!mayMove('closed', to), `closed -> ${to}`);
  for (const s of incidentStatuses) assert.ok(!mayMove(s, s), `${s} -> itself is no move`);
});

test('milestones: first mitigation is kept, resolution closes the window, reopening opens it', () => {
  let i = moved(incident(), 'monitoring', 100_000);
  assert.equal(i.mitigatedAt, 100_000);
  i = moved(i, 'resolved', 200_000);
  assert.equal(i.resolvedAt, 200_000);
  assert.equal(i.mitigatedAt, 100_000, 'resolving after monitoring keeps when it was mitigated');
  i = moved(i, 'investigating', 250_000);
  assert.equal(i.resolvedAt, null);
  i = moved(moved(moved(i, 'resolved', 300_000), 'post-incident', 400_000), 'closed', 500_000);
  assert.equal(i.closedAt, 500_000);
  assert.deepEqual(durations(i), {
    timeToDetectMs: 60_000,
    timeToMitigateMs: 99_000,
    timeToResolveMs: 299_000,
  });
  assert.equal(moved(incident(), 'resolved', 9_000).mitigatedAt, 9_000, 'resolving outright mitigates too');
});

test("the seed's phases keep its time boxes, in order, each with a checklist", () => {
  const phases = seedPhases();
  assert.deepEqual(
    phases.map((p) => [p.key, p.startMinute, p.endMinute]),
    [
      ['detection', 0, 5],
      ['containment', 5, 30],
      ['investigation', 30, 240],
      ['resolution', 60, 480],
      ['recovery', 480, null],
    ],
  );
  for (const p of phases) {
    assert.ok(p.items.length > 0);
    assert.equal(new Set(p.items.map((x) => x.key)).size, p.items.length, `${p.key}: item keys are unique`);
    assert.ok(p.items.every((x) => !x.done && x.doneBy === null));
  }
});
