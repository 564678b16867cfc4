/** The player routes' token buckets, on the in-process live state and a virtual clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStream } from '../events/index.ts';
import { MemoryLiveState } from '../live/memory.ts';
import { type LimitedRoute, PlayerLimits, type RouteBuckets } from './limits.ts';

const buckets: RouteBuckets = { ipPerSecond: 2, ipBurst: 3, playerPerSecond: 0.5, playerBurst: 1 };

function limits() {
  const clock = { now: 1_000_000 };
  const events = new EventStream();
  const limited: { route: string; by: string }[] = [];
  events.on('player.limited', (e) => limited.push(e));
  const settings = Object.fromEntries(
    (['login', 'refresh', 'rejoin', 'upgrade'] as const).map((r) => [r, buckets]),
  ) as Record<LimitedRoute, RouteBuckets>;
  const l = new PlayerLimits({ live: new MemoryLiveState(), events, settings, clock: () => clock.now });
  return { l, clock, limited };
}

test('an address spends its burst, is refused with the seconds until its next token, and refills on the clock', async () => {
  const { l, clock, limited } = limits();
  for (let i = 0; i < buckets.ipBurst; i++) await l.fromAddress('login', '10.0.0.1');
  await assert.rejects(l.fromAddress('login', '10.0.0.1'), {
    code: 'PLAYER_RATE_LIMITED',
    details: { limit: 'login:ip', retryAfterSeconds: 1 },
  });
  assert.deepEqual(limited, [{ route: 'login', by: 'ip' }]);
  clock.now += 1000 / buckets.ipPerSecond;
  await l.fromAddress('login', '10.0.0.1');
  await assert.rejects(l.fromAddress('login', '10.0.0.1'), { code: 'PLAYER_RATE_LIMITED' });
});

test('buckets are per route, per address and per player: one spent bucket holds back no other', async () => {
  const { l } = limits();
  for (let i = 0; i < buckets.ipBurst; i++) await l.fromAddress('login', '10.0.0.1');
  await l.fromAddress('login', '10.0.0.2');
  await l.fromAddress('refresh', '10.0.0.1');
  await l.forPlayer('login', 'p-1');
  await l.forPlayer('login', 'p-2');
  await l.forPlayer('upgrade', 'p-1');
});

test("a player's bucket refused rounds its wait up to whole seconds, at least one", async () => {
  const { l, clock, limited } = limits();
  await l.forPlayer('rejoin', 'dis-1');
  await assert.rejects(l.forPlayer('rejoin', 'dis-1'), {
    code: 'PLAYER_RATE_LIMITED',
    details: { limit: 'rejoin:player', retryAfterSeconds: 1 / buckets.playerPerSecond },
  });
  clock.now += 1000 / buckets.playerPerSecond - 1;
  await assert.rejects(l.forPlayer('rejoin', 'dis-1'), {
    details: { limit: 'rejoin:player', retryAfterSeconds: 1 },
  });
  assert.deepEqual(limited, [
    { route: 'rejoin', by: 'player' },
    { route: 'rejoin', by: 'player' },
  ]);
  clock.now += 1;
  await l.forPlayer('rejoin', 'dis-1');
});
