import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { LifelineError } from '../errors/index.ts';
import { roleFromGroups } from './oidc.ts';
import { ConsoleSessions, csrfMatches, isSafeMethod, readCookie, sessionCookie } from './sessions.ts';
import { changesOf } from './stream.ts';

test('a session is found by its id only, expires, and its CSRF token matches only itself', () => {
  let now = 1_000;
  const sessions = new ConsoleSessions({ ttlSeconds: 60, clock: () => now });
  const a = sessions.create({ operatorId: 'op1', operatorName: 'ada', role: null, via: 'token' });
  const b = sessions.create({ operatorId: 'op2', operatorName: 'bob', role: 'viewer', via: 'sso' });
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.session.csrf, b.session.csrf);
  assert.equal(sessions.find(a.id)?.operatorName, 'ada');
  assert.equal(sessions.find(`${a.id.slice(0, -1)}${a.id.endsWith('A') ? 'B' : 'A'}`), null);
  assert.equal(sessions.find(undefined), null);
  assert.equal(sessions.find('../../etc/passwd'), null);
  assert.ok(csrfMatches(a.session, a.session.csrf));
  assert.ok(!csrfMatches(a.session, b.session.csrf));
  assert.ok(!csrfMatches(a.session, undefined));
  assert.ok(!csrfMatches(a.session, [a.session.csrf, a.session.csrf]));
  assert.ok(!csrfMatches(a.session, ''));
  now += 60_000;
  assert.equal(sessions.find(a.id), null, 'expired at its TTL');
  sessions.destroy(b.id);
  assert.equal(sessions.find(b.id), null);
});

test('the cookie is HttpOnly and SameSite=Strict, Secure when asked; cookies are read by exact name', () => {
  const cookie = sessionCookie('abc', 60, false);
  assert.match(cookie, /^lifeline_console=abc; /);
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=60'])
    assert.ok(cookie.includes(flag), flag);
  assert.ok(!cookie.includes('Secure'));
  assert.ok(sessionCookie('abc', 60, true).endsWith('; Secure'));
  assert.equal(readCookie('x=1; lifeline_console=abc; y=2', 'lifeline_console'), 'abc');
  assert.equal(readCookie('xlifeline_console=abc', 'lifeline_console'), undefined);
  assert.equal(readCookie(undefined, 'lifeline_console'), undefined);
  assert.ok(isSafeMethod('GET') && !isSafeMethod('POST') && !isSafeMethod('DELETE') && !isSafeMethod('PUT'));
});

test('groups map to the strongest mapped role; unmapped groups give none', () => {
  const mapping = { support: 'viewer', oncall: 'operator', leads: 'admin', audit: 'auditor' } as const;
  assert.equal(roleFromGroups(['support', 'leads'], mapping), 'admin');
  assert.equal(roleFromGroups(['audit', 'support'], mapping), 'auditor');
  assert.equal(roleFromGroups('oncall', mapping), 'operator');
  assert.equal(roleFromGroups(['nobody'], mapping), null);
  assert.equal(roleFromGroups(undefined, mapping), null);
  assert.equal(roleFromGroups([{ leads: true }, 7], mapping), null);
  assert.equal(roleFromGroups(['__proto__', 'constructor', 'toString'], mapping), null);
});

test('console.oidc is validated once an issuer is named', () => {
  const load = (oidc: Record<string, unknown>) =>
    loadConfig({ env: {}, cwd: '/nonexistent', overrides: { console: { oidc } } as never });
  const fails = (oidc: Record<string, unknown>, key: string) =>
    assert.throws(
      () => load(oidc),
      (err: unknown) =>
        err instanceof LifelineError && err.code === 'CONFIG_INVALID' && err.message.includes(key),
    );
  const good = {
    issuer: 'https://idp.example.com',
    clientId: 'lifeline',
    redirectUri: 'https://ops.example.com/console/sso/callback',
    roles: { leads: 'admin' },
  };
  assert.equal(load(good).console.oidc.roles.leads, 'admin');
  assert.equal(
    load({ ...good, issuer: 'http://127.0.0.1:9000' }).console.oidc.issuer,
    'http://127.0.0.1:9000',
  );
  fails({ ...good, issuer: 'http://idp.example.com' }, 'console.oidc.issuer');
  fails({ ...good, issuer: 'not a url' }, 'console.oidc.issuer');
  fails({ ...good, redirectUri: '' }, 'console.oidc.redirectUri');
  fails({ ...good, clientId: '' }, 'console.oidc.clientId');
  fails({ ...good, roles: {} }, 'console.oidc.roles');
  fails({ ...good, roles: { leads: 'root' } }, 'console.oidc.roles');
  fails({ ...good, surprise: 1 }, 'console.oidc');
});

test('an audit entry names the commands and restores it is about, and the kinds to re-read', () => {
  const changes = changesOf({
    action: 'restore.start',
    target: 'restore:rst-01a1fe61-f8f3-762d-b043-2e0e201fae0b',
    details: { commandId: 'cmd-01a1fe61-c067-77b7-94b5-4cd77a939d4b' },
  });
  assert.deepEqual(changes, [
    { kind: 'audit', id: null },
    { kind: 'command', id: 'cmd-01a1fe61-c067-77b7-94b5-4cd77a939d4b' },
    { kind: 'restore', id: 'rst-01a1fe61-f8f3-762d-b043-2e0e201fae0b' },
  ]);
  assert.deepEqual(
    changesOf({ action: 'flag.set', target: 'flag:kicks.enabled', details: {} }).map((c) => c.kind),
    ['audit', 'flags'],
  );
  assert.deepEqual(
    changesOf({ action: 'breaker.trip', target: 'breaker:kick', details: {} }).map((c) => c.kind),
    ['audit', 'breaker'],
  );
});
