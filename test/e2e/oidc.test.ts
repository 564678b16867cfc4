import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { postJson, startLifeline } from '../helpers.ts';

const ISSUER = 'https://id.studio.test';
const AUDIENCE = 'lifeline-game';

/** The studio's OIDC provider, as far as Lifeline sees it: a JWKS endpoint on loopback. */
async function provider(t: { after: (fn: () => void) => void }) {
  const state = { up: true, keys: [] as JWK[], fetches: 0 };
  const server = createServer((_req, res) => {
    state.fetches++;
    if (!state.up) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const addKey = async (kid: string) => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    state.keys.push({ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' });
    return { kid, privateKey };
  };
  return { state, addKey, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks` };
}

async function idToken(
  key: { kid: string; privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] },
  claims: { sub?: string; iss?: string; aud?: string; exp?: string | number } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject(claims.sub ?? 'player-oidc')
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '5m')
    .sign(key.privateKey);
}

test('OIDC: a valid ID token logs in; wrong issuer, audience, expiry or signature each get their code; rotation and a JWKS outage are survived', async (t) => {
  const idp = await provider(t);
  const first = await idp.addKey('k1');
  const { playerUrl } = await startLifeline(t, {
    overrides: {
      identity: {
        provider: 'oidc',
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: idp.url, jwksCooldownSeconds: 1 },
      },
    },
  });
  const login = (token: string) =>
    postJson(`${playerUrl}/v1/login`, { idToken: token, region: 'eu', shard: 'eu-1' });

  const ok = await login(await idToken(first));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const sub = JSON.parse(Buffer.from(ok.body.accessToken.split('.')[1], 'base64url').toString()).sub;
  assert.equal(sub, 'player-oidc');

  const cases: [string, Promise<string>, string][] = [
    ['wrong issuer', idToken(first, { iss: 'https://evil.test' }), 'ID_TOKEN_ISSUER'],
    ['wrong audience', idToken(first, { aud: 'another-game' }), 'ID_TOKEN_AUDIENCE'],
    ['expired', idToken(first, { exp: Math.floor(Date.now() / 1000) - 3600 }), 'ID_TOKEN_EXPIRED'],
  ];
  for (const [name, token, code] of cases) {
    const res = await login(await token);
    assert.equal(res.status, 401, name);
    assert.equal(res.body.error.code, code, name);
  }
  const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const forged = await login(await idToken({ kid: 'k1', privateKey: stranger.privateKey }));
  assert.equal(forged.body.error.code, 'ID_TOKEN_SIGNATURE', 'signed by a key that is not the provider’s');
  assert.equal((await login('not.a.jwt')).body.error.code, 'ID_TOKEN_INVALID');

  // The provider rotates: a token signed with the new key works once the JWKS cooldown (1 s
  // here) since the last fetch has passed.
  const second = await idp.addKey('k2');
  await new Promise((r) => setTimeout(r, 1100));
  const rotated = await login(await idToken(second, { sub: 'player-two' }));
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));

  // The JWKS endpoint goes down: tokens signed with keys already seen still log in.
  idp.state.up = false;
  const fetchesAtOutage = idp.state.fetches;
  for (const key of [first, second]) {
    const res = await login(await idToken(key));
    assert.equal(res.status, 200, 'a cached key still verifies');
  }
  assert.equal(idp.state.fetches, fetchesAtOutage, 'no JWKS fetch was needed');
  const third = await idp.addKey('k3');
  await new Promise((r) => setTimeout(r, 1100));
  const unknown = await login(await idToken(third));
  assert.equal(unknown.status, 503, 'a key never seen cannot be fetched while the JWKS is down');
  assert.equal(unknown.body.error.code, 'IDENTITY_UNAVAILABLE');
});
