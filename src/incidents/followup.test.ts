import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { TestClock } from '../../test/clock.ts';
import { tempDir } from '../../test/helpers.ts';
import { AuditLog } from '../audit/index.ts';
import type { Disruption } from '../disruptions/records.ts';
import { EventStream } from '../events/index.ts';
import { SignalService } from '../signals/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { Compensation, grantsCsv, parseGrant } from './compensation.ts';
import { ACTIONS_DETECTOR, FollowUp, POSTMORTEM_DETECTOR } from './followup.ts';
import { postmortemSections } from './postmortem.ts';
import { IncidentService } from './service.ts';

const HOUR = 3_600_000;

async function world(t: TestContext, regions: string[]) {
  const store = new SqliteRecordStore(join(tempDir(t, 'lifeline-followup-'), 'db'));
  t.after(() => store.close());
  const clock = new TestClock(1_800_000_000_000);
  clock.hold();
  const now = () => clock.now();
  const audit = new AuditLog({ store, clock: now });
  const events = new EventStream();
  const incidents = new IncidentService({
    store,
    audit,
    events,
    clock: now,
    settings: {
      thresholds: {
        P0: { players: 100, payingPlayers: 10, regions: 3 },
        P1: { players: 10, payingPlayers: 5, regions: 2 },
        P2: { players: 1, payingPlayers: 1, regions: 1 },
      },
      autoDeclare: false,
      payingLicences: ['premium'],
      revenuePerPayingPlayerHour: 1,
      currency: 'USD',
      rtoObjectiveSeconds: 3600,
      rpoObjectiveRecords: 0,
    },
  });
  await store.addOperator({
    id: 'op-alice',
    name: 'alice',
    role: 'admin',
    tokenHash: '0'.repeat(64),
    totpSecret: null,
    createdAt: now(),
    revokedAt: null,
    enrolledAt: null,
    roleChangedAt: null,
  });
  const incident = await incidents.declare({ title: 'runaway kick', severity: 'P0' }, 'alice');
  // One disruption record per region, and a second session for the first player.
  const records: Disruption[] = regions.map((region, n) => ({
    id: `d${n}`,
    sessionId: `s${n}`,
    playerId: `p${n}`,
    cause: 'kick',
    commandId: null,
    incidentId: null,
    at: now(),
    snapshot: {
      region,
      shard: `${region}-1`,
      zone: null,
      clientVersion: null,
      licence: n % 2 ? 'premium' : 'free',
      provisional: false,
    },
    outcome: 'pending',
    outcomeReason: null,
  }));
  if (records[0]) records.push({ ...records[0], id: 'dx', sessionId: 'sx' });
  await store.recordDisruptions(records);
  const signals = new SignalService({ store, events, clock: now });
  const followUp = new FollowUp({ store, incidents, signals, audit, clock: now, postmortemDueHours: 48 });
  const compensation = new Compensation({ store, incidents, audit, clock: now, destination: 'grants' });
  return { store, clock, incidents, incident, followUp, compensation, audit };
}

test('grants parse as a count and a unit, and nothing else', () => {
  assert.equal(parseGrant('7 days'), 7 * 86_400);
  assert.equal(parseGrant('1 week'), 604_800);
  assert.equal(parseGrant('12 Hours'), 43_200);
  for (const bad of ['', '0 days', '7', 'seven days', '400 days', '7 days; drop table', '-1 day'])
    assert.throws(() => parseGrant(bad), { code: 'INCIDENT_GRANT_INVALID' }, bad);
});

test('compensation run twice grants once; the dry run counts exactly the grants made', async (t) => {
  const w = await world(t, ['eu', 'na', 'ap', 'eu']);
  await assert.rejects(w.compensation.run(w.incident.id, '7 days', false, 'alice'), {
    code: 'INCIDENT_NOT_RESOLVED',
  });
  await w.incidents.setStatus(w.incident.id, 'resolved', 'alice');
  const dry = await w.compensation.run(w.incident.id, '7 days', true, 'alice');
  assert.equal(dry.dryRun, true);
  assert.equal((await w.store.listGrants(w.incident.id)).length, 0, 'a dry run writes nothing');
  const first = await w.compensation.run(w.incident.id, '7 days', false, 'alice');
  assert.equal(first.granted, dry.granted, "the dry run's count equals the grants made");
  const { impact } = await w.incidents.impact(w.incident.id);
  assert.equal(first.granted, impact.players.affected, 'one grant per affected player');
  const second = await w.compensation.run(w.incident.id, '7 days', false, 'alice');
  assert.equal(second.granted, 0, 'twice grants once');
  assert.equal(second.alreadyGranted, first.granted);
  assert.equal((await w.compensation.run(w.incident.id, '7 days', true, 'alice')).granted, 0);
  const grants = await w.store.listGrants(w.incident.id);
  assert.equal(grants.length, first.granted);
  const queued = await w.store.listOutbox({ destination: 'grants' });
  assert.equal(queued.length, first.granted, 'each grant queued once for the webhook');
  const csv = grantsCsv(grants).trimEnd().split('\r\n');
  assert.equal(csv.length, grants.length + 1);
  assert.match(csv[0] ?? '', /^incident_id,player_id,grant,/);
  const audited = await w.store.listAudit({ action: 'incident.compensate' });
  assert.deepEqual(
    audited.map((e) => (e.details as { granted: number }).granted),
    [first.granted, 0],
  );
});

test('the post-mortem renders every section; 5-whys and action items are stored and edited', async (t) => {
  const w = await world(t, ['eu', 'na']);
  const id = w.incident.id;
  const empty = await w.followUp.write(id, 'alice');
  for (const s of postmortemSections) assert.ok(empty.markdown.includes(`## ${s}\n`), `empty: ${s}`);
  assert.match(empty.markdown, /No 5-whys written yet/);
  await w.followUp.edit(
    id,
    {
      whys: ['players were kicked', 'a script looped'],
      rootCause: 'no | rate limit',
      lessons: { wentWell: ['breaker tripped'], wentBadly: [] },
    },
    'alice',
  );
  const action = await w.followUp.addAction(
    id,
    { title: 'cap kicks', kind: 'preventive', owner: 'bob', dueAt: w.clock.now() + HOUR },
    'alice',
  );
  const { markdown } = await w.followUp.write(id, 'alice');
  for (const s of postmortemSections) assert.ok(markdown.includes(`## ${s}\n`), s);
  assert.match(markdown, /2\. Why\? a script looped/);
  assert.match(markdown, /\*\*Root cause:\*\* no \\\| rate limit/);
  assert.match(markdown, /\| preventive \| cap kicks \| bob \|/);
  assert.match(markdown, /breaker tripped/);
  assert.match(markdown, /RTO \(onset/);
  // Overdue: flagged in the list and by a signal; done, the signal resolves.
  w.clock.advance(2 * HOUR);
  assert.equal((await w.followUp.actions(id))[0]?.overdue, true);
  assert.equal((await w.followUp.check()).overdueActions, 1);
  const open = await w.store.listSignals({ state: 'open', detector: ACTIONS_DETECTOR, limit: 10 });
  assert.equal(open.length, 1);
  assert.match((await w.followUp.write(id, 'alice')).markdown, /OVERDUE/);
  await w.followUp.updateAction(id, action.id, { status: 'done' }, 'alice');
  assert.equal((await w.followUp.check()).overdueActions, 0);
  assert.equal(
    (await w.store.listSignals({ state: 'open', detector: ACTIONS_DETECTOR, limit: 10 })).length,
    0,
  );
  await w.followUp.removeAction(id, action.id, 'alice');
  await assert.rejects(w.followUp.removeAction(id, action.id, 'alice'), {
    code: 'INCIDENT_ACTION_NOT_FOUND',
  });
});

test("a P0's post-mortem not written 48 hours after resolution raises a reminder, which writing resolves", async (t) => {
  const w = await world(t, ['eu']);
  const id = w.incident.id;
  await w.incidents.setStatus(id, 'resolved', 'alice');
  const reminders = () => w.store.listSignals({ state: 'open', detector: POSTMORTEM_DETECTOR, limit: 10 });
  w.clock.advance(48 * HOUR - 1);
  assert.equal((await w.followUp.check()).missingPostmortems, 0, 'not yet due');
  assert.equal((await reminders()).length, 0);
  w.clock.advance(1);
  assert.equal((await w.followUp.check()).missingPostmortems, 1);
  assert.equal((await reminders()).length, 1);
  await w.followUp.check();
  assert.equal((await reminders()).length, 1, 'a repeat updates the open reminder');
  await w.followUp.write(id, 'alice');
  assert.equal((await reminders()).length, 0, 'writing it resolves the reminder');
  assert.equal((await w.followUp.check()).missingPostmortems, 0);
});
