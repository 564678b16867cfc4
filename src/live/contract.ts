/**
 * The live-state and bus contract: one suite every adapter passes on its real backend.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Broadcast, Bus, Directive, LiveState } from './index.ts';
import type { LiveSession } from '../sessions/records.ts';

export type OpenLive = () => Promise<{ live: LiveState; bus: Bus }>;

/** A live session for tests: defaults everywhere but the id. */
export function liveSession(id: string, overrides: Partial<LiveSession> = {}): LiveSession {
  return {
    id,
    playerId: `p-${id}`,
    region: 'na',
    shard: 'na-1',
    zone: null,
    clientVersion: null,
    licence: 'standard',
    provisional: false,
    node: 'node-1',
    createdAt: 1,
    lastSeenAt: 1,
    ...overrides,
  };
}

export function liveStateContract(name: string, open: OpenLive): void {
  describe(`live state contract: ${name}`, () => {
    const withLive = async (t: { after: (fn: () => Promise<void>) => void }) => {
      const opened = await open();
      t.after(async () => {
        await opened.bus.close();
        await opened.live.close();
      });
      return opened;
    };

    test('sessions are found by any combination of fields and counted by region and shard', async (t) => {
      const { live } = await withLive(t);
      await live.putSession(liveSession('a'));
      await live.putSession(liveSession('b', { shard: 'na-2', zone: 'na-a' }));
      await live.putSession(liveSession('c', { region: 'eu', shard: 'eu-1', playerId: 'p-a' }));
      assert.deepEqual((await live.findSessions({ region: 'na' }, 10)).map((s) => s.id).sort(), ['a', 'b']);
      assert.deepEqual(
        (await live.findSessions({ region: 'na', zone: 'na-a' }, 10)).map((s) => s.id),
        ['b'],
      );
      assert.deepEqual((await live.findSessions({ playerId: 'p-a' }, 10)).map((s) => s.id).sort(), [
        'a',
        'c',
      ]);
      assert.deepEqual(
        (await live.findSessions({ sessionId: 'c', region: 'na' }, 10)).map((s) => s.id),
        [],
      );
      assert.equal((await live.findSessions({}, 2)).length, 2, 'the limit holds');
      assert.deepEqual(await live.countSessions({}), {
        total: 3,
        byRegion: { na: 2, eu: 1 },
        byShard: { 'na-1': 1, 'na-2': 1, 'eu-1': 1 },
      });
      assert.deepEqual(await live.countSessions({ region: 'na' }), {
        total: 2,
        byRegion: { na: 2 },
        byShard: { 'na-1': 1, 'na-2': 1 },
      });
      assert.deepEqual(await live.getSession('b'), liveSession('b', { shard: 'na-2', zone: 'na-a' }));
    });

    test('sessions page in (createdAt, id) order past a key: a session that starts or ends between pages shifts none', async (t) => {
      const { live } = await withLive(t);
      // Put in an order unlike the page order; two share a createdAt, so the id breaks the tie.
      for (const [id, at, region] of [
        ['e', 50, 'na'],
        ['b', 20, 'na'],
        ['x', 30, 'eu'],
        ['d', 40, 'na'],
        ['a', 20, 'na'],
        ['c', 30, 'na'],
      ] as const)
        await live.putSession(liveSession(id, { createdAt: at, region }));
      const ids = (rows: { id: string }[]) => rows.map((s) => s.id);
      const first = await live.pageSessions({ region: 'na' }, 2);
      assert.deepEqual(ids(first), ['a', 'b'], 'oldest first, ties by id, the filter applied');
      // Between pages: an older session starts (it belongs before the cursor: not on later
      // pages) and one of the next page ends.
      await live.putSession(liveSession('aa', { createdAt: 10 }));
      await live.endSessions(['c']);
      const second = await live.pageSessions({ region: 'na' }, 2, { at: 20, id: 'b' });
      assert.deepEqual(ids(second), ['d', 'e']);
      assert.deepEqual(ids(await live.pageSessions({ region: 'na' }, 2, { at: 50, id: 'e' })), []);
      assert.deepEqual(ids(await live.pageSessions({}, 10)), ['aa', 'a', 'b', 'x', 'd', 'e']);
      assert.deepEqual(ids(await live.pageSessions({ playerId: 'p-d' }, 10, { at: 20, id: 'b' })), ['d']);
    });

    test('ending sessions hands each one to exactly one caller', async (t) => {
      const { live } = await withLive(t);
      for (const id of ['a', 'b', 'c']) await live.putSession(liveSession(id));
      const [first, second] = await Promise.all([live.endSessions(['a', 'b']), live.endSessions(['b', 'c'])]);
      const ended = [...(first ?? []), ...(second ?? [])].map((s) => s.id).sort();
      assert.deepEqual(ended, ['a', 'b', 'c']);
      assert.equal(await live.getSession('b'), null);
      assert.equal((await live.countSessions({})).total, 0);
      assert.deepEqual(await live.endSessions(['a']), []);
    });

    test('a re-put session is counted once; idle sessions are listed oldest first', async (t) => {
      const { live } = await withLive(t);
      await live.putSession(liveSession('a', { lastSeenAt: 50 }));
      await live.putSession(liveSession('a', { lastSeenAt: 30 }));
      await live.putSession(liveSession('b', { lastSeenAt: 10 }));
      await live.putSession(liveSession('c', { lastSeenAt: 90 }));
      assert.equal((await live.countSessions({})).total, 3);
      assert.equal(await live.touchSession('b', 95), true);
      assert.equal(await live.touchSession('gone', 95), false, 'an ended session says so');
      assert.deepEqual(
        (await live.idleSessions(60, 10)).map((s) => s.id),
        ['a'],
      );
      assert.deepEqual(
        (await live.idleSessions(100, 2)).map((s) => s.id),
        ['a', 'c'],
      );
    });

    test('a player holds at most the cap: replace-oldest ends the oldest others, refuse writes nothing', async (t) => {
      const { live } = await withLive(t);
      const mine = (id: string, createdAt: number, node = 'node-1') =>
        liveSession(id, { playerId: 'p', createdAt, lastSeenAt: createdAt, node });
      const cap = { max: 2, whenFull: 'replace-oldest' } as const;
      assert.deepEqual(await live.openSession(mine('a', 10), cap), { opened: true, replaced: [] });
      assert.deepEqual(await live.openSession(mine('b', 20, 'node-2'), cap), { opened: true, replaced: [] });
      assert.deepEqual(
        await live.openSession(mine('b', 20, 'node-2'), cap),
        { opened: true, replaced: [] },
        'a re-put does not count against itself',
      );
      await live.putSession(liveSession('other', { playerId: 'q' }));
      const third = await live.openSession(mine('c', 30), cap);
      assert.deepEqual(third, { opened: true, replaced: [mine('a', 10)] }, 'the oldest made room');
      assert.equal(await live.getSession('a'), null);
      assert.deepEqual((await live.findSessions({ playerId: 'p' }, 10)).map((s) => s.id).sort(), ['b', 'c']);
      assert.deepEqual(await live.countSessions({}), {
        total: 3,
        byRegion: { na: 3 },
        byShard: { 'na-1': 3 },
      });
      // Two logins racing past the cap on two nodes: each ended session goes to one caller only.
      const [x, y] = await Promise.all([
        live.openSession(mine('d', 40), cap),
        live.openSession(mine('e', 50), cap),
      ]);
      const replaced = [x, y].flatMap((r) => (r?.opened ? r.replaced.map((s) => s.id) : [])).sort();
      assert.deepEqual(replaced, ['b', 'c']);
      assert.equal((await live.findSessions({ playerId: 'p' }, 10)).length, 2, 'never more than the cap');
      assert.deepEqual(await live.openSession(mine('f', 60), { max: 2, whenFull: 'refuse' }), {
        opened: false,
        held: 2,
      });
      assert.equal(await live.getSession('f'), null, 'a refused session is not written');
      assert.equal((await live.countSessions({ playerId: 'p' })).total, 2);
    });

    test('the kick window grants up to the cap, forgets old kicks, and can be cleared', async (t) => {
      const { live } = await withLive(t);
      assert.deepEqual(await live.claimKickBudget(3, 5, 1000, 10_000), { granted: true, used: 0 });
      assert.deepEqual(await live.claimKickBudget(3, 5, 1000, 10_100), { granted: false, used: 3 });
      assert.deepEqual(await live.claimKickBudget(2, 5, 1000, 10_200), { granted: true, used: 3 });
      assert.deepEqual(
        await live.claimKickBudget(0, 5, 1000, 11_050),
        { granted: true, used: 2 },
        'the first 3 left the window',
      );
      await live.clearKickBudget();
      assert.deepEqual(await live.claimKickBudget(5, 5, 1000, 11_100), { granted: true, used: 0 });
    });

    test('a rate bucket gives its burst, then one token per 1/rate seconds, per key', async (t) => {
      const { live } = await withLive(t);
      const take = (key: string, at: number) => live.takeRateToken(key, 2, 3, at);
      for (let i = 0; i < 3; i++) assert.equal((await take('a', 0)).ok, true);
      assert.deepEqual(await take('a', 0), { ok: false, retryAfterMs: 500 });
      assert.equal((await take('b', 0)).ok, true, 'another key has its own bucket');
      assert.equal((await take('a', 500)).ok, true);
    });

    test('a node whose presence runs out is lost, and its sessions are ended once, by one caller', async (t) => {
      const { live } = await withLive(t);
      // The caller's clock, virtual: time passes by saying so, not by sleeping past a TTL.
      const now = 1_000_000;
      assert.equal(await live.announceNode('n1', 60_000, now), false, 'a first announcement');
      assert.equal(await live.announceNode('n1', 60_000, now), true, 'renewed while current');
      await live.announceNode('n2', 60_000, now);
      await live.announceNode('n3', 100, now);
      await live.putSession(liveSession('a', { node: 'n1' }));
      await live.putSession(liveSession('b', { node: 'n3' }));
      await live.putSession(liveSession('c', { node: 'n3' }));
      await live.putSession(liveSession('d', { node: 'n3' }));
      // A socket that reconnected to n2 moves its session there: it is not n3's to lose.
      assert.equal(await live.moveSession('d', 'n2'), true);
      assert.equal(await live.moveSession('gone', 'n2'), false, 'an ended session does not come back');
      assert.equal((await live.getSession('d'))?.node, 'n2');
      assert.deepEqual(await live.getSession('d'), liveSession('d', { node: 'n2' }), 'nothing else changes');
      assert.deepEqual(await live.lostNodes(now), []);
      const later = now + 150;
      assert.deepEqual(await live.lostNodes(later), ['n3']);
      assert.equal(await live.announceNode('n1', 60_000, later), true);
      const [x, y] = await Promise.all([live.endNodeSessions('n3', 1), live.endNodeSessions('n3', 10)]);
      const ended = [...(x ?? []), ...(y ?? [])].map((s) => s.id).sort();
      assert.deepEqual(ended, ['b', 'c'], "each of n3's sessions ended exactly once; d moved away");
      assert.deepEqual(await live.endNodeSessions('n3', 10), []);
      assert.deepEqual(await live.lostNodes(later), [], 'a lost node that holds nothing is forgotten');
      assert.equal(await live.announceNode('n3', 100, later), false, 'a node back from a lapse hears so');
      assert.deepEqual((await live.findSessions({}, 10)).map((s) => s.id).sort(), ['a', 'd']);
      assert.equal((await live.countSessions({})).total, 2);
    });

    test("a run has one runner; a lost runner's run is adopted by exactly one node", async (t) => {
      const { live } = await withLive(t);
      const now = 1_000_000;
      await live.announceNode('n1', 60_000, now);
      await live.announceNode('n2', 60_000, now);
      await live.announceNode('n3', 100, now);
      assert.deepEqual(await live.adoptRun('cmd-1', 'n1', now), { adopted: true, previous: null });
      assert.deepEqual(await live.adoptRun('cmd-1', 'n1', now), { adopted: true, previous: 'n1' });
      assert.deepEqual(await live.adoptRun('cmd-1', 'n2', now), { adopted: false, previous: 'n1' });
      await live.releaseRun('cmd-1', 'n2');
      assert.equal((await live.adoptRun('cmd-1', 'n2', now)).adopted, false, 'only the runner releases');
      await live.releaseRun('cmd-1', 'n1');
      assert.deepEqual(await live.adoptRun('cmd-1', 'n2', now), { adopted: true, previous: null });
      assert.equal((await live.adoptRun('r-1', 'n3', now)).adopted, true);
      const later = now + 150;
      const [a, b] = await Promise.all([
        live.adoptRun('r-1', 'n1', later),
        live.adoptRun('r-1', 'n2', later),
      ]);
      assert.equal([a, b].filter((x) => x?.adopted).length, 1, "one survivor adopts the lost runner's run");
      assert.equal([a, b].find((x) => x?.adopted)?.previous, 'n3');
    });

    test("presence and runs follow the caller's now, whatever the backend's clock says", async (t) => {
      const { live } = await withLive(t);
      // Two clocks far from the wall clock, one behind and one ahead: an adapter that read its own
      // clock instead of the caller's would find the first long gone and the second not yet due.
      const past = 1_000;
      const future = Date.now() + 10 * 365 * 86_400_000;
      assert.equal(await live.announceNode('old', 1_000, past), false);
      assert.equal(await live.announceNode('new', 1_000, future), false);
      await live.putSession(liveSession('a', { node: 'old' }));
      await live.putSession(liveSession('b', { node: 'new' }));
      assert.deepEqual(await live.lostNodes(past + 999), [], 'present until its TTL has passed');
      assert.equal(await live.announceNode('old', 1_000, past + 999), true, 'renewed while current');
      assert.deepEqual(await live.lostNodes(past + 1_998), []);
      assert.deepEqual(await live.lostNodes(past + 1_999), ['old'], 'lost once it has');
      assert.deepEqual(await live.adoptRun('r', 'new', future), { adopted: true, previous: null });
      assert.deepEqual(
        await live.adoptRun('r', 'old', future + 999),
        { adopted: false, previous: 'new' },
        'its runner is still present at this now',
      );
      assert.deepEqual((await live.lostNodes(future + 1_000)).sort(), ['new', 'old']);
      assert.deepEqual(await live.adoptRun('r', 'old', future + 1_000), { adopted: true, previous: 'new' });
      assert.equal(await live.announceNode('new', 1_000, future + 1_000), false, 'it had lapsed');
    });

    test('many sessions are ended at once, each once, and a lost node only up to the limit', async (t) => {
      const { live } = await withLive(t);
      // More than an adapter's batch per call (Redis ends a few hundred per script call).
      const ids = Array.from({ length: 1_100 }, (_, i) => `s-${i}`);
      const nodeOf = (i: number) => (i % 2 === 0 ? 'n1' : 'n2');
      for (const [i, id] of ids.entries()) await live.putSession(liveSession(id, { node: nodeOf(i) }));
      const [x, y] = await Promise.all([
        live.endSessions(['gone', ...ids.slice(0, 700)]),
        live.endSessions(ids.slice(300, 800)),
      ]);
      const ended = [...(x ?? []), ...(y ?? [])].map((s) => s.id).sort();
      assert.deepEqual(ended, ids.slice(0, 800).sort(), 'each ended once, whichever caller');
      // 300 left, 150 on each node.
      const first = await live.endNodeSessions('n2', 100);
      assert.equal(first.length, 100);
      assert.ok(first.every((s) => s.node === 'n2'));
      const rest = await live.endNodeSessions('n2', 10_000);
      assert.equal(rest.length, 50);
      assert.deepEqual(await live.endNodeSessions('n2', 10), []);
      assert.deepEqual(await live.countSessions({}), {
        total: 150,
        byRegion: { na: 150 },
        byShard: { 'na-1': 150 },
      });
    });

    test('admission permits are capped by one shared AIMD limit, and lapse when not released', async (t) => {
      const { live } = await withLive(t);
      const aimd = { initialLimit: 4, minLimit: 1, maxLimit: 5 };
      const now = Date.now();
      const first = await live.acquirePermits(3, 60_000, aimd, now);
      assert.equal(first.permits.length, 3);
      assert.equal(first.limit, 4);
      const second = await live.acquirePermits(3, 60_000, aimd, now);
      assert.equal(second.permits.length, 1, 'only one left under the limit of 4');
      assert.equal(second.inFlight, 4);
      assert.equal((await live.acquirePermits(1, 60_000, aimd, now)).permits.length, 0);
      const [p1, p2, p3] = first.permits as [string, string, string];
      assert.equal((await live.releasePermit(p1, 'fast', aimd)).limit, 4.25);
      assert.equal((await live.releasePermit(p2, 'failed', aimd)).limit, 2.125);
      assert.equal((await live.releasePermit(p3, 'unused', aimd)).limit, 2.125);
      const third = await live.acquirePermits(5, 60_000, aimd, now);
      assert.equal(third.permits.length, 1, 'floor(2.125) = 2 in flight, one was still held');
      // Leases that run out free their room: a node that died mid-call does not leak its permits.
      const later = await live.acquirePermits(5, 100, aimd, now + 120_000);
      assert.equal(later.permits.length, 2);
      assert.equal(later.inFlight, 2);
      for (let i = 0; i < 20; i++) await live.releasePermit('gone', 'fast', aimd);
      assert.equal((await live.releasePermit('gone', 'unused', aimd)).limit, 5, 'never above maxLimit');
      for (let i = 0; i < 20; i++) await live.releasePermit('gone', 'slow', aimd);
      assert.equal((await live.releasePermit('gone', 'unused', aimd)).limit, 1, 'never below minLimit');
    });

    test('the bus delivers a directive to the named node only', async (t) => {
      const { bus } = await withLive(t);
      const got: Record<string, Directive[]> = { n1: [], n2: [] };
      const off1 = bus.onDirective('n1', (d) => got.n1?.push(d));
      bus.onDirective('n2', (d) => got.n2?.push(d));
      const directive: Directive = {
        kind: 'kicked',
        sessionId: 's',
        commandId: 'cmd-1',
        reason: 'r',
        disruptionId: 'dis-1',
      };
      await bus.deliver('n2', directive);
      await waitFor(() => got.n2?.length === 1);
      assert.deepEqual(got.n2, [directive]);
      assert.deepEqual(got.n1, []);
      off1();
      await bus.deliver('n1', directive);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got.n1, [], 'an unregistered node hears nothing');
    });

    test('a broadcast reaches every listener, once each, until it stops listening', async (t) => {
      const { bus } = await withLive(t);
      const a: Broadcast[] = [];
      const b: Broadcast[] = [];
      const offA = bus.onBroadcast((m) => a.push(m));
      bus.onBroadcast((m) => b.push(m));
      const notice: Broadcast = {
        kind: 'notice',
        noticeId: 'n-1',
        level: 'critical',
        text: 'Login is down in eu',
        regions: ['eu'],
        shards: [],
        at: 5,
      };
      await bus.broadcast(notice);
      await waitFor(() => a.length === 1 && b.length === 1);
      assert.deepEqual(a, [notice]);
      assert.deepEqual(b, [notice]);
      offA();
      const second = { ...notice, noticeId: 'n-2' };
      await bus.broadcast(second);
      await waitFor(() => b.length === 2);
      assert.deepEqual(
        b.map((m) => m.noticeId),
        ['n-1', 'n-2'],
      );
      assert.deepEqual(
        a.map((m) => m.noticeId),
        ['n-1'],
        'a removed listener hears nothing more',
      );
    });
  });
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}
