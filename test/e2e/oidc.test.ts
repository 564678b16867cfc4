import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { type OidcIssuer, oidcIssuer } from '../../src/lab/index.ts';
import { postJson, startLifeline } from '../helpers.ts';

const ISSUER = 'https://id.studio.test';
const AUDIENCE = 'lifeline-game';

/** The studio's OIDC provider (the lab's issuer): a JWKS endpoint on loopback that mints ID tokens. */
async function provider(t: { after: (fn: () => Promise<void>) => void }) {
  const idp = await oidcIssuer({ issuer: ISSUER, audience: AUDIENCE });
  t.after(() => idp.close());
  return idp;
}

/** An ID token from the provider, signed with key `kid`; claims default to a valid one. */
function idToken(
  idp: OidcIssuer,
  kid: string,
  claims: { sub?: string; iss?: string; aud?: string; exp?: string | number } = {},
): Promise<string> {
  return idp.mint({ kid, ...claims, sub: claims.sub ?? 'player-oidc' });
}

/** A token that names the provider's key id but is signed by a key that is not the provider's. */
async function forged(kid: string): Promise<string> {
  const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setSubject('player-oidc')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(stranger.privateKey);
}

test('OIDC: a valid ID token logs in; wrong issuer, audience, expiry or signature each get their code; rotation and a JWKS outage are survived', async (t) => {
  const idp = await provider(t);
  const first = await idp.addKey('k1');
  const { playerUrl } = await startLifeline(t, {
    overrides: {
      identity: {
        provider: 'oidc',
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: idp.jwksUrl, jwksCooldownSeconds: 1 },
      },
    },
  });
  const login = (token: string) =>
    postJson(`${playerUrl}/v1/login`, { idToken: token, region: 'eu', shard: 'eu-1' });

  const ok = await login(await idToken(idp, first));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const sub = JSON.parse(Buffer.from(ok.body.accessToken.split('.')[1], 'base64url').toString()).sub;
  assert.equal(sub, 'player-oidc');

  const cases: [string, Promise<string>, string][] = [
    ['wrong issuer', idToken(idp, first, { iss: 'https://evil.test' }), 'ID_TOKEN_ISSUER'],
    ['wrong audience', idToken(idp, first, { aud: 'another-game' }), 'ID_TOKEN_AUDIENCE'],
    ['expired', idToken(idp, first, { exp: Math.floor(Date.now() / 1000) - 3600 }), 'ID_TOKEN_EXPIRED'],
  ];
  for (const [name, token, code] of cases) {
    const res = await login(await token);
    assert.equal(res.status, 401, name);
    assert.equal(res.body.error.code, code, name);
  }
  const forgery = await login(await forged('k1'));
  assert.equal(forgery.body.error.code, 'ID_TOKEN_SIGNATURE', 'signed by a key that is not the provider’s');
  assert.equal((await login('not.a.jwt')).body.error.code, 'ID_TOKEN_INVALID');

  // The provider rotates: a token signed with the new key works once the JWKS cooldown (1 s
  // here) since the last fetch has passed.
  const second = await idp.addKey('k2');
  await new Promise((r) => setTimeout(r, 1100));
  const rotated = await login(await idToken(idp, second, { sub: 'player-two' }));
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));

  // The JWKS endpoint goes down: tokens signed with keys already seen still log in.
  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  const fetchesAtOutage = idp.stats.snapshot().requests;
  for (const key of [first, second]) {
    const res = await login(await idToken(idp, key));
    assert.equal(res.status, 200, 'a cached key still verifies');
  }
  assert.equal(idp.stats.snapshot().requests, fetchesAtOutage, 'no JWKS fetch was needed');
  const third = await idp.addKey('k3');
  await new Promise((r) => setTimeout(r, 1100));
  const unknown = await login(await idToken(idp, third));
  assert.equal(unknown.status, 503, 'a key never seen cannot be fetched while the JWKS is down');
  assert.equal(unknown.body.error.code, 'IDENTITY_UNAVAILABLE');
});
