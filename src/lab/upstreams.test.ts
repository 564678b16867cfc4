/** Each upstream checked against the Lifeline code that calls it, so the lab keeps its contracts. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { HttpIdentity, OidcIdentity } from '../identity/index.ts';
import { HealthProbe } from '../restore/health.ts';
import { VirtualClock } from './clock.ts';
import { entitlementsUpstream, gameBackend, identityUpstream, oidcIssuer } from './index.ts';

const code = (c: string) => (err: unknown) => isLifelineError(err) && err.code === c;

test('identity: the http provider gets playerId, 401 and 403 as refusals, a fault as unavailable', async (t) => {
  const up = await identityUpstream({ rejected: ['mallory'], forbidden: ['banned'] });
  t.after(() => up.close());
  const identity = new HttpIdentity(up.verifyUrl, 2000);
  assert.deepEqual(await identity.verify({ playerId: 'alice' }), { playerId: 'alice' });
  await assert.rejects(identity.verify({ playerId: 'mallory' }), code('IDENTITY_REJECTED'));
  await assert.rejects(identity.verify({ playerId: 'banned' }), code('IDENTITY_REJECTED'));
  await up.faults.set({ kind: 'error', rate: 1 });
  await assert.rejects(identity.verify({ playerId: 'alice' }), code('IDENTITY_UNAVAILABLE'));
  assert.deepEqual(up.stats.snapshot().byStatus, { 200: 1, 401: 1, 403: 1, 503: 1 });
});

test('identity: with recordPlayers it lists who called, faulted or not; without, nothing', async (t) => {
  const up = await identityUpstream({ recordPlayers: true });
  const quiet = await identityUpstream();
  t.after(() => Promise.all([up.close(), quiet.close()]));
  const identity = new HttpIdentity(up.verifyUrl, 2000);
  await identity.verify({ playerId: 'alice' });
  await up.faults.set({ kind: 'error', rate: 1 });
  await assert.rejects(identity.verify({ playerId: 'bob' }), code('IDENTITY_UNAVAILABLE'));
  assert.deepEqual(up.players, ['alice', 'bob']);
  await new HttpIdentity(quiet.verifyUrl, 2000).verify({ playerId: 'carol' });
  assert.deepEqual(quiet.players, []);
});

test('oidc: minted tokens verify through the JWKS; a wrong audience or issuer is told apart', async (t) => {
  const idp = await oidcIssuer({ audience: 'game' });
  t.after(() => idp.close());
  await idp.addKey();
  const identity = new OidcIdentity({
    issuer: idp.issuer,
    audience: 'game',
    jwksUrl: idp.jwksUrl,
    playerClaim: 'sub',
    clockToleranceSeconds: 0,
    jwksCooldownSeconds: 30,
  });
  assert.deepEqual(await identity.verify({ idToken: await idp.mint({ sub: 'p-7' }) }), { playerId: 'p-7' });
  await assert.rejects(
    identity.verify({ idToken: await idp.mint({ aud: 'other' }) }),
    code('ID_TOKEN_AUDIENCE'),
  );
  await assert.rejects(
    identity.verify({ idToken: await idp.mint({ iss: 'https://x.test' }) }),
    code('ID_TOKEN_ISSUER'),
  );
  await assert.rejects(identity.verify({ idToken: await idp.mint({ exp: 1 }) }), code('ID_TOKEN_EXPIRED'));
  assert.equal(idp.stats.snapshot().requests, 1, 'one JWKS fetch, then the cached key');
});

test('entitlements: GET /<playerId> answers the licence or 404, and follows grants made while it runs', async (t) => {
  const up = await entitlementsUpstream({ licences: { owner: 'premium' } });
  t.after(() => up.close());
  assert.deepEqual(await (await fetch(`${up.url}/owner`)).json(), { licence: 'premium' });
  assert.equal((await fetch(`${up.url}/stranger`)).status, 404);
  up.grant('stranger', 'standard');
  assert.deepEqual(await (await fetch(`${up.url}/stranger`)).json(), { licence: 'standard' });
});

test('game backend: joins queue behind its slots, and its health URL reports the p99 a restore reads', async (t) => {
  const clock = new VirtualClock();
  const game = await gameBackend({ clock, slots: 1, serviceMs: 10 });
  t.after(() => game.close());
  assert.equal(game.capacityPerSecond, 100);
  const joins = Array.from({ length: 3 }, () => fetch(game.joinUrl, { method: 'POST' }));
  await clock.untilSleeping(3);
  assert.deepEqual(clock.sleeping(), [10, 20, 30], 'each join waits for the ones ahead');
  assert.equal(game.stats.snapshot().queued, 2);
  clock.advance(30);
  assert.ok((await Promise.all(joins)).every((r) => r.status === 200));
  const probe = new HealthProbe(() => 0);
  t.after(() => probe.stop());
  const reading = await probe.read(game.healthUrl);
  assert.equal(reading.downstreamHealthy, true);
  assert.equal(reading.downstreamP99Ms, 30, 'the slowest of the three joins, measured');
  await game.faults.set({ kind: 'down' });
  assert.equal((await probe.read(game.healthUrl)).downstreamHealthy, false);
});

test('game backend: a bucket health window reports the last whole second, a sliding one the last 1,000 ms', async (t) => {
  const clock = new VirtualClock();
  const bucket = await gameBackend({ clock, slots: 1, serviceMs: 10, healthWindow: 'bucket' });
  const sliding = await gameBackend({ clock, slots: 1, serviceMs: 10 });
  t.after(() => Promise.all([bucket.close(), sliding.close()]));
  const health = async (g: typeof bucket) =>
    ((await (await fetch(g.healthUrl)).json()) as { p99Ms: number }).p99Ms;
  const joins = [bucket, sliding].flatMap((g) => [fetch(g.joinUrl), fetch(g.joinUrl)]);
  await clock.untilSleeping(4);
  clock.advance(20);
  await Promise.all(joins);
  assert.deepEqual(
    [await health(bucket), await health(sliding)],
    [0, 20],
    'the bucket has no whole second yet',
  );
  clock.advance(980);
  assert.deepEqual([await health(bucket), await health(sliding)], [20, 20]);
  clock.advance(1000);
  assert.deepEqual([await health(bucket), await health(sliding)], [0, 0], 'both have moved past the joins');
});

test('process.ts runs an upstream in its own process, reachable over its URLs and control API', async (t) => {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'process.ts'), 'identity'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  t.after(() => child.kill());
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [
    string,
  ];
  const up = JSON.parse(line) as { verifyUrl: string; controlUrl: string };
  assert.deepEqual(await new HttpIdentity(up.verifyUrl, 2000).verify({ playerId: 'far' }), {
    playerId: 'far',
  });
  const put = await fetch(`${up.controlUrl}/_lab/faults`, {
    method: 'PUT',
    body: JSON.stringify({ faults: [{ kind: 'error', rate: 1 }] }),
  });
  assert.equal(put.status, 200);
  await assert.rejects(
    new HttpIdentity(up.verifyUrl, 2000).verify({ playerId: 'far' }),
    code('IDENTITY_UNAVAILABLE'),
  );
  const stats = (await (await fetch(`${up.controlUrl}/_lab/stats`)).json()) as {
    byStatus: Record<string, number>;
  };
  assert.deepEqual(stats.byStatus, { 200: 1, 503: 1 });
});
