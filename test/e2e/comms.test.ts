/**
 * Incident communication on one real node (SQLite, in-process bus, a virtual clock): in-game
 * notices reach every socket of the regions named and none outside them, at most one per player
 * per `comms.noticeIntervalSeconds`; an unchanged state sends nothing; the public status page
 * (`/status/summary.json` and `/status`) follows the incident from major outage, through its
 * updates in order, to the all clear. Waits on frames and events, never on a sleep.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { TestClock } from '../clock.ts';
import {
  addOperator,
  Client,
  eventually,
  getJson,
  login,
  postJson,
  announcements,
  nextAnnouncement,
  runCliCaptured,
  startLifeline,
} from '../helpers.ts';

async function send(method: string, url: string, body: unknown, token: string) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('notices reach every socket of a region and none outside; the status page tells the story', async (t) => {
  const clock = new TestClock();
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: {
      comms: { statusCacheSeconds: 0, noticeIntervalSeconds: 60, statusUrl: 'https://status.example.com' },
    },
  });
  const carol = await addOperator(app, 'carol', 'operator');
  const clients: Record<string, Client[]> = { eu: [], na: [], ap: [] };
  const where = [
    ['p-eu-1', 'eu'],
    ['p-eu-2', 'eu'],
    ['p-na-1', 'na'],
    ['p-ap-1', 'ap'],
  ] as const;
  for (const [player, region] of where) {
    const s = await login(playerUrl, player, region);
    const c = new Client(playerUrl, s.accessToken);
    t.after(() => c.close());
    await c.welcomed;
    clients[region]?.push(c);
  }
  const everyone = Object.values(clients).flat();
  const summary = async () => (await getJson(`${playerUrl}/status/summary.json`)).body;
  const sessionsState = async () =>
    Object.fromEntries((await summary()).components.map((c: any) => [c.id, c.status]));
  assert.deepEqual(await getJson(`${playerUrl}/status/worst`), {
    status: 200,
    body: { status: 'operational' },
  });

  // Declared: the announcement goes to every region's sockets.
  const first = everyone.map(nextAnnouncement);
  const declared = await postJson(
    `${adminUrl}/admin/v1/incidents`,
    { title: 'Logins fail in Europe', severity: 'P1' },
    { authorization: `Bearer ${carol}` },
  );
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const id = declared.body.incident.id as string;
  const announced = await Promise.all(first);
  assert.ok(announced.every((m) => m.level === 'critical' && /Service Alert/.test(m.text)));
  const worst = await fetch(`${playerUrl}/status/worst`);
  assert.deepEqual(await worst.json(), { status: 'major_outage' });
  assert.equal(worst.headers.get('cache-control'), 'public, max-age=0');
  assert.equal((await sessionsState())['sessions-ap'], 'major_outage');

  // Within the per-player interval, a new notice reaches nobody who had one; the update is still
  // told to the destinations and the page.
  const soon = await send(
    'POST',
    `${adminUrl}/admin/v1/incidents/${id}/updates`,
    { message: 'Looking into it.' },
    carol,
  );
  assert.equal(soon.status, 201, JSON.stringify(soon.body));
  for (const c of everyone) assert.equal((await announcements(c)).length, 1, 'rate-limited per player');

  // Later, an update for eu: every eu socket, no other.
  clock.advance(61_000);
  const euGot = clients.eu?.map(nextAnnouncement) ?? [];
  const sentCount = new Promise<number>((resolve) => {
    const off = app.events.on('notice.sent', (e) => {
      off();
      resolve(e.sockets);
    });
  });
  const eu = await send(
    'POST',
    `${adminUrl}/admin/v1/incidents/${id}/updates`,
    { message: 'A fix is rolling out to Europe.', regions: ['eu'], eta: '20 minutes' },
    carol,
  );
  assert.equal(eu.status, 201, JSON.stringify(eu.body));
  const euMessages = await Promise.all(euGot);
  assert.equal(await sentCount, 2, 'both eu sockets and nothing else');
  assert.ok(
    euMessages.every((m) => /A fix is rolling out to Europe\.\nAffected: eu\.\nETA: 20 minutes/.test(m.text)),
  );
  for (const c of [...(clients.na ?? []), ...(clients.ap ?? [])]) {
    assert.equal((await announcements(c)).length, 1, 'no socket outside eu heard it');
  }
  const states = await sessionsState();
  assert.equal(states['sessions-eu'], 'major_outage');
  assert.equal(states['sessions-na'], 'operational', 'the incident now concerns eu only');

  // The same update again: nothing is sent, to anyone.
  clock.advance(61_000);
  const same = await send(
    'POST',
    `${adminUrl}/admin/v1/incidents/${id}/updates`,
    { message: 'A fix is rolling out to Europe.', regions: ['eu'], eta: '20 minutes' },
    carol,
  );
  assert.equal(same.status, 200);
  assert.equal(same.body.sent, false);
  for (const c of everyone) {
    const had = c.messages.filter((m) => m.type === 'announcement').length;
    assert.equal((await announcements(c)).length, had, 'an unchanged state sends nothing');
  }

  // Resolved: the all clear, to eu.
  const clear = clients.eu?.map(nextAnnouncement) ?? [];
  assert.equal(
    (await send('PATCH', `${adminUrl}/admin/v1/incidents/${id}/status`, { status: 'resolved' }, carol))
      .status,
    200,
  );
  assert.ok((await Promise.all(clear)).every((m) => m.level === 'info' && /^✅ All Clear/.test(m.text)));

  const final = await summary();
  assert.equal(final.status.indicator, 'none');
  assert.ok(final.components.every((c: any) => c.status === 'operational'));
  const [incident] = final.incidents;
  assert.equal(incident.id, id);
  assert.equal(incident.name, 'Logins fail in Europe');
  assert.equal(incident.status, 'resolved');
  assert.deepEqual(incident.incident_updates.map((u: any) => u.status).reverse(), [
    'investigating',
    'investigating',
    'investigating',
    'resolved',
  ]);
  assert.match(incident.incident_updates[0].body, /All Clear/);
  assert.ok(!JSON.stringify(final).includes('carol'), 'no operator name on the public page');

  const html = await fetch(`${playerUrl}/status`);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const page = await html.text();
  const order = ['Service Alert', 'Looking into it.', 'A fix is rolling out to Europe.', 'All Clear'].map(
    (s) => page.indexOf(s),
  );
  assert.ok(order.every((i) => i > 0));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    'the updates in order, oldest first',
  );

  const listed = await getJson(`${adminUrl}/admin/v1/incidents/${id}/updates`, carol);
  assert.deepEqual(
    listed.body.updates.map((u: any) => u.kind),
    ['announcement', 'update', 'update', 'all-clear'],
  );
});

test('a hostile update is refused with a code and tells nothing', async (t) => {
  const { app, adminUrl } = await startLifeline(t);
  const carol = await addOperator(app, 'carol', 'operator');
  const viewer = await addOperator(app, 'vic', 'viewer');
  const declared = await postJson(
    `${adminUrl}/admin/v1/incidents`,
    { title: 'Something', severity: 'P1' },
    { authorization: `Bearer ${carol}` },
  );
  const id = declared.body.incident.id as string;
  const url = `${adminUrl}/admin/v1/incidents/${id}/updates`;
  const cases: [unknown, string, string][] = [
    [{ message: 'x' }, viewer, 'OPERATOR_FORBIDDEN'],
    [{ message: '' }, carol, 'VALIDATION_FAILED'],
    [{ message: 'x'.repeat(2001) }, carol, 'VALIDATION_FAILED'],
    [{ message: 'x', regions: ['mars'] }, carol, 'UNKNOWN_REGION'],
    [{ message: 'x', shards: ['eu-9'] }, carol, 'UNKNOWN_SHARD'],
    [{ message: 'x', extra: 1 }, carol, 'VALIDATION_FAILED'],
    [{ message: 'bell\u0007' }, carol, 'VALIDATION_FAILED'],
  ];
  for (const [body, token, code] of cases) {
    const r = await send('POST', url, body, token);
    assert.equal(r.body.error?.code, code, JSON.stringify(body));
  }
  assert.equal(
    (await send('POST', `${adminUrl}/admin/v1/incidents/nope/updates`, { message: 'x' }, carol)).body.error
      .code,
    'INCIDENT_NOT_FOUND',
  );
  const listed = await getJson(url, carol);
  assert.deepEqual(
    listed.body.updates.map((u: any) => u.kind),
    ['announcement'],
  );
});

test('lifeline incident update and updates: sent once, then "already sent"; refused input exits non-zero', async (t) => {
  const { app, adminUrl, dataDir } = await startLifeline(t);
  const carol = await addOperator(app, 'carol', 'operator');
  const declared = await postJson(
    `${adminUrl}/admin/v1/incidents`,
    { title: 'Logins fail', severity: 'P0' },
    { authorization: `Bearer ${carol}` },
  );
  const id = declared.body.incident.id as string;
  const cli = (...args: string[]) =>
    runCliCaptured([...args, '--token', carol], { LIFELINE_ADMIN_URL: adminUrl }, dataDir);
  const update = [
    'incident',
    'update',
    id,
    '--message',
    'We found it.',
    '--regions',
    'eu,na',
    '--eta',
    'soon',
  ];
  const first = await cli(...update);
  assert.equal(first.code, 0, first.out);
  assert.match(
    first.out,
    /^sent\n.*\tupdate\tinvestigating\teu,na\nUpdate on Logins fail: investigating\.\nWe found it\./,
  );
  const second = await cli(...update);
  assert.match(second.out, /^already sent, not sent again/);
  const bad = await cli('incident', 'update', id, '--message', 'x', '--regions', 'mars', '--json');
  assert.notEqual(bad.code, 0);
  assert.equal(bad.json.error.code, 'UNKNOWN_REGION');
  const listed = await cli('incident', 'updates', id, '--json');
  assert.deepEqual(
    listed.json.updates.map((u: any) => u.kind),
    ['announcement', 'update'],
  );
});

test('public messages reach a destination marked for them, signed, once each; an unmarked one gets none', async (t) => {
  const got: Record<string, any[]> = { status: [], ops: [] };
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      got[(req.url ?? '/').slice(1)]?.push({
        body: JSON.parse(body),
        signature: req.headers['x-lifeline-signature'],
      });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => receiver.close());
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const secret = 'a-webhook-secret-of-16+';
  const { app, adminUrl } = await startLifeline(t, {
    overrides: {
      routing: {
        tickMs: 50,
        destinations: [
          { name: 'status', kind: 'webhook', url: `${base}/status`, secret, announcements: true },
          { name: 'ops', kind: 'webhook', url: `${base}/ops`, secret },
        ],
      },
    } as never,
  });
  const carol = await addOperator(app, 'carol', 'operator');
  const declared = await postJson(
    `${adminUrl}/admin/v1/incidents`,
    { title: 'Logins fail', severity: 'P1' },
    { authorization: `Bearer ${carol}` },
  );
  const id = declared.body.incident.id as string;
  const url = `${adminUrl}/admin/v1/incidents/${id}/updates`;
  assert.equal((await send('POST', url, { message: 'Found it.' }, carol)).status, 201);
  assert.equal((await send('POST', url, { message: 'Found it.' }, carol)).body.sent, false);
  // Every message the store holds for it was sent: nothing more is on its way. The receiver has a
  // message before the sender has its answer and marks it sent, so the wait is for both.
  await eventually(async () =>
    got.status?.length === 2 &&
    (await app.store.listOutbox({ destination: 'status', state: 'pending' })).length === 0
      ? true
      : undefined,
  );
  assert.equal(got.status?.length, 2, 'the announcement and the update, once each');
  assert.deepEqual(
    got.status?.map((m) => [m.body.version, m.body.kind, m.body.incidentId]),
    [
      ['lifeline-comms/1', 'announcement', id],
      ['lifeline-comms/1', 'update', id],
    ],
  );
  assert.ok(
    got.status?.every((m) => /^v1=[0-9a-f]{64}$/.test(m.signature)),
    'signed like any webhook',
  );
  assert.deepEqual(
    await app.store.listOutbox({ destination: 'ops' }),
    [],
    'the alert channel got no public message',
  );
  assert.deepEqual(got.ops, []);
});
