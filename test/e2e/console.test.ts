/**
 * The web console's sign-in on a real admin listener: a token becomes an HttpOnly, SameSite=Strict
 * cookie; the cookie reaches the admin API only with the CSRF header on state-changing calls; the
 * role gates the same as with a bearer; the live stream sends counts and changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperator, addOperatorWithTotp, login, startLifeline } from '../helpers.ts';

async function signIn(adminUrl: string, token: string) {
  const res = await fetch(`${adminUrl}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrf: string; permissions: string[]; operator: { role: string } };
  return { cookie: cookie.split(';')[0] as string, setCookie: cookie, ...body };
}

test('console sign-in: cookie flags, CSRF on writes, role gating, sign-out', async (t) => {
  const { app, adminUrl } = await startLifeline(t);
  const adminToken = await addOperator(app, 'ada', 'admin');
  const viewerToken = await addOperator(app, 'vic', 'viewer');

  const bad = await fetch(`${adminUrl}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: 'llo_nope.nope' }),
  });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('set-cookie'), null);

  const admin = await signIn(adminUrl, adminToken);
  assert.match(admin.setCookie, /HttpOnly/);
  assert.match(admin.setCookie, /SameSite=Strict/);
  assert.match(admin.setCookie, /Path=\//);
  assert.ok(admin.permissions.includes('flags.write'));

  // A read with the cookie alone works; a write without the CSRF header is refused and changes nothing.
  const flags = await fetch(`${adminUrl}/admin/v1/flags`, { headers: { cookie: admin.cookie } });
  assert.equal(flags.status, 200);
  const body = JSON.stringify({ value: false, reason: 'console test' });
  const json = { 'content-type': 'application/json', cookie: admin.cookie };
  const noCsrf = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: json,
    body,
  });
  assert.equal(noCsrf.status, 403);
  assert.equal(((await noCsrf.json()) as { error: { code: string } }).error.code, 'CONSOLE_CSRF_INVALID');
  const wrong = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: { ...json, 'x-lifeline-csrf': `${admin.csrf.slice(1)}x` },
    body,
  });
  assert.equal(wrong.status, 403);
  const still = (await (
    await fetch(`${adminUrl}/admin/v1/flags`, { headers: { cookie: admin.cookie } })
  ).json()) as {
    flags: { key: string; value: unknown }[];
  };
  assert.equal(still.flags.find((f) => f.key === 'kicks.enabled')?.value, true);
  const ok = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: { ...json, 'x-lifeline-csrf': admin.csrf },
    body,
  });
  assert.equal(ok.status, 200);

  // The viewer's session: reads, but the API refuses the write a viewer's console never offers.
  const viewer = await signIn(adminUrl, viewerToken);
  assert.equal(viewer.operator.role, 'viewer');
  assert.ok(!viewer.permissions.includes('flags.write'));
  assert.ok(!viewer.permissions.includes('commands.kick'));
  const refused = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', cookie: viewer.cookie, 'x-lifeline-csrf': viewer.csrf },
    body: JSON.stringify({ value: true, reason: 'viewer tries' }),
  });
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'OPERATOR_FORBIDDEN');

  // Another session's CSRF token does not fit this one.
  const crossed = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: { ...json, 'x-lifeline-csrf': viewer.csrf },
    body,
  });
  assert.equal(crossed.status, 403);

  // Sign-out needs the CSRF token too, then the cookie is worthless.
  const out = await fetch(`${adminUrl}/console/session`, {
    method: 'DELETE',
    headers: { cookie: admin.cookie, 'x-lifeline-csrf': admin.csrf },
  });
  assert.equal(out.status, 204);
  const after = await fetch(`${adminUrl}/admin/v1/flags`, { headers: { cookie: admin.cookie } });
  assert.equal(after.status, 401);

  // A revoked operator's session stops working at once.
  await app.operators.revoke('vic', 'cli:test');
  const gone = await fetch(`${adminUrl}/admin/v1/flags`, { headers: { cookie: viewer.cookie } });
  assert.equal(gone.status, 401);
});

/** Reads server-sent events until `until` returns true for one of them. */
async function readEvents(
  res: Response,
  until: (event: string, data: any) => boolean,
): Promise<{ event: string; data: any }[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: { event: string; data: any }[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
      seen.push({ event, data });
      if (until(event, data)) {
        await reader.cancel();
        return seen;
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

test('console stream: online counts move with logins; changes name what to re-read, by role', async (t) => {
  const { app, adminUrl, playerUrl } = await startLifeline(t, {
    overrides: { console: { streamIntervalMs: 100 } },
  });
  const ada = await addOperatorWithTotp(app, 'ada', 'admin');
  const auditorToken = await addOperator(app, 'aud', 'auditor');
  // Without a cookie or bearer, no stream.
  const anon = await fetch(`${adminUrl}/admin/v1/stream`);
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const admin = await signIn(adminUrl, ada.token);
  const res = await fetch(`${adminUrl}/admin/v1/stream`, { headers: { cookie: admin.cookie } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  await login(playerUrl, 'p1', 'eu', 'eu-1');
  await login(playerUrl, 'p2', 'eu', 'eu-2');
  const seen = await readEvents(res, (event, data) => event === 'online' && data.total === 2);
  const last = seen.at(-1)?.data;
  assert.deepEqual(last.byRegion, { eu: 2 });
  assert.deepEqual(last.byShard, { 'eu-1': 1, 'eu-2': 1 });
  assert.equal(seen[0]?.event, 'hello');

  // A flag change reaches the stream as a change of kind "flags"; an auditor gets no counts.
  const auditor = await signIn(adminUrl, auditorToken);
  const audRes = await fetch(`${adminUrl}/admin/v1/stream`, { headers: { cookie: auditor.cookie } });
  const put = await fetch(`${adminUrl}/admin/v1/flags/logins.enabled`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value: true, reason: 'stream test' }),
  });
  assert.equal(put.status, 200);
  await put.body?.cancel();
  const audSeen = await readEvents(audRes, (event, data) => event === 'changed' && data.kind === 'flags');
  assert.ok(!audSeen.some((e) => e.event === 'online'), 'an auditor may not read sessions');
});
