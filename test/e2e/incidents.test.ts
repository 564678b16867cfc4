/**
 * Incidents on a real node (SQLite): declared by hand and run through statuses, roles and notes;
 * a kick and a restore inside its window appear in its timeline in order, and its impact counts
 * are the disruption records; a runaway script tripping the kick breaker declares a P1 by itself,
 * once. Waits on events and on conditions polled to a deadline, never on a sleep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import { breakerCause, IncidentService } from '../../src/incidents/index.ts';
import type { Signal } from '../../src/signals/records.ts';
import {
  addOperator,
  addOperatorWithTotp,
  Client,
  eventually,
  fastCommands,
  getJson,
  login,
  postJson,
  runCliCaptured,
  startLifeline,
  startRestore,
} from '../helpers.ts';
import { TestClock } from '../clock.ts';

async function send(method: string, url: string, body: unknown, token: string) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Resolves with the id of the next incident the app declares (or links to, for `linked`). */
function nextIncident(app: App, change: 'declared' | 'linked'): Promise<string> {
  return new Promise((resolve) => {
    const off = app.events.on('incident.changed', (e) => {
      if (e.change !== change) return;
      off();
      resolve(e.id);
    });
  });
}

/** Logs players in with sockets open; kicks each alone (single tier: no TOTP, no approval). */
async function kickEach(
  t: { after: (fn: () => void) => void },
  urls: { playerUrl: string; adminUrl: string },
  token: string,
  players: { id: string; region: string }[],
): Promise<string[]> {
  const resumeTokens: string[] = [];
  for (const p of players) {
    const session = await login(urls.playerUrl, p.id, p.region, `${p.region}-1`);
    const client = new Client(urls.playerUrl, session.accessToken);
    t.after(() => client.close());
    await client.welcomed;
    const kicked = await postJson(
      `${urls.adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { sessionId: session.sessionId }, reason: 'stuck session' },
      { authorization: `Bearer ${token}` },
    );
    assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
    await client.closed;
    resumeTokens.push(client.messages.at(-1).resumeToken as string);
  }
  return resumeTokens;
}

test('declared by hand: statuses, roles, notes; a kick and restore in its window are its timeline and its impact', async (t) => {
  const { app, playerUrl, adminUrl, dataDir } = await startLifeline(t, {
    overrides: { ...fastCommands, entitlements: { licences: { 'p-free': 'free' } } },
  });
  const carol = await addOperator(app, 'carol', 'operator');
  const dave = await addOperator(app, 'dave', 'operator');
  const viewer = await addOperator(app, 'vic', 'viewer');
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const base = `${adminUrl}/admin/v1/incidents`;

  const refused = await postJson(base, { title: 'nope' }, { authorization: `Bearer ${viewer}` });
  assert.equal(refused.body.error.code, 'OPERATOR_FORBIDDEN');
  const declared = await postJson(
    base,
    { title: 'players stuck in eu and na', impact: { players: 3, regions: 2 }, roles: { scribe: 'dave' } },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const incident = declared.body.incident;
  const id = incident.id as string;
  assert.equal(incident.severity, 'P1', 'two regions reach the P1 threshold');
  assert.equal(incident.severityReason, 'regions 2 >= 2 (P1)');
  assert.deepEqual(incident.currentRoles, { commander: 'carol', scribe: 'dave' });
  assert.deepEqual(
    incident.phases.map((p: any) => [p.key, p.dueAt === null ? null : p.dueAt - incident.detectedAt]),
    [
      ['detection', 5 * 60_000],
      ['containment', 30 * 60_000],
      ['investigation', 240 * 60_000],
      ['resolution', 480 * 60_000],
      ['recovery', null],
    ],
  );

  // A move the machine does not allow is refused with a code and changes nothing.
  const bad = await send('PATCH', `${base}/${id}/status`, { status: 'closed' }, carol);
  assert.equal(bad.status, 409);
  assert.equal(bad.body.error.code, 'INCIDENT_TRANSITION');
  assert.deepEqual(bad.body.error.allowed, ['identified', 'monitoring', 'resolved']);
  const unchanged = (await getJson(`${base}/${id}`, carol)).body.incident;
  assert.equal(unchanged.status, 'investigating');
  assert.equal(unchanged.version, incident.version);

  // The kicks and the restore inside the window.
  const resumeTokens = await kickEach(t, { playerUrl, adminUrl }, carol, [
    { id: 'p-eu', region: 'eu' },
    { id: 'p-na', region: 'na' },
    { id: 'p-free', region: 'na' },
  ]);
  assert.equal((await send('PATCH', `${base}/${id}/status`, { status: 'identified' }, carol)).status, 200);
  const restoreId = await startRestore(adminUrl, alice, {
    from: incident.startedAt,
    to: Date.now(),
    pacing: { mode: 'fixed', batchSize: 10, intervalMs: 100 },
  });
  const paused = await postJson(
    `${adminUrl}/admin/v1/restores/${restoreId}/pause`,
    { reason: 'check db' },
    alice.auth,
  );
  assert.equal(paused.status, 200, JSON.stringify(paused.body));
  const resumed = await postJson(
    `${adminUrl}/admin/v1/restores/${restoreId}/resume`,
    { reason: 'db fine' },
    alice.auth,
  );
  assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
  for (const resumeToken of resumeTokens) {
    await eventually(async () => {
      const r = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
      return r.status === 200 ? true : undefined;
    });
  }
  await eventually(async () => {
    const s = (await getJson(`${adminUrl}/admin/v1/restores/${restoreId}`, carol)).body;
    return s.restore.state === 'done' ? true : undefined;
  });

  // Roles: carol hands command to dave; the ledger keeps both, with the hand-off time.
  const handed = await postJson(
    `${base}/${id}/roles`,
    { role: 'commander', operator: 'dave' },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(handed.status, 200, JSON.stringify(handed.body));
  const commanders = handed.body.incident.roles.filter((r: any) => r.role === 'commander');
  assert.deepEqual(
    commanders.map((r: any) => [r.operator, r.by]),
    [
      ['carol', 'carol'],
      ['dave', 'carol'],
    ],
  );
  assert.ok(commanders[1].at >= commanders[0].at);
  const unknown = await postJson(
    `${base}/${id}/roles`,
    { role: 'comms', operator: 'nobody' },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(unknown.body.error.code, 'OPERATOR_NOT_FOUND');

  // A note, and its time corrected by the commander only (the time first written stays).
  const noted = await postJson(
    `${base}/${id}/notes`,
    { text: 'found the stuck shard' },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(noted.status, 201);
  const note = noted.body.incident.notes[0];
  const earlier = incident.startedAt;
  const byCarol = await send(
    'PATCH',
    `${base}/${id}/notes/${note.id}`,
    { at: earlier, reason: 'it was first' },
    carol,
  );
  assert.equal(byCarol.body.error.code, 'INCIDENT_NOT_COMMANDER');
  const byDave = await send(
    'PATCH',
    `${base}/${id}/notes/${note.id}`,
    { at: earlier, reason: 'it was first' },
    dave,
  );
  assert.equal(byDave.status, 200, JSON.stringify(byDave.body));
  const corrected = byDave.body.incident.notes[0];
  assert.equal(corrected.at, note.at);
  assert.equal(corrected.effectiveAt, earlier);
  assert.deepEqual(
    corrected.corrections.map((c: any) => [c.at, c.by]),
    [[earlier, 'dave']],
  );
  const item = await send('PATCH', `${base}/${id}/checklist/detection/verify`, { done: true }, dave);
  assert.equal(item.body.incident.phases[0].items[0].doneBy, 'dave');
  const noItem = await send('PATCH', `${base}/${id}/checklist/detection/nothing`, { done: true }, dave);
  assert.equal(noItem.body.error.code, 'INCIDENT_CHECKLIST_ITEM');

  for (const status of ['monitoring', 'resolved']) {
    assert.equal((await send('PATCH', `${base}/${id}/status`, { status }, dave)).status, 200);
  }
  const resolved = (await getJson(`${base}/${id}`, carol)).body.incident;
  assert.ok(resolved.timeToMitigateMs >= 0 && resolved.resolvedAt >= resolved.mitigatedAt);

  // The timeline: everything above, in order, with nothing typed again.
  const timeline = (await getJson(`${base}/${id}/timeline`, viewer)).body;
  const kinds = timeline.items.map((i: any) => i.kind);
  const times = timeline.items.map((i: any) => i.at);
  assert.deepEqual(
    times,
    [...times].sort((a: number, b: number) => a - b),
    'ordered by time',
  );
  const noteItem = timeline.items.find((i: any) => i.kind === 'note');
  assert.equal(noteItem.at, earlier, 'the note shows at its corrected time');
  assert.ok(timeline.items.indexOf(noteItem) < kinds.indexOf('command'), 'so before the kicks');
  const order = ['command', 'restore', 'restore-pause', 'restore-resume'].map((k) => kinds.indexOf(k));
  assert.ok(
    order.every((i, n) => i >= 0 && (n === 0 || i > (order[n - 1] as number))),
    kinds.join(','),
  );
  assert.ok(
    kinds.lastIndexOf('restore') > kinds.indexOf('restore-resume'),
    'the restore ends after its pause',
  );
  assert.equal(kinds.filter((k: string) => k === 'command').length >= 3, true);
  assert.deepEqual(timeline.links.restores, [restoreId], 'the restore of its window is linked');
  assert.equal(timeline.links.commands.length, 3, 'and the three kicks');
  const pauseItem = timeline.items.find((i: any) => i.kind === 'restore-pause');
  assert.equal(pauseItem.actor, 'alice');
  const refAudit = await getJson(
    `${adminUrl}/admin/v1/audit?afterSeq=${Number(pauseItem.ref.id) - 1}&limit=1`,
    alice.token,
  );
  assert.equal(refAudit.body.entries[0].action, 'restore.pause', 'each item names its record');

  // Impact: the counts are the disruption records of the window.
  const records = (await getJson(`${adminUrl}/admin/v1/disruptions?from=${incident.startedAt}`, carol)).body
    .disruptions;
  const impact = (await getJson(`${base}/${id}/impact`, carol)).body.impact;
  assert.equal(impact.players.records, records.length);
  assert.equal(impact.players.affected, new Set(records.map((d: any) => d.playerId)).size);
  assert.deepEqual(impact.players.byRegion, { eu: 1, na: 2 });
  assert.equal(impact.players.paying, records.filter((d: any) => d.snapshot.licence !== 'free').length);
  assert.deepEqual(impact.players.byLicence, { free: 1, standard: 2 });
  const lastBack = Math.max(...records.map((d: any) => d.settledAt));
  assert.equal(impact.rto.ms, lastBack - incident.startedAt, 'RTO: onset to the last player back');
  assert.equal(impact.rpo.recordsNotFinal, 0);
  assert.equal(impact.rpo.met, true);

  // Every change is in the audit log.
  const audit = (await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, alice.token)).body.entries;
  assert.deepEqual(
    audit.filter((e: any) => e.target === `incident:${id}`).map((e: any) => e.action),
    [
      'incident.declare',
      'incident.status',
      'incident.role',
      'incident.note',
      'incident.note.correct',
      'incident.checklist',
      'incident.status',
      'incident.status',
    ],
  );

  // The CLI reads the same.
  const cli = (...args: string[]) =>
    runCliCaptured([...args, '--token', carol], { LIFELINE_ADMIN_URL: adminUrl }, dataDir);
  const listed = await cli('incident', 'list', '--json');
  assert.deepEqual(
    listed.json.incidents.map((i: any) => i.id),
    [id],
  );
  const shown = await cli('incident', 'timeline', id);
  assert.equal(shown.code, 0, shown.out);
  assert.match(shown.out, /restore-pause\talice\trestore .* paused/);
  const impactOut = await cli('incident', 'impact', id);
  assert.match(impactOut.out, /players affected 3 \(3 records; paying 2\) eu=1 na=2/);
  const closedCli = await cli('incident', 'status', id, 'closed', '--json');
  assert.equal(closedCli.json.error.code, 'INCIDENT_TRANSITION');
});

test('a runaway kick script trips the breaker, which declares a P1 by itself, once; signals join it', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fastCommands, breaker: { minKicks: 5, onlinePercent: 0.1, windowSeconds: 60 } },
  });
  const bot = await addOperator(app, 'ci-bot', 'operator');
  const viewer = await addOperator(app, 'vic', 'viewer');
  const players = await Promise.all(
    Array.from({ length: 12 }, (_, i) => login(playerUrl, `run-${i}`, 'eu', 'eu-1')),
  );
  const declared = nextIncident(app, 'declared');
  const answers: number[] = [];
  for (const p of players) {
    const res = await postJson(
      `${adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { sessionId: p.sessionId }, reason: 'cleanup' },
      { authorization: `Bearer ${bot}` },
    );
    answers.push(res.status);
  }
  const kicked = answers.filter((s) => s === 200).length;
  assert.equal(kicked, 5, 'the cap');
  const id = await declared;

  const list = (await getJson(`${adminUrl}/admin/v1/incidents`, viewer)).body.incidents;
  assert.equal(list.length, 1, 'one trip, one incident');
  const incident = list[0];
  assert.equal(incident.id, id);
  assert.equal(incident.severity, 'P1');
  assert.equal(incident.declaredBy, 'auto:breaker');
  assert.match(incident.title, /^Kick breaker tripped: /);
  const breaker = (await getJson(`${adminUrl}/admin/v1/breaker`, viewer)).body.breaker;
  assert.equal(incident.detectedAt, breaker.changedAt);
  assert.equal(incident.causeKey, `breaker:kick@${breaker.changedAt}`);
  // The onset is the first kick of the window that tripped it (its audit entry), not the
  // window's start: RTO runs from when the first player went out.
  const auditor = (await addOperatorWithTotp(app, 'aud-onset', 'auditor')).token;
  const requests = (await getJson(`${adminUrl}/admin/v1/audit?action=command.request`, auditor)).body;
  const firstKick = Math.min(...(requests.entries as { at: number }[]).map((e) => e.at));
  assert.equal(incident.startedAt, firstKick, 'the onset is the first kick');
  assert.ok(incident.startedAt > incident.detectedAt - 60_000, 'inside the breaker window');

  // The same trip heard again (a replayed event) declares nothing more.
  const before = (
    await getJson(
      `${adminUrl}/admin/v1/audit?action=incident.declare`,
      (
        await addOperatorWithTotp(app, 'aud', 'auditor')
      ).token,
    )
  ).body.entries.length;
  assert.equal(before, 1);
  app.events.emit('breaker.changed', { name: 'kick', state: 'open' });
  // A P1 signal while it runs joins it; its replay (an update) adds nothing.
  const signal: Signal = {
    id: 'sig-1',
    source: 'detector',
    detector: 'players-online',
    severity: 'P1',
    title: 'players online down 3% in eu',
    dimensions: { region: 'eu' },
    fingerprint: 'players-online|region=eu',
    onsetAt: breaker.changedAt - 1000,
    startedAt: breaker.changedAt + 1,
    resolvedAt: null,
    evidence: { statistic: 1, threshold: 1, observed: 1, expected: 1 },
    localisation: [],
    incidentId: null,
  };
  const linked = nextIncident(app, 'linked');
  app.events.emit('signal.changed', { signal, change: 'raised' });
  assert.equal(await linked, id);
  app.events.emit('signal.changed', { signal, change: 'updated' });
  const relinked = nextIncident(app, 'linked');
  app.events.emit('signal.changed', { signal: { ...signal, id: 'sig-2', severity: 'P3' }, change: 'raised' });
  assert.equal(
    await relinked,
    id,
    'the events are handled in order: the replays before this one did nothing',
  );
  assert.equal((await getJson(`${adminUrl}/admin/v1/incidents`, viewer)).body.incidents.length, 1);
  const detail = (await getJson(`${adminUrl}/admin/v1/incidents/${id}`, viewer)).body.incident;
  assert.deepEqual(
    detail.signals.map((s: any) => s.id),
    ['sig-1', 'sig-2'],
  );

  const timeline = (await getJson(`${adminUrl}/admin/v1/incidents/${id}/timeline`, viewer)).body.items;
  const kinds = timeline.map((i: any) => i.kind);
  assert.equal(
    timeline.filter((i: any) => i.kind === 'command' && i.summary.startsWith('kick requested')).length,
    kicked,
    'every kick that went through (a refused one is audited as the trip, not as a request)',
  );
  assert.ok(kinds.lastIndexOf('command') < kinds.indexOf('breaker'), 'the kicks, then the trip');
  assert.ok(kinds.indexOf('breaker') < kinds.indexOf('incident'), 'then the declaration');
  assert.ok(kinds.includes('signal'));
  const impact = (await getJson(`${adminUrl}/admin/v1/incidents/${id}/impact`, viewer)).body.impact;
  assert.equal(impact.players.records, kicked, 'the kicks that tripped it are its disruption records');
  assert.equal(impact.rpo.recordsNotFinal, kicked, 'none restored yet');
  assert.equal(impact.rto.ms, null);
});

test('on a virtual clock: time boxes fall due, and time to detect and to mitigate are exact', async (t) => {
  const clock = new TestClock(Date.UTC(2026, 10, 21, 13, 50));
  const { app, adminUrl } = await startLifeline(t, { clock: clock.now });
  const carol = await addOperator(app, 'carol', 'operator');
  const base = `${adminUrl}/admin/v1/incidents`;
  const startedAt = clock.now() - 2 * 60_000;
  const declared = await postJson(
    base,
    { title: 'login failures in eu', severity: 'P0', startedAt: new Date(startedAt).toISOString() },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const id = declared.body.incident.id as string;
  assert.equal(declared.body.incident.timeToDetectMs, 2 * 60_000, 'declared now, started two minutes ago');
  assert.equal(declared.body.incident.severityReason, 'set by carol');

  clock.advance(5 * 60_000 + 1);
  const later = (await getJson(`${base}/${id}`, carol)).body.incident;
  assert.deepEqual(
    later.phases.map((p: any) => [p.key, p.overdue]),
    [
      ['detection', true],
      ['containment', false],
      ['investigation', false],
      ['resolution', false],
      ['recovery', false],
    ],
    'five minutes after detection, triage is overdue',
  );
  for (const item of ['verify', 'severity', 'systems', 'declare']) {
    await send('PATCH', `${base}/${id}/checklist/detection/${item}`, { done: true }, carol);
  }
  const triaged = (await getJson(`${base}/${id}`, carol)).body.incident;
  assert.deepEqual([triaged.phases[0].done, triaged.phases[0].overdue], [true, false]);

  clock.advance(10 * 60_000);
  const mitigated = await send('PATCH', `${base}/${id}/status`, { status: 'monitoring' }, carol);
  assert.equal(mitigated.body.incident.timeToMitigateMs, 17 * 60_000 + 1);
  clock.advance(60_000);
  const resolved = await send('PATCH', `${base}/${id}/status`, { status: 'resolved' }, carol);
  assert.equal(resolved.body.incident.timeToResolveMs, 18 * 60_000 + 1);
  assert.equal(
    resolved.body.incident.timeToMitigateMs,
    17 * 60_000 + 1,
    'mitigation is kept at its first time',
  );
  const future = await postJson(
    `${base}/${id}/notes`,
    { text: 'from the future', at: clock.now() + 1 },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(future.body.error.code, 'INCIDENT_TIME_INVALID');
});

test('one cause declares one incident, even when two services race for it', async (t) => {
  const { app } = await startLifeline(t);
  const other = new IncidentService({
    store: app.store,
    audit: app.audit,
    events: app.events,
    clock: Date.now,
    settings: app.incidents.settings,
  });
  const state = {
    name: 'kick',
    state: 'open' as const,
    changedAt: Date.now(),
    changedBy: 'ci-bot',
    reason: 'test',
  };
  const cause = breakerCause(state, 60);
  const results = await Promise.all([app.incidents.declareFor(cause), other.declareFor(cause)]);
  assert.deepEqual(results.map((r) => r.kind).sort(), ['declared', 'duplicate']);
  const incidents = await app.store.listIncidents({});
  assert.equal(incidents.length, 1);
  assert.equal(incidents[0]?.causeKey, `breaker:kick@${state.changedAt}`);
  assert.equal(incidents[0]?.startedAt, state.changedAt - 60_000);
  const declares = await app.store.listAudit({ action: 'incident.declare' });
  assert.equal(declares.length, 1, 'the loser audits nothing');
});

test("a breaker incident's onset is the first kick of the storm that tripped it, however many windows it spans", async (t) => {
  const clock = new TestClock(Date.UTC(2026, 10, 21, 13, 0));
  const { app } = await startLifeline(t, { clock: clock.now });
  const kick = (target: string) =>
    app.audit.append({ actor: 'ci-bot', action: 'command.request', target, details: {}, result: 'done' });
  const start = clock.now();
  await kick('session:lone'); // a kick long before, with more than a window of quiet after it
  clock.advance(200_000);
  const first = clock.now();
  await kick('session:a');
  clock.advance(10_000);
  await kick('operator:eve'); // an operator change is a command too, not a kick
  for (const id of ['b', 'c', 'd']) {
    clock.advance(50_000); // each within a 60-s window of the one before: one storm
    await kick(`session:${id}`);
  }
  clock.advance(5_000);
  const trip = clock.now();
  assert.equal(await app.incidents.firstKickAt(trip, 60_000), first, 'back through the storm, not before it');
  assert.equal(await app.incidents.firstKickAt(start - 1, 60_000), null, 'no kick before the first');
  const state = {
    name: 'kick',
    state: 'open' as const,
    changedAt: trip,
    changedBy: 'ci-bot',
    reason: 'test',
  };
  assert.equal(breakerCause(state, 60, first).startedAt, first);
  assert.equal(breakerCause(state, 60, null).startedAt, trip - 60_000, "without a kick, the window's start");
});
