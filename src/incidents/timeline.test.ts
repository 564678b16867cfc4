import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../audit/records.ts';
import { seedPhases } from './lifecycle.ts';
import type { Incident } from './records.ts';
import { buildTimeline, linksOf } from './timeline.ts';

let seq = 0;
function entry(
  at: number,
  action: string,
  details: Record<string, unknown> = {},
  actor = 'alice',
): AuditEntry {
  seq += 1;
  return { seq, at, actor, action, target: 'x', details, result: 'ok', prevHash: '', hash: '' };
}

const base: Incident = {
  id: 'i1',
  title: 't',
  severity: 'P1',
  severityReason: 'r',
  status: 'investigating',
  declaredBy: 'auto:breaker',
  causeKey: 'breaker:kick@5',
  startedAt: 0,
  detectedAt: 5,
  declaredAt: 6,
  mitigatedAt: null,
  resolvedAt: null,
  closedAt: null,
  updatedAt: 6,
  phases: seedPhases(),
  signals: [{ id: 's1', title: 'logins failing', severity: 'P1', detector: 'login-failures', at: 3 }],
  version: 1,
  roles: [],
  notes: [
    {
      id: 'n1',
      incidentId: 'i1',
      author: 'bob',
      text: 'script found',
      writtenAt: 40,
      at: 40,
      corrections: [{ at: 4, by: 'bob', reason: 'it was before the trip', correctedAt: 41 }],
    },
  ],
};

test('audit entries, signals and notes merge into one ordered list, each naming its record', () => {
  const audit = [
    entry(1, 'command.request', { count: 1, reason: 'cleanup' }, 'ci-bot'),
    entry(1, 'command.wave', { wave: 1, sessions: 1, commandId: 'c1' }, 'ci-bot'),
    entry(5, 'breaker.trip', { reason: '50 kicks in 60s' }, 'ci-bot'),
    entry(6, 'incident.declare', {}, 'auto:breaker'),
    entry(20, 'restore.start', { restoreId: 'r1', restorable: 50 }),
    entry(25, 'restore.pause', { restoreId: 'r1', reason: 'threshold' }, 'system'),
    entry(30, 'restore.resume', { restoreId: 'r1' }),
    entry(40, 'incident.note', { noteId: 'n1' }, 'bob'),
    entry(45, 'restore.done', { restoreId: 'r1' }, 'system'),
  ];
  const items = buildTimeline(base, audit);
  assert.deepEqual(
    items.map((i) => `${i.at}:${i.kind}`),
    [
      '1:command',
      '1:wave',
      '3:signal',
      '4:note',
      '5:breaker',
      '6:incident',
      '20:restore',
      '25:restore-pause',
      '30:restore-resume',
      '45:restore',
    ],
    'ordered by time; a note at its corrected time and only once; equal times keep the audit order',
  );
  assert.deepEqual(items[0]?.ref, { type: 'audit', id: String(audit[0]?.seq) });
  assert.deepEqual(items[2]?.ref, { type: 'signal', id: 's1' });
  assert.deepEqual(items[3]?.ref, { type: 'note', id: 'n1' });
  assert.equal(items[4]?.summary, 'kick breaker tripped: 50 kicks in 60s');
  assert.match(items[3]?.summary ?? '', /script found \(time corrected from /);
  assert.equal(items[0]?.actor, 'ci-bot');
});

test('the links are the commands, restores and flags the window names, each once', () => {
  const audit = [
    entry(1, 'command.request', { commandId: 'c1' }),
    entry(2, 'command.done', { commandId: 'c1' }),
    entry(3, 'restore.start', { restoreId: 'r1' }),
    { ...entry(4, 'flag.set', { from: true, to: false }), target: 'flag:kicks.enabled' },
    entry(5, 'player.ban', { banId: 'b1' }),
  ];
  assert.deepEqual(linksOf(audit), { commands: ['c1'], restores: ['r1'], flags: ['kicks.enabled'] });
});
