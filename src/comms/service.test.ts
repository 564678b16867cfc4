/**
 * Communication on the in-process bus and a real SQLite store: what is told when, and that an
 * unchanged state tells nothing (not to the outbox, not to players).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { EventStream } from '../events/index.ts';
import { IncidentService } from '../incidents/index.ts';
import { MemoryBus } from '../live/memory.ts';
import { type Announcement, queueAnnouncement } from '../routing/index.ts';
import type { Broadcast } from '../sessions/directive.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { Communications } from './service.ts';
import { defaultTemplates } from './templates.ts';

const severityLevels = { players: 1, payingPlayers: 1, regions: 1 };

function fixture(minSeverity: 'P0' | 'P1' | 'P2' | 'P3' = 'P1') {
  let now = Date.UTC(2026, 11, 1, 4);
  const clock = () => now;
  const store = new SqliteRecordStore(':memory:');
  const audit = new AuditLog({ store, clock });
  const events = new EventStream();
  const bus = new MemoryBus();
  const incidents = new IncidentService({
    store,
    audit,
    events,
    clock,
    settings: {
      thresholds: { P0: severityLevels, P1: severityLevels, P2: severityLevels },
      autoDeclare: true,
      payingLicences: [],
      revenuePerPayingPlayerHour: 0,
      currency: 'USD',
      rtoObjectiveSeconds: 3600,
      rpoObjectiveRecords: 0,
    },
  });
  const announced: Announcement[] = [];
  const comms = new Communications({
    incidents,
    store,
    outbox: {
      announce: async (a) => {
        announced.push(a);
        return 1;
      },
    },
    bus,
    audit,
    events,
    clock,
    settings: {
      templates: defaultTemplates,
      statusUrl: 'https://status.example.com',
      updateIntervalMinutes: 30,
      minSeverity,
      inGame: true,
      topology: { na: ['na-1', 'na-2'], eu: ['eu-1'] },
    },
  });
  const heard: Broadcast[] = [];
  bus.onBroadcast((b) => heard.push(b));
  const told: string[] = [];
  events.on('comms.told', (e) => told.push(e.kind));
  comms.start();
  const declare = async (severity: 'P0' | 'P1' | 'P2' | 'P3' = 'P1') => {
    const r = await incidents.declareFor({
      key: `cause-${Math.random()}`,
      declaredBy: 'auto:signal',
      title: 'login failures 991 over 3',
      severity,
      severityReason: 'rule',
      startedAt: now,
      detectedAt: now,
    });
    return r.incidentId as string;
  };
  const settled = (n: number) =>
    new Promise<void>((resolve) => {
      if (told.length >= n) return resolve();
      const off = events.on('comms.told', () => {
        if (told.length >= n) {
          off();
          resolve();
        }
      });
    });
  return {
    incidents,
    comms,
    store,
    announced,
    heard,
    told,
    declare,
    settled,
    tick: (ms: number) => (now += ms),
  };
}

test('declared, updated, resolved: the announcement, an update and the all clear, each told once', async () => {
  const f = fixture();
  const id = await f.declare('P0');
  await f.settled(1);
  assert.deepEqual(f.told, ['announcement']);
  assert.match(f.announced[0]?.text ?? '', /Service Alert/);
  assert.match(
    f.announced[0]?.text ?? '',
    /technical difficulties with Service disruption\./,
    'public title',
  );
  assert.equal(f.heard[0]?.level, 'critical');

  assert.equal(await f.comms.tellState(id), null, 'the same status again tells nothing');
  f.tick(60_000);
  await f.incidents.setStatus(id, 'identified', 'auto:test');
  await f.settled(2);
  const posted = await f.comms.post(
    id,
    { message: 'A fix is rolling out.', regions: ['eu'], eta: '20 minutes' },
    'alice',
  );
  assert.equal(posted.sent, true);
  assert.match(posted.update.body, /A fix is rolling out\.\nAffected: eu\.\nETA: 20 minutes/);
  const again = await f.comms.post(
    id,
    { message: 'A fix is rolling out.', regions: ['eu'], eta: '20 minutes' },
    'alice',
  );
  assert.equal(again.sent, false, 'the same update is not sent twice');
  assert.equal(again.update.id, posted.update.id);

  f.tick(60_000);
  await f.incidents.setStatus(id, 'resolved', 'auto:test');
  await f.settled(4);
  assert.deepEqual(f.told, ['announcement', 'update', 'update', 'all-clear']);
  assert.match(f.announced.at(-1)?.text ?? '', /^✅ All Clear/);
  assert.deepEqual(f.announced.at(-1)?.regions, ['eu'], 'the regions of the last update carry on');
  assert.equal(f.heard.length, 4);
  assert.equal(f.heard.at(-1)?.level, 'info');
  assert.deepEqual(
    (await f.comms.updates(id)).map((u) => u.kind),
    ['announcement', 'update', 'update', 'all-clear'],
  );
  assert.equal(await f.comms.tellState(id), null);
  assert.equal(f.announced.length, 4, 'nothing more was queued');
});

test('an incident below comms.minSeverity is not told; bad places are refused with a code', async () => {
  const f = fixture('P1');
  const id = await f.declare('P3');
  assert.equal(await f.comms.tellState(id), null);
  assert.equal(f.announced.length, 0);
  await assert.rejects(f.comms.post(id, { message: 'x', regions: ['mars'] }, 'alice'), (e: unknown) => {
    return e instanceof LifelineError && e.code === 'UNKNOWN_REGION';
  });
  await assert.rejects(f.comms.post(id, { message: 'x', shards: ['mars-1'] }, 'alice'), (e: unknown) => {
    return e instanceof LifelineError && e.code === 'UNKNOWN_SHARD';
  });
  await assert.rejects(f.comms.post('nope', { message: 'x' }, 'alice'), (e: unknown) => {
    return e instanceof LifelineError && e.code === 'INCIDENT_NOT_FOUND';
  });
});

test('queued announcements go to the chat and webhook destinations marked for them, never PagerDuty, once per message', async () => {
  const store = new SqliteRecordStore(':memory:');
  const destinations = [
    { name: 'discord', kind: 'discord', url: 'https://discord.example/x', announcements: true },
    { name: 'ops-slack', kind: 'slack', url: 'https://slack.example/x' },
    { name: 'pd', kind: 'pagerduty', routingKey: 'k', announcements: true },
    {
      name: 'hook',
      kind: 'webhook',
      url: 'https://hook.example/x',
      secret: 'a-secret-of-16-chars',
      announcements: true,
    },
  ] as never;
  const a: Announcement = {
    id: 'u-1',
    incidentId: 'inc-1',
    kind: 'announcement',
    severity: 'P1',
    status: 'investigating',
    regions: [],
    text: 'hello',
    at: 5,
  };
  const deps = { destinations, store, clock: () => 10 };
  assert.equal(await queueAnnouncement(deps, a), 2);
  await queueAnnouncement(deps, a);
  const queued = await store.listOutbox({});
  assert.deepEqual(queued.map((m) => m.destination).sort(), ['discord', 'hook']);
  const hook = queued.find((m) => m.destination === 'hook')?.payload as Record<string, unknown>;
  assert.equal(hook.version, 'lifeline-comms/1');
  assert.equal(hook.text, 'hello');
});
