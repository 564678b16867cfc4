/**
 * The record-store contract for the admin lists: every list reads by filters and a keyset cursor
 * (the last item's time and id), in its own order, with ties on time broken by id; paging through
 * never repeats or skips an item, even when items are inserted meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ban } from '../bans/records.ts';
import type { CommandRecord } from '../commands/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { RestoreRecord } from '../restore/records.ts';
import type { RecordStore } from './index.ts';

type WithStore = (t: { after: (fn: () => Promise<void>) => void }) => Promise<RecordStore>;
type After = { at: number; id: string };

/** The contract's record builders (contract.ts), so this file adds no second copy of them. */
export interface ListBuilders {
  command(id: string, state: CommandRecord['state']): CommandRecord;
  restore(id: string, source: RestoreRecord['source']): RestoreRecord;
  disruption(commandId: string | null, at: number, overrides?: Partial<Disruption>): Disruption;
  ban(playerId: string, at: number): Ban;
}

/** Reads every page of `limit` items, following the last item's key. */
async function pageAll<T>(
  read: (after: After | undefined, limit: number) => Promise<T[]>,
  key: (item: T) => After,
  limit: number,
): Promise<T[]> {
  const all: T[] = [];
  let after: After | undefined;
  for (;;) {
    const page = await read(after, limit);
    assert.ok(page.length <= limit, 'a page holds at most its limit');
    all.push(...page);
    const last = page.at(-1);
    if (page.length < limit || !last) return all;
    after = key(last);
  }
}

const desc = (a: After, b: After) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export function listsContract(withStore: WithStore, make: ListBuilders): void {
  commandLists(withStore, make);
  restoreLists(withStore, make);
  ledgerLists(withStore, make);
  operatorLists(withStore);
}

function commandLists(withStore: WithStore, make: ListBuilders): void {
  test('commands page newest first by state, actor and time, ties broken by id', async (t) => {
    const store = await withStore(t);
    const states = ['awaiting-approval', 'done', 'halted'] as const;
    const made = Array.from({ length: 13 }, (_, i) => ({
      ...make.command(`c-${String(i).padStart(2, '0')}`, states[i % 3] ?? 'done'),
      requestedAt: 1_000 + Math.floor(i / 2) * 10,
      requestedBy: i % 2 === 0 ? 'alice' : 'bob',
    }));
    for (const c of made) await store.recordCommand(c, []);
    const key = (c: CommandRecord) => ({ at: c.requestedAt, id: c.id });
    const all = await pageAll((after, limit) => store.pageCommands({ after, limit }), key, 4);
    assert.deepEqual(
      all.map((c) => c.id),
      made.toSorted((a, b) => desc(key(a), key(b))).map((c) => c.id),
    );
    const pending = await pageAll(
      (after, limit) => store.pageCommands({ states: ['awaiting-approval'], actor: 'alice', after, limit }),
      key,
      2,
    );
    const want = made.filter((c) => c.state === 'awaiting-approval' && c.requestedBy === 'alice');
    assert.ok(want.length > 1);
    assert.deepEqual(pending.map((c) => c.id).toSorted(), want.map((c) => c.id).toSorted());
    const window = await store.pageCommands({ since: 1_010, until: 1_020, limit: 100 });
    assert.deepEqual(
      window.map((c) => c.requestedAt),
      [1_020, 1_020, 1_010, 1_010],
    );
  });

  test('a page read while commands are added neither repeats nor skips one', async (t) => {
    const store = await withStore(t);
    for (let i = 0; i < 6; i++)
      await store.recordCommand({ ...make.command(`old-${i}`, 'done'), requestedAt: 100 + i }, []);
    const first = await store.pageCommands({ limit: 3 });
    await store.recordCommand({ ...make.command('new-0', 'done'), requestedAt: 500 }, []);
    const last = first.at(-1);
    assert.ok(last);
    const rest = await store.pageCommands({ after: { at: last.requestedAt, id: last.id }, limit: 10 });
    assert.deepEqual(
      [...first, ...rest].map((c) => c.id),
      ['old-5', 'old-4', 'old-3', 'old-2', 'old-1', 'old-0'],
    );
  });
}

function restoreLists(withStore: WithStore, make: ListBuilders): void {
  test('restores page newest first by state', async (t) => {
    const store = await withStore(t);
    const made: RestoreRecord[] = [];
    for (let i = 0; i < 7; i++) {
      const r = { ...make.restore(`r-${i}`, { commandId: `src-${i}` }), createdAt: 10 + Math.floor(i / 2) };
      await store.createRestore(r);
      if (i % 3 === 0) await store.updateRestore({ ...r, state: 'paused' }, ['running']);
      made.push(i % 3 === 0 ? { ...r, state: 'paused' } : r);
    }
    const key = (r: RestoreRecord) => ({ at: r.createdAt, id: r.id });
    const all = await pageAll((after, limit) => store.pageRestores({ after, limit }), key, 3);
    assert.deepEqual(
      all.map((r) => r.id),
      made.toSorted((a, b) => desc(key(a), key(b))).map((r) => r.id),
    );
    const paused = await pageAll(
      (after, limit) => store.pageRestores({ states: ['paused'], after, limit }),
      key,
      1,
    );
    assert.deepEqual(
      paused.map((r) => r.id),
      made
        .filter((r) => r.state === 'paused')
        .toSorted((a, b) => desc(key(a), key(b)))
        .map((r) => r.id),
    );
  });
}

function operatorLists(withStore: WithStore): void {
  test("an operator's last use is kept, written only when older than the cut-off", async (t) => {
    const store = await withStore(t);
    await store.addOperator({
      id: 'op-seen',
      name: 'sam',
      role: 'viewer',
      tokenHash: 'ab'.repeat(32),
      totpSecret: null,
      createdAt: 1,
      revokedAt: null,
      enrolledAt: null,
      roleChangedAt: null,
    });
    assert.equal((await store.findOperator({ id: 'op-seen' }))?.lastSeenAt ?? null, null, 'never seen');
    await store.markOperatorSeen('op-seen', 100_000, 40_000);
    await store.markOperatorSeen('op-seen', 130_000, 70_000);
    assert.equal(
      (await store.findOperator({ id: 'op-seen' }))?.lastSeenAt,
      100_000,
      'within the minute: kept',
    );
    await store.markOperatorSeen('op-seen', 170_000, 110_000);
    assert.equal((await store.listOperators())[0]?.lastSeenAt, 170_000);
  });
}

function ledgerLists(withStore: WithStore, make: ListBuilders): void {
  test('disruptions page oldest first after a cursor, with their filters', async (t) => {
    const store = await withStore(t);
    const made = Array.from({ length: 11 }, (_, i) =>
      make.disruption(i % 2 === 0 ? 'cmd-a' : 'cmd-b', 100 + Math.floor(i / 3)),
    );
    await store.recordDisruptions(made);
    const key = (x: Disruption) => ({ at: x.at, id: x.id });
    const asc = (a: Disruption, b: Disruption) => -desc(key(a), key(b));
    const all = await pageAll((after, limit) => store.listDisruptions({ after, limit }), key, 4);
    assert.deepEqual(
      all.map((x) => x.id),
      made.toSorted(asc).map((x) => x.id),
    );
    const a = await pageAll(
      (after, limit) => store.listDisruptions({ commandId: 'cmd-a', after, limit }),
      key,
      2,
    );
    assert.deepEqual(
      a.map((x) => x.id),
      made
        .filter((x) => x.commandId === 'cmd-a')
        .toSorted(asc)
        .map((x) => x.id),
    );
  });

  test('bans page newest first after a cursor', async (t) => {
    const store = await withStore(t);
    const made = Array.from({ length: 9 }, (_, i) => make.ban(`p-${i}`, 50 + Math.floor(i / 2)));
    for (const b of made) assert.equal(await store.banPlayer(b), true);
    const all = await pageAll(
      (after, limit) => store.listBans({ after, limit, activeAt: 10_000 }),
      (b) => ({ at: b.at, id: b.playerId }),
      2,
    );
    const order = (a: Ban, b: Ban) => b.at - a.at || (a.playerId < b.playerId ? -1 : 1);
    assert.deepEqual(
      all.map((b) => b.playerId),
      made.toSorted(order).map((b) => b.playerId),
    );
  });
}
