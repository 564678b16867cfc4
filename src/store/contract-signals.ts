/**
 * The record-store contract for `SignalRecords`: one open signal per fingerprint (a repeat
 * updates it, even when raised concurrently), resolve by fingerprint, list filters.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Signal } from '../signals/records.ts';
import type { RecordStore } from './index.ts';

type WithStore = (t: { after: (fn: () => Promise<void>) => void }) => Promise<RecordStore>;

function signal(fingerprint: string, startedAt: number, overrides: Partial<Signal> = {}): Signal {
  return {
    id: randomUUID(),
    source: 'detector',
    detector: 'login-failures',
    severity: 'P2',
    title: 'Logins failing: 4.0% of the last step against 0.20% expected',
    dimensions: { region: 'eu' },
    fingerprint,
    onsetAt: startedAt - 10_000,
    startedAt,
    resolvedAt: null,
    evidence: { statistic: 21.5, threshold: 20, observed: 0.04, expected: 0.002, series: [0.001, 0.04] },
    localisation: [{ dimension: 'code', values: ['IDENTITY_UNAVAILABLE'], share: 0.94, surprise: 0.3 }],
    incidentId: null,
    ...overrides,
  };
}

export function signalRecordsContract(withStore: WithStore): void {
  test('signals: a repeat of an open fingerprint updates it, resolve closes it, the next raise is new', async (t) => {
    const store = await withStore(t);
    const first = signal('fp-a', 1_000);
    const raised = await store.raiseSignal(first);
    assert.equal(raised.change, 'raised');
    assert.deepEqual(raised.signal, first, 'round-trips exactly');
    const again = await store.raiseSignal(
      signal('fp-a', 2_000, { severity: 'P1', title: 'worse', localisation: [] }),
    );
    assert.equal(again.change, 'updated');
    assert.equal(again.signal.id, first.id, 'the open one keeps its id');
    assert.equal(again.signal.startedAt, 1_000, 'and its start');
    assert.equal(again.signal.severity, 'P1');
    assert.equal(again.signal.title, 'worse');
    const milder = await store.raiseSignal(signal('fp-a', 3_000, { severity: 'P3' }));
    assert.equal(milder.signal.severity, 'P1', 'severity only moves towards P1 while open');
    const resolved = await store.resolveSignal('fp-a', 5_000);
    assert.equal(resolved?.id, first.id);
    assert.equal(resolved?.resolvedAt, 5_000);
    assert.equal(await store.resolveSignal('fp-a', 6_000), null, 'resolved once');
    const next = await store.raiseSignal(signal('fp-a', 7_000));
    assert.equal(next.change, 'raised');
    assert.notEqual(next.signal.id, first.id);
    assert.deepEqual(await store.getSignal(first.id), { ...milder.signal, resolvedAt: 5_000 });
    assert.equal(await store.getSignal(randomUUID()), null);
  });

  test('signals: linked to an incident once; the first link stays, an unknown signal links nothing', async (t) => {
    const store = await withStore(t);
    const { signal: s } = await store.raiseSignal(signal('fp-link', 1_000));
    assert.equal(s.incidentId, null);
    assert.equal(await store.linkSignalIncident(s.id, 'inc-1'), true);
    assert.equal((await store.getSignal(s.id))?.incidentId, 'inc-1');
    assert.equal(await store.linkSignalIncident(s.id, 'inc-2'), false, 'already linked');
    assert.equal((await store.getSignal(s.id))?.incidentId, 'inc-1');
    assert.equal(await store.linkSignalIncident(randomUUID(), 'inc-1'), false);
  });

  test('signals: raised at once for one fingerprint, one is open and the others updated it', async (t) => {
    const store = await withStore(t);
    const fp = `fp-${randomUUID()}`;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.raiseSignal(signal(fp, 100 + i))),
    );
    assert.equal(outcomes.filter((o) => o.change === 'raised').length, 1);
    assert.equal(new Set(outcomes.map((o) => o.signal.id)).size, 1);
    assert.equal((await store.listSignals({ state: 'open', limit: 100 })).length, 1);
  });

  test('signals: listed newest first, by state, since and detector', async (t) => {
    const store = await withStore(t);
    await store.raiseSignal(signal('old', 1_000));
    await store.resolveSignal('old', 2_000);
    await store.raiseSignal(signal('mid', 3_000, { detector: 'players-online' }));
    await store.resolveSignal('mid', 9_000);
    await store.raiseSignal(signal('new', 5_000));
    const fps = (xs: Signal[]) => xs.map((s) => s.fingerprint);
    assert.deepEqual(fps(await store.listSignals({ state: 'open', limit: 10 })), ['new']);
    assert.deepEqual(fps(await store.listSignals({ state: 'all', limit: 10 })), ['new', 'mid', 'old']);
    assert.deepEqual(fps(await store.listSignals({ state: 'all', limit: 2 })), ['new', 'mid']);
    assert.deepEqual(fps(await store.listSignals({ state: 'all', since: 4_000, limit: 10 })), ['new', 'mid']);
    assert.deepEqual(fps(await store.listSignals({ state: 'all', detector: 'players-online', limit: 10 })), [
      'mid',
    ]);
  });
}
