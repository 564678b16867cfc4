import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../audit/records.ts';
import { AdminWatch } from './admin.ts';

const DAY = 86_400_000;
let seq = 0;
function entry(at: number, actor: string, action: string, extra: Partial<AuditEntry> = {}): AuditEntry {
  seq++;
  return { seq, at, actor, action, target: 'x', details: {}, result: 'ok', prevHash: '', hash: '', ...extra };
}

test('a break-glass write is a P1 at once', () => {
  const w = new AdminWatch();
  const [s] = w.observe(entry(0, 'root@host', 'operator.break-glass'));
  assert.equal(s?.detector, 'break-glass');
  assert.equal(s?.severity, 'P1');
});

test('a bulk kick outside a change window is signalled; inside one, or small, it is not', () => {
  const w = new AdminWatch({ bulkSessions: 50 });
  w.announce({ from: 1000, to: 2000, what: 'maintenance' });
  const kick = (at: number, count: number) =>
    w
      .observe(entry(at, 'alice', 'command.request', { details: { count } }))
      .filter((s) => s.detector === 'bulk-outside-change-window');
  assert.equal(kick(1500, 5000).length, 0, 'inside the window');
  assert.equal(kick(3000, 49).length, 0, 'small');
  const [s] = kick(3000, 5000);
  assert.match(s?.title ?? '', /alice started a kick of 5000 sessions outside any announced change window/);
  const restore = w.observe(entry(4000, 'bob', 'restore.start', { details: { restorable: 120 } }));
  assert.ok(restore.some((x) => x.detector === 'bulk-outside-change-window'));
});

test('a first-time actor for an action is noted only after the watch has learned a week', () => {
  const w = new AdminWatch();
  const first = (at: number, actor: string, action: string) =>
    w.observe(entry(at, actor, action)).filter((s) => s.detector === 'first-time-actor');
  assert.equal(first(0, 'alice', 'flag.set').length, 0, 'learning');
  assert.equal(first(DAY, 'bob', 'flag.set').length, 0, 'still learning');
  assert.equal(first(8 * DAY, 'alice', 'flag.set').length, 0, 'seen before');
  const [s] = first(8 * DAY, 'mallory', 'flag.set');
  assert.equal(s?.title, 'mallory did flag.set for the first time');
  assert.equal(first(8 * DAY + 1, 'mallory', 'flag.set').length, 0, 'once');
});

test('five denials or failed step-ups by one actor within five minutes make one burst', () => {
  const w = new AdminWatch();
  const bursts: string[] = [];
  const at = (t: number, actor: string, action: string, result = 'ok') => {
    for (const s of w.observe(entry(t, actor, action, { result })))
      if (s.detector === 'denied-burst') bursts.push(`${actor}@${t}`);
  };
  for (let i = 0; i < 4; i++) at(i * 60_000, 'eve', 'command.request', 'denied');
  at(320_000, 'eve', 'stepup.failed'); // the first has left the window: 4 within 5 minutes
  assert.deepEqual(bursts, []);
  at(330_000, 'eve', 'stepup.failed');
  assert.deepEqual(bursts, ['eve@330000']);
  at(340_000, 'eve', 'stepup.failed');
  assert.deepEqual(bursts, ['eve@330000'], 'one burst, not one per denial');
  for (let i = 0; i < 4; i++) at(400_000 + i, 'alice', 'command.request', 'denied');
  assert.deepEqual(bursts, ['eve@330000'], "another actor's denials are counted apart");
});

test('the audit chain going backwards is a P1', () => {
  const s = new AdminWatch().regressed(5, 'rewritten', 'seq 41 hash differs from the anchor');
  assert.equal(s.severity, 'P1');
  assert.match(s.title, /went backwards \(rewritten\)/);
});
