/**
 * The record-store contract for what on-call asked for (issue 17, item 5): a running restore's
 * pacing changed in place, and bans that end by themselves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListBuilders } from './contract-lists.ts';
import type { RecordStore } from './index.ts';

type WithStore = (t: { after: (fn: () => Promise<void>) => void }) => Promise<RecordStore>;

export function onCallContract(withStore: WithStore, make: ListBuilders): void {
  test("a restore's pacing changes while it runs or is paused, and is kept; a finished one's never", async (t) => {
    const store = await withStore(t);
    await store.recordDisruptions([make.disruption('c', 100), make.disruption('c2', 100)]);
    await store.createRestore(make.restore('r', { commandId: 'c' }));
    const adaptive = { mode: 'adaptive', maxRate: 250 } as const;
    const paced = await store.repaceRestore('r', adaptive, 7);
    assert.deepEqual(paced?.pacing, adaptive);
    assert.equal(paced?.updatedAt, 7);
    assert.equal(paced?.state, 'running', 'pacing is not a state change');
    assert.deepEqual((await store.getRestore('r'))?.pacing, adaptive, 'stored');
    const r = (await store.getRestore('r'))!;
    assert.ok(
      await store.updateRestore({ ...r, state: 'paused', pauseCode: 'operator', pauseNote: 'x' }, [
        'running',
      ]),
    );
    const fixed = { mode: 'fixed', batchSize: 50, intervalMs: 2000 } as const;
    assert.deepEqual((await store.repaceRestore('r', fixed, 8))?.pacing, fixed, 'paused: may be re-paced');
    assert.equal((await store.getRestore('r'))?.released, 0, 'counters untouched');
    const p = (await store.getRestore('r'))!;
    assert.ok(await store.updateRestore({ ...p, state: 'cancelled', pauseCode: 'cancelled' }, ['paused']));
    assert.equal(await store.repaceRestore('r', adaptive, 9), null, 'cancelled: refused');
    assert.deepEqual((await store.getRestore('r'))?.pacing, fixed, 'and unchanged');
    assert.equal(await store.repaceRestore('nope', adaptive, 9), null);
  });

  test("a ban with an end stands before it and not from it, read at the reader's time; a new ban closes it", async (t) => {
    const store = await withStore(t);
    const timed = { ...make.ban('p-t', 1_000), expiresAt: 5_000 };
    assert.equal(await store.banPlayer(timed), true);
    assert.deepEqual(await store.currentBan('p-t', 4_999), timed);
    assert.equal(await store.currentBan('p-t', 5_000), null, 'ended at expiresAt');
    const [before, after] = await Promise.all([
      store.currentBan('p-t', 4_000),
      store.currentBan('p-t', 6_000),
    ]);
    assert.deepEqual(before, timed, 'reads batched in one turn each judge by their own time');
    assert.equal(after, null);
    assert.deepEqual(await store.listBans({ activeAt: 4_999 }), [timed]);
    assert.deepEqual(await store.listBans({ activeAt: 5_000 }), [], 'an expired ban is not listed');
    assert.equal(
      await store.liftBan('p-t', { at: 5_001, by: 'bob', reason: 'too late' }),
      null,
      'nor lifted',
    );
    // Banned again after it ended: the expired one is closed as it ended, the new one stands.
    const again = make.ban('p-t', 6_000);
    assert.equal(await store.banPlayer(again), true);
    assert.deepEqual(await store.currentBan('p-t', 6_000), again);
    assert.deepEqual(await store.listBans({ activeAt: 6_000, playerIds: ['p-t'] }), [again]);
    // A ban still standing is not closed by a new one: that is refused as before.
    assert.equal(await store.banPlayer(make.ban('p-t', 7_000)), false);
    const lifted = await store.liftBan('p-t', { at: 8_000, by: 'bob', reason: 'appeal' });
    assert.equal(lifted?.id, again.id);
  });
}
