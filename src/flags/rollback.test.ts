import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeWatch, type WatchedChange } from './rollback.ts';

const change = (key: string, at: number, autoRevert = true, to: boolean | number = false): WatchedChange => ({
  key,
  from: true,
  to,
  at,
  actor: 'alice',
  autoRevert,
});

test('a P1 inside the watch window names the recent changes and reverts the autoRevert ones once', () => {
  const w = new ChangeWatch({ watchMs: 600_000 });
  const old = change('kicks.enabled', 0);
  const marked = change('logins.enabled', 700_000);
  const unmarked = change('outage.declared', 800_000, false, true);
  for (const c of [old, marked, unmarked]) w.record(c);
  const v = w.judge({ startedAt: 900_000, severity: 'P1' });
  assert.deepEqual(
    v.suspects,
    [unmarked, marked],
    'newest first; the one outside the window is not a suspect',
  );
  assert.deepEqual(v.revert, [marked]);
  assert.deepEqual(w.judge({ startedAt: 910_000, severity: 'P1' }).revert, [], 'reverted once');
});

test('a P2 or P3 signal names nothing and reverts nothing', () => {
  const w = new ChangeWatch({ watchMs: 600_000 });
  w.record(change('logins.enabled', 0));
  assert.deepEqual(w.judge({ startedAt: 1000, severity: 'P2' }), { suspects: [], revert: [] });
});

test('a change already superseded by a later one is a suspect but is not undone', () => {
  const w = new ChangeWatch({ watchMs: 600_000 });
  const first = change('logins.enabled', 0);
  const later = change('logins.enabled', 1000, false, true);
  w.record(first);
  w.record(later);
  const v = w.judge({ startedAt: 2000, severity: 'P1' });
  assert.deepEqual(v.suspects, [later, first]);
  assert.deepEqual(v.revert, []);
});

test('a signal that started before a change does not blame it', () => {
  const w = new ChangeWatch({ watchMs: 600_000 });
  w.record(change('logins.enabled', 5000));
  assert.deepEqual(w.judge({ startedAt: 4000, severity: 'P1' }).suspects, []);
});
