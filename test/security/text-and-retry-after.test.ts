/**
 * Issue 12, finding 7: free text from players and operators (clientVersion, reasons, the
 * maintenance message) was taken with control characters, which forge lines in logs and the audit
 * trail and garble consoles; and a Retry-After set by a flag had no bound, so a typo sent every
 * player away for days. Text with a control character is refused naming the field, changing
 * nothing; every Retry-After is 1–3600 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperatorWithTotp, login, postJson, startLifeline } from '../helpers.ts';

/** One of each kind: C0 (newline, ESC, NUL), DEL and C1 (NEL, CSI). */
const controls = ['\n', '\u001b[2J', '\u0000', '\u007f', '\u0085', '\u009b'];
/** Many refused requests in a row: the admin rate limit is not what is under test here. */
const unlimited = { overrides: { admin: { rateLimit: { perSecond: 1000, burst: 1000 } } } };

test('clientVersion with a control character: 400 VALIDATION_FAILED naming it, and no session', async (t) => {
  const { app, playerUrl } = await startLifeline(t);
  for (const c of controls) {
    const res = await postJson(`${playerUrl}/v1/login`, {
      playerId: 'p1',
      region: 'na',
      shard: 'na-1',
      clientVersion: `1.0${c}INFO admin logged in`,
    });
    assert.equal(res.status, 400, JSON.stringify(c));
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.match(res.body.error.message, /clientVersion must not contain control characters/);
  }
  assert.equal((await app.live.countSessions({})).total, 0, 'no session was created');
  const ok = await postJson(`${playerUrl}/v1/login`, {
    playerId: 'p1',
    region: 'na',
    shard: 'na-1',
    clientVersion: '1.0.3+build.7 «ünïcode»',
  });
  assert.equal(ok.status, 200, 'printable text, Unicode included, is still fine');
});

test('a reason with a control character is refused on kick, halt, ban and unban, and nothing is audited', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, unlimited);
  await login(playerUrl, 'victim', 'na', 'na-1');
  const admin = await addOperatorWithTotp(app, 'alice', 'admin');
  const before = (await app.audit.head())?.seq ?? 0;
  const send = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { ...admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };
  for (const c of controls) {
    const reason = `cheating${c}report`;
    const refused = [
      await send('POST', '/admin/v1/commands', {
        action: 'kick',
        selector: { playerId: 'victim' },
        reason,
      }),
      await send('POST', '/admin/v1/commands/cmd-x/halt', { reason }),
      await send('POST', '/admin/v1/bans', { playerId: 'victim', reason }),
      await send('DELETE', '/admin/v1/bans/victim', { reason }),
    ];
    for (const res of refused) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.match(res.body.error.message, /reason must not contain control characters/);
    }
  }
  assert.equal((await app.audit.head())?.seq ?? 0, before, 'nothing reached the audit log');
  assert.equal((await app.live.countSessions({})).total, 1, 'the player was not kicked');
});

test('flags: the maintenance message refuses control characters, logins.retryAfterSeconds takes 1–3600', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, unlimited);
  const admin = await addOperatorWithTotp(app, 'alice', 'admin');
  const setFlag = async (key: string, value: unknown) => {
    const res = await fetch(`${adminUrl}/admin/v1/flags/${key}`, {
      method: 'PUT',
      headers: { ...admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ value, reason: 'maintenance window' }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  for (const c of controls) {
    const res = await setFlag('maintenance.message', `Back soon${c}`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'FLAG_VALUE_INVALID');
    assert.match(res.body.error.message, /maintenance\.message must not contain control characters/);
  }
  for (const value of [0, 0.5, 3601, 86_400 * 30]) {
    const res = await setFlag('logins.retryAfterSeconds', value);
    assert.equal(res.status, 400, String(value));
    assert.equal(res.body.error.code, 'FLAG_VALUE_INVALID');
    assert.match(
      res.body.error.message,
      /logins\.retryAfterSeconds takes a whole number of seconds from 1 to 3600/,
    );
  }
  assert.equal(
    app.flags.text('maintenance.message'),
    'Logins are paused for maintenance. You stay connected if you are in a game.',
  );
  assert.equal(app.flags.number('logins.retryAfterSeconds'), 30, 'refused values changed nothing');

  assert.equal((await setFlag('logins.retryAfterSeconds', 3600)).status, 200);
  assert.equal((await setFlag('logins.enabled', false)).status, 200);
  const closed = await postJson(`${playerUrl}/v1/login`, { playerId: 'late', region: 'na', shard: 'na-1' });
  assert.equal(closed.status, 503);
  assert.equal(closed.headers.get('retry-after'), '3600');
});

test('a Retry-After flag written out of bounds straight into the store still answers within 1–3600', async (t) => {
  const { app, playerUrl } = await startLifeline(t);
  const write = async (key: string, value: boolean | number) => {
    await app.store.setFlag({ key, value, updatedAt: Date.now(), updatedBy: 'old-version', reason: 'x' });
    await app.flags.refresh();
  };
  await write('logins.enabled', false);
  const closedFor = async () => {
    const res = await postJson(`${playerUrl}/v1/login`, { playerId: 'late', region: 'na', shard: 'na-1' });
    assert.equal(res.status, 503);
    return [res.headers.get('retry-after'), res.body.error.retryAfterSeconds];
  };
  await write('logins.retryAfterSeconds', 10_000_000);
  assert.deepEqual(await closedFor(), ['3600', 3600]);
  await write('logins.retryAfterSeconds', 0);
  assert.deepEqual(await closedFor(), ['1', 1]);
});
