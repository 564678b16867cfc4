import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { eventually, postJson, startLifeline } from '../../../test/helpers.ts';
import { oidcIssuer } from '../oidc.ts';
import { spawnFleet } from './spawn.ts';
import { smallPlan } from './testing.ts';

test('the fleet in its own process logs in with minted ID tokens, streams its seconds, and leaves no socket behind when stopped', async (t) => {
  const idp = await oidcIssuer({ issuer: 'https://id.fleet.test', audience: 'fleet' });
  t.after(() => idp.close());
  await idp.addKey('k1');
  const { app, playerUrl } = await startLifeline(t, {
    overrides: {
      identity: {
        provider: 'oidc',
        oidc: { issuer: 'https://id.fleet.test', audience: 'fleet', jwksUrl: idp.jwksUrl },
      },
    },
  });
  const plan = smallPlan([playerUrl], {
    players: 8,
    credential: { kind: 'oidc', issuerControlUrl: idp.controlUrl },
  });
  const before = Date.now();
  const fleet = await spawnFleet(plan, { maxSeconds: 120 });
  t.after(() => fleet.kill());
  assert.ok((fleet.startedAtMs ?? 0) >= before && (fleet.startedAtMs ?? 0) <= Date.now());
  for await (const s of fleet.seconds()) if (s.online === plan.players) break;
  assert.equal(app.hub.size, plan.players);
  const exited = once(fleet.child, 'exit');
  const summary = await fleet.stop();
  assert.equal(summary.players, plan.players);
  assert.equal(summary.requests['/v1/login'], plan.players, 'one login each, with an ID token');
  assert.deepEqual(summary.outages, []);
  assert.deepEqual(await exited, [0, null]);
  await eventually(async () => (app.hub.size === 0 ? true : undefined));
});

test('the fleet process refuses a bad plan with a coded error, and exits when its parent lets go', async (t) => {
  const { app, playerUrl } = await startLifeline(t);
  await assert.rejects(
    spawnFleet({ ...smallPlan([playerUrl]), players: -1 }, { maxSeconds: 60 }),
    /^Error: VALIDATION_FAILED: fleet plan: players /,
  );

  const fleet = await spawnFleet(smallPlan([playerUrl], { players: 5 }), { maxSeconds: 60 });
  t.after(() => fleet.kill());
  for await (const s of fleet.seconds()) if (s.online === 5) break;
  // The parent goes away without a word: the fleet stops, its sockets close, the process ends.
  const exited = once(fleet.child, 'exit');
  fleet.child.disconnect();
  assert.deepEqual(await exited, [0, null]);
  await eventually(async () => (app.hub.size === 0 ? true : undefined));
});

test("the OIDC issuer's control API mints an ID token for a subject, and refuses a bad body with a code", async (t) => {
  const idp = await oidcIssuer();
  t.after(() => idp.close());
  const ok = await postJson(`${idp.controlUrl}/_lab/mint`, { sub: 'owner-3' });
  assert.equal(ok.status, 200);
  const claims = JSON.parse(Buffer.from(ok.body.idToken.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'owner-3');
  assert.equal(claims.iss, idp.issuer);
  for (const body of [{}, { sub: '' }, { sub: 'p', exp: 'soon' }, { sub: 'p', kid: 'nope' }]) {
    const refused = await postJson(`${idp.controlUrl}/_lab/mint`, body);
    assert.ok([400, 404].includes(refused.status), JSON.stringify(body));
    assert.match(refused.body.error.code, /^(VALIDATION_FAILED|NOT_FOUND)$/);
  }
  const garbled = await postJson(`${idp.controlUrl}/_lab/mint`, '{not json');
  assert.equal(garbled.body.error.code, 'MALFORMED_JSON');
});
