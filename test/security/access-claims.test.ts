/**
 * Finding 9 of issue 12 (first item): an access token with a valid signature but no `exp` was
 * accepted forever, and one whose `sub` named another player than its session's was accepted at
 * the WebSocket upgrade. Both are refused now. The tokens here are signed with Lifeline's own key
 * (as only someone holding it could), so the signature is never the reason for the refusal.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import { openSealer } from '../../src/app.ts';
import { Sealer } from '../../src/secrets/index.ts';
import { Client, login, type Running, startLifeline } from '../helpers.ts';

async function signingKey(running: Running): Promise<{ kid: string; key: KeyObject }> {
  const [row] = (await running.app.store.signingKeys()) as unknown as Record<string, string>[];
  const stored = row?.sealedKey ?? row?.privatePem ?? '';
  const kid = row?.kid as string;
  const pem = Sealer.isSealed(stored)
    ? openSealer(running.config).openText(stored, `signing-key:${kid}`)
    : stored;
  return { kid, key: createPrivateKey(pem) };
}

function mint(k: { kid: string; key: KeyObject }, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: k.kid, typ: 'at+jwt' })).toString(
    'base64url',
  );
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`), k.key).toString('base64url')}`;
}

async function upgrade(playerUrl: string, token: string): Promise<string> {
  const client = new Client(playerUrl, token);
  try {
    await client.welcomed;
    return 'welcomed';
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.close();
  }
}

test('an access token without exp is refused, at the upgrade and by verifyAccess', async (t) => {
  const running = await startLifeline(t);
  const alice = await login(running.playerUrl, 'p-alice');
  const key = await signingKey(running);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'p-alice', sid: alice.sessionId, iss: 'lifeline', aud: 'game', iat: now };
  // The same claims with an exp pass: the signature and the rest are right.
  assert.equal(await upgrade(running.playerUrl, mint(key, { ...claims, exp: now + 600 })), 'welcomed');
  const forever = mint(key, claims);
  await assert.rejects(running.app.tokens.verifyAccess(forever), { code: 'TOKEN_INVALID' });
  assert.match(await upgrade(running.playerUrl, forever), /upgrade refused: 401 .*TOKEN_INVALID/);
});

test("an access token whose sub is not its session's player is refused at the upgrade", async (t) => {
  const running = await startLifeline(t);
  const alice = await login(running.playerUrl, 'p-alice');
  const key = await signingKey(running);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sid: alice.sessionId, iss: 'lifeline', aud: 'game', iat: now, exp: now + 600 };
  const mallory = mint(key, { ...claims, sub: 'p-mallory' });
  assert.match(await upgrade(running.playerUrl, mallory), /upgrade refused: 401 .*TOKEN_INVALID/);
  // Also when the session is no longer live on this node and is revived from its grant.
  await running.app.live.endSessions([alice.sessionId]);
  assert.match(await upgrade(running.playerUrl, mallory), /upgrade refused: 401 .*TOKEN_INVALID/);
  assert.equal(await upgrade(running.playerUrl, mint(key, { ...claims, sub: 'p-alice' })), 'welcomed');
});
