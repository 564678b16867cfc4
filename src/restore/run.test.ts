/**
 * A restore run on a freshly started node: its own start-up spike must not pause a restore it
 * resumes, and a real overload that outlasts the grace still does. Health readings are fed by
 * the test; time is a TestClock, so nothing depends on how busy the machine is.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { TestClock } from '../../test/clock.ts';
import { AuditLog } from '../audit/index.ts';
import type { Disruption } from '../disruptions/records.ts';
import { EventStream } from '../events/index.ts';
import { MemoryLiveState } from '../live/memory.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import type { HealthReader, HealthReading } from './health.ts';
import type { RestoreRecord } from './records.ts';
import { RestoreRun } from './run.ts';
import type { RestoreServiceDeps } from './types.ts';

const GRACE_SECONDS = 15;

/** Readings the test sets; each read resolves whoever waits for the next one. */
class FedHealth implements HealthReader {
  cpuPercent = 0;
  reads = 0;
  #waiters: (() => void)[] = [];
  async read(): Promise<HealthReading> {
    this.reads++;
    for (const w of this.#waiters.splice(0)) w();
    return {
      cpuPercent: this.cpuPercent,
      connections: 0,
      errorRate: 0,
      p99LatencyMs: 0,
      downstreamP99Ms: 0,
      eventLoopDelayMs: 0,
      downstreamHealthy: null,
    };
  }
  recordRejoin(): void {}
  /** Resolves once `n` more readings have been taken. */
  async readings(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

function disruption(commandId: string, at: number): Disruption {
  return {
    id: randomUUID(),
    sessionId: randomUUID(),
    playerId: `p-${randomUUID()}`,
    cause: 'kick',
    commandId,
    incidentId: null,
    at,
    snapshot: {
      region: 'eu',
      shard: 'eu-1',
      zone: null,
      clientVersion: '1.0.0',
      licence: 'standard',
      provisional: false,
    },
    outcome: 'pending',
    outcomeReason: null,
    restoreId: null,
    ticketExpiresAt: null,
    settledAt: null,
    restoredSessionId: null,
  };
}

/** A node started now on a held clock, with a running restore of 10 records it resumes. */
async function resumedAfterRestart(t: import('node:test').TestContext) {
  const clock = new TestClock(1_800_000_000_000);
  const store = new SqliteRecordStore(':memory:');
  const events = new EventStream();
  const health = new FedHealth();
  const deps = {
    store,
    live: new MemoryLiveState(),
    audit: new AuditLog({ store, clock: clock.now }),
    events,
    health,
    logger: pino({ level: 'silent' }),
    clock: clock.now,
    settings: {
      ticketTtlSeconds: 900,
      healthyHoldSeconds: 10,
      tickMs: 5,
      waitingRetryAfterSeconds: 30,
      healthUrlHosts: [],
      startupGraceSeconds: GRACE_SECONDS,
    },
    nodeId: 'n1',
    startedAt: clock.now(),
  } as Partial<RestoreServiceDeps> as RestoreServiceDeps;
  const commandId = `cmd-${randomUUID()}`;
  await store.recordDisruptions(
    Array.from({ length: 10 }, () => disruption(commandId, clock.now() - 60_000)),
  );
  const restore: RestoreRecord = {
    id: `rst-${randomUUID()}`,
    source: { commandId },
    pacing: { mode: 'fixed', batchSize: 2, intervalMs: 5 },
    thresholds: { cpuPercent: 80 },
    state: 'running',
    requestedBy: 'alice',
    createdAt: clock.now() - 30_000,
    updatedAt: clock.now() - 30_000,
    total: 0,
    released: 0,
    batches: 0,
    pauseCode: null,
    pauseNote: null,
  };
  assert.ok((await store.createRestore(restore)).created);
  const run = new RestoreRun(deps, restore.id);
  t.after(async () => {
    run.stop();
    await run.done;
  });
  return { clock, store, events, health, run, id: restore.id };
}

const next = <T>(events: EventStream, name: 'restore.released' | 'restore.paused') =>
  new Promise<T>((resolve) => {
    const off = events.on(name, (e) => {
      off();
      resolve(e as T);
    });
  });

test("a restore resumed on a fresh node sits out the node's start-up spike, then releases without pausing", async (t) => {
  const { clock, store, events, health, run, id } = await resumedAfterRestart(t);
  health.cpuPercent = 95;
  let paused = false;
  events.on('restore.paused', () => {
    paused = true;
  });
  run.start();
  // Three readings over the cpuPercent threshold inside the grace: judged by none of them.
  await health.readings(3);
  const during = await store.getRestore(id);
  assert.equal(during?.state, 'running');
  assert.equal(during?.released, 0, 'nothing is released while the node settles');
  // The spike is over when the grace is: the first reading judged is healthy, and it releases.
  health.cpuPercent = 20;
  const released = next<{ count: number }>(events, 'restore.released');
  clock.advance(GRACE_SECONDS * 1000);
  assert.equal((await released).count, 2);
  assert.equal(paused, false, 'the start-up spike paused nothing');
  const entries = await store.readAuditPage(0, 100);
  assert.ok(!entries.some((e) => e.action === 'restore.pause'), 'no pause in the audit log');
});

test('an overload still there after the grace pauses the restore as before', async (t) => {
  const { clock, store, events, health, run, id } = await resumedAfterRestart(t);
  health.cpuPercent = 95;
  run.start();
  await health.readings(2);
  const paused = next<{ reason: string; by: string }>(events, 'restore.paused');
  clock.advance(GRACE_SECONDS * 1000);
  const p = await paused;
  assert.equal(p.by, 'threshold');
  assert.match(p.reason, /cpuPercent 95 > 80/);
  const after = await store.getRestore(id);
  assert.equal(after?.state, 'paused');
  assert.equal(after?.released, 0, 'the overload was never fed');
});
