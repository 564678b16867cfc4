/**
 * Finding 8 of issue 12: game servers verify Lifeline's access tokens themselves against
 * `/.well-known/jwks.json`, but the most used Node verifier (jsonwebtoken 9 + jwks-rsa 4) refused
 * them (`Unknown key type "ed25519"`). With `tokens.algorithm: ES256` a real token verifies with
 * jsonwebtoken + jwks-rsa, jose and PyJWT; an EdDSA one with jose and PyJWT.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import test, { type TestContext } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { login, startLifeline } from '../helpers.ts';

const PYTHON = '/usr/bin/python3';
const pyJwtMissing = spawnSync(PYTHON, ['-c', 'import jwt, cryptography'], { encoding: 'utf8' }).status !== 0;

async function tokenFrom(t: TestContext, algorithm: 'EdDSA' | 'ES256') {
  const { playerUrl } = await startLifeline(t, { overrides: { tokens: { algorithm } } });
  const { accessToken } = await login(playerUrl, 'p-verify');
  const header = JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString());
  assert.equal(header.alg, algorithm);
  return { jwksUri: `${playerUrl}/.well-known/jwks.json`, token: accessToken, kid: header.kid as string };
}

async function withJsonwebtoken(
  jwksUri: string,
  token: string,
  kid: string,
  algorithm: jwt.Algorithm = 'ES256',
): Promise<jwt.JwtPayload> {
  const client = jwksRsa({ jwksUri, cache: false });
  const key = await client.getSigningKey(kid);
  return jwt.verify(token, key.getPublicKey(), {
    algorithms: [algorithm],
    issuer: 'lifeline',
    audience: 'game',
  }) as jwt.JwtPayload;
}

async function withJose(jwksUri: string, token: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
    issuer: 'lifeline',
    audience: 'game',
    typ: 'at+jwt',
  });
  return payload;
}

/** PyJWT as a Python game server runs it: PyJWKClient fetches the JWKS, jwt.decode checks the rest. */
function withPyJwt(jwksUri: string, token: string, alg: string): Promise<Record<string, unknown>> {
  const script = [
    'import json, sys, jwt',
    'key = jwt.PyJWKClient(sys.argv[1]).get_signing_key_from_jwt(sys.argv[2])',
    'print(json.dumps(jwt.decode(sys.argv[2], key.key, algorithms=[sys.argv[3]], audience="game", issuer="lifeline")))',
  ].join('\n');
  // Asynchronous: the JWKS is served by this very process, which must stay free to answer.
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, jwksUri, token, alg]);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`PyJWT refused (${code}): ${err}`)),
    );
  });
}

/** PyJWT runs wherever it is installed; with CI=true a missing PyJWT is a failure, not a skip. */
const pyJwtSkip: string | false =
  pyJwtMissing && process.env.CI !== 'true' ? 'python3-jwt not installed' : false;
if (pyJwtSkip)
  console.log(
    'PyJWT verification skipped: apt-get install python3-jwt python3-cryptography (Debian), or set CI=true to require it',
  );

test('an ES256 access token verifies with jsonwebtoken + jwks-rsa against the real JWKS', async (t) => {
  const { jwksUri, token, kid } = await tokenFrom(t, 'ES256');
  const jwks = (await (await fetch(jwksUri)).json()) as { keys: Record<string, unknown>[] };
  assert.deepEqual(
    jwks.keys.map((k) => [k.kty, k.crv, k.alg, k.use]),
    [['EC', 'P-256', 'ES256', 'sig']],
  );
  const payload = await withJsonwebtoken(jwksUri, token, kid);
  assert.equal(payload.sub, 'p-verify');
});

test('an ES256 access token verifies with jose', async (t) => {
  const { jwksUri, token } = await tokenFrom(t, 'ES256');
  assert.equal((await withJose(jwksUri, token)).sub, 'p-verify');
});

test('an ES256 access token verifies with PyJWT', { skip: pyJwtSkip }, async (t) => {
  const { jwksUri, token } = await tokenFrom(t, 'ES256');
  assert.equal((await withPyJwt(jwksUri, token, 'ES256')).sub, 'p-verify');
});

test('an EdDSA access token verifies with jose', async (t) => {
  const { jwksUri, token } = await tokenFrom(t, 'EdDSA');
  assert.equal((await withJose(jwksUri, token)).sub, 'p-verify');
});

test('an EdDSA access token verifies with PyJWT', { skip: pyJwtSkip }, async (t) => {
  const { jwksUri, token } = await tokenFrom(t, 'EdDSA');
  assert.equal((await withPyJwt(jwksUri, token, 'EdDSA')).sub, 'p-verify');
});

test('jsonwebtoken + jwks-rsa refuse an EdDSA token: why ES256 is offered', async (t) => {
  const { jwksUri, token, kid } = await tokenFrom(t, 'EdDSA');
  // Asked for EdDSA by name (jsonwebtoken's types do not even list it), it refuses the key itself;
  // left to pick by key type, it finds no algorithm for an Ed25519 key.
  await assert.rejects(
    withJsonwebtoken(jwksUri, token, kid, 'EdDSA' as jwt.Algorithm),
    /Unknown key type "ed25519"/,
  );
  await assert.rejects(
    (async () => {
      const key = await jwksRsa({ jwksUri, cache: false }).getSigningKey(kid);
      jwt.verify(token, key.getPublicKey(), { issuer: 'lifeline', audience: 'game' });
    })(),
    /invalid algorithm/,
  );
});
