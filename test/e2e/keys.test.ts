/**
 * `lifeline keys rotate` ends no session: tokens issued before keep verifying and refreshing,
 * new ones carry the new kids, and a node that loaded its keys before the rotation accepts them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, login, postJson, runCliCaptured, startLifeline, tempDir } from '../helpers.ts';

const kidOf = (accessToken: string): string =>
  JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString()).kid;
const macKidOf = (token: string): string => token.split('.')[1] as string;

test('keys rotate: old tokens keep working, new ones carry the new kids, an earlier node accepts them', async (t) => {
  const dataDir = tempDir(t);
  // Node A loads its keys now, before the rotation.
  const a = await startLifeline(t, { dataDir });
  const before = await login(a.playerUrl, 'p-before');
  const oldKid = kidOf(before.accessToken);
  const oldMacKid = macKidOf(before.refreshToken);

  const rotated = await runCliCaptured(['keys', 'rotate', '--json'], { LIFELINE_DATA_DIR: dataDir }, dataDir);
  assert.equal(rotated.code, 0, rotated.out);
  const { signing, mac, retiredSigning, retiredMac } = rotated.json;
  assert.notEqual(signing.kid, oldKid);
  assert.notEqual(mac.kid, oldMacKid);
  assert.deepEqual([retiredSigning, retiredMac], [[], []], 'nothing still valid is retired');

  // Node B starts after the rotation, on the same store: it issues under the new keys.
  const b = await startLifeline(t, { dataDir });
  const after = await login(b.playerUrl, 'p-after');
  assert.equal(kidOf(after.accessToken), signing.kid);
  assert.equal(macKidOf(after.refreshToken), mac.kid);
  const jwks = (await (await fetch(`${b.playerUrl}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string }[];
  };
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, signing.kid].sort());

  // A, which loaded before the rotation, accepts B's new tokens: its socket and its refresh.
  const onA = new Client(a.playerUrl, after.accessToken);
  t.after(() => onA.close());
  await onA.welcomed;
  const refreshedOnA = await postJson(`${a.playerUrl}/v1/refresh`, { refreshToken: after.refreshToken });
  assert.equal(refreshedOnA.status, 200, JSON.stringify(refreshedOnA.body));

  // The token issued before still verifies and refreshes, on either node.
  const oldOnB = new Client(b.playerUrl, before.accessToken);
  t.after(() => oldOnB.close());
  await oldOnB.welcomed;
  const refreshedOld = await postJson(`${b.playerUrl}/v1/refresh`, { refreshToken: before.refreshToken });
  assert.equal(refreshedOld.status, 200, JSON.stringify(refreshedOld.body));
  assert.equal(
    macKidOf(refreshedOld.body.refreshToken),
    mac.kid,
    'a refresh moves the session to the new MAC key',
  );

  // A moves to the new keys for what it issues once it rereads them (its poll, or now by hand).
  await a.app.tokens.reload();
  assert.equal(kidOf((await login(a.playerUrl, 'p-later')).accessToken), signing.kid);

  // The rotation is in the audit chain, by the CLI's operator.
  const entries = await a.app.audit.list({ limit: 100 });
  assert.ok(
    entries.some((e) => e.action === 'keys.rotate' && e.actor.startsWith('cli:')),
    JSON.stringify(entries.map((e) => e.action)),
  );
});

test('keys rotate --retire-previous retires the older keys at once: their tokens stop working', async (t) => {
  const dataDir = tempDir(t);
  const a = await startLifeline(t, { dataDir });
  const before = await login(a.playerUrl, 'p-before');
  const rotated = await runCliCaptured(
    ['keys', 'rotate', '--retire-previous', '--json'],
    { LIFELINE_DATA_DIR: dataDir },
    dataDir,
  );
  assert.equal(rotated.code, 0, rotated.out);
  assert.equal(rotated.json.retiredSigning.length, 1);
  await a.app.tokens.reload();
  const refused = await postJson(`${a.playerUrl}/v1/refresh`, { refreshToken: before.refreshToken });
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  const jwks = (await (await fetch(`${a.playerUrl}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string }[];
  };
  assert.deepEqual(
    jwks.keys.map((k) => k.kid),
    [rotated.json.signing.kid],
  );
});
