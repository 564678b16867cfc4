/**
 * The status page in a real browser (playwright-core driving Debian's chromium) while the
 * runaway-kick story plays on a real node: a script of single kicks trips the breaker, which
 * declares a P1 by itself; the page shows the game sessions in major outage; the operator's
 * updates appear in order; after the resolve, the all clear and every component operational.
 * The same trip on one in-process node, checked in detail (names, words, nothing loaded from
 * elsewhere); test/e2e/drill-incident.test.ts reads the page during the runaway-kick drill itself.
 * Skipped when chromium is not installed, unless CI=true. Waits on events and on the page's content, never on a sleep.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { addOperator, login, postJson, startLifeline } from '../helpers.ts';

const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip = executablePath === undefined && process.env.CI !== 'true' ? 'chromium is not installed' : false;

async function send(method: string, url: string, body: unknown, token: string) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('the status page in a browser: major outage on the trip, the updates in order, then the all clear', {
  skip,
}, async (t) => {
  assert.ok(executablePath, 'CI=true requires chromium (apt-get install chromium)');
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: {
      admin: { rateLimit: { perSecond: 100_000, burst: 100_000 } },
      commands: { holdSeconds: 0 },
      breaker: { minKicks: 5, onlinePercent: 0.1, windowSeconds: 60 },
      comms: { statusCacheSeconds: 0 },
    },
  });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(playerUrl)) external.push(r.url());
  });
  const state = (id: string) => page.getAttribute(`#component-${id}`, 'data-status');

  await page.goto(`${playerUrl}/status`);
  assert.equal(await page.textContent('#overall'), 'All Systems Operational');
  assert.equal(await state('sessions-eu'), 'operational');

  // The runaway script: single kicks until the breaker trips and declares a P1.
  const bot = await addOperator(app, 'ci-bot', 'operator');
  const carol = await addOperator(app, 'carol', 'operator');
  const players = await Promise.all(
    Array.from({ length: 12 }, (_, i) => login(playerUrl, `run-${i}`, 'eu', 'eu-1')),
  );
  const told = new Promise<string>((resolve) => {
    const off = app.events.on('comms.told', (e) => {
      off();
      resolve(e.incidentId);
    });
  });
  for (const p of players) {
    await postJson(
      `${adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { sessionId: p.sessionId }, reason: 'cleanup' },
      { authorization: `Bearer ${bot}` },
    );
  }
  const id = await told;
  await page.reload();
  assert.equal(await state('sessions-eu'), 'major_outage');
  assert.equal(
    await page.textContent('#component-sessions-eu .state'),
    'Major outage',
    'written out, not only a colour',
  );
  assert.equal(await page.textContent('#overall'), 'Major System Outage');
  assert.equal(await page.textContent(`#incident-${id}-name`), 'Service disruption');

  // The commander's updates, then the resolve.
  const updates = `${adminUrl}/admin/v1/incidents/${id}/updates`;
  assert.equal(
    (await send('POST', updates, { message: 'A script kicked players; it is stopped.' }, carol)).status,
    201,
  );
  assert.equal(
    (await send('PATCH', `${adminUrl}/admin/v1/incidents/${id}/status`, { status: 'identified' }, carol))
      .status,
    200,
  );
  assert.equal(
    (await send('POST', updates, { message: 'Kicked players are being brought back.' }, carol)).status,
    201,
  );
  assert.equal(
    (await send('PATCH', `${adminUrl}/admin/v1/incidents/${id}/status`, { status: 'resolved' }, carol))
      .status,
    200,
  );
  await page.reload();
  const shown = await page.$$eval(`#incident-${id} ol.updates pre`, (els) =>
    els.map((e) => e.textContent ?? ''),
  );
  const expected = [
    /Service Alert/,
    /A script kicked players/,
    /: identified\./,
    /being brought back/,
    /All Clear/,
  ];
  assert.equal(shown.length, expected.length, shown.join('\n---\n'));
  for (const [i, re] of expected.entries()) assert.match(shown[i] ?? '', re);
  assert.equal(await page.textContent('#overall'), 'All Systems Operational');
  assert.equal(await state('sessions-eu'), 'operational');
  assert.deepEqual(external, [], 'the page loads nothing from elsewhere');
});
