import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { rotateKeys, type TokenSettings, Tokens } from './index.ts';

const settings = (algorithm: TokenSettings['algorithm']): TokenSettings => ({
  issuer: 'lifeline',
  audience: 'game',
  accessTtlSeconds: 600,
  refreshTtlSeconds: 7 * 86400,
  resumeTtlSeconds: 3600,
  algorithm,
});
const claims = { sub: 'p', sid: 's', region: 'eu', shard: 'eu-1', zone: null, lic: 'standard', prov: false };
const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());

function fixture() {
  const store = new SqliteRecordStore(':memory:');
  const sealer = new Sealer(randomBytes(32));
  return { store, sealer };
}

test('ES256 tokens sign with P-256 in the JWS (r||s) form and verify; the JWKS holds the EC key', async () => {
  const { store, sealer } = fixture();
  const tokens = await Tokens.load(store, sealer, settings('ES256'), Date.now);
  const token = await tokens.issueAccess(claims);
  assert.equal(headerOf(token).alg, 'ES256');
  assert.equal(Buffer.from(token.split('.')[2] as string, 'base64url').length, 64);
  assert.equal((await tokens.verifyAccess(token)).sub, 'p');
  const [jwk] = tokens.jwks().keys;
  assert.deepEqual([jwk?.kty, jwk?.crv, jwk?.alg, jwk?.use], ['EC', 'P-256', 'ES256', 'sig']);
});

test('switching algorithm: both keys are published and both verify, on old and new nodes', async () => {
  const { store, sealer } = fixture();
  const ed = await Tokens.load(store, sealer, settings('EdDSA'), Date.now);
  const edToken = await ed.issueAccess(claims);
  const es = await Tokens.load(store, sealer, settings('ES256'), Date.now);
  const esToken = await es.issueAccess(claims);
  assert.equal(headerOf(esToken).alg, 'ES256');
  assert.deepEqual(
    es
      .jwks()
      .keys.map((k) => k.alg)
      .sort(),
    ['ES256', 'EdDSA'],
  );
  assert.equal((await es.verifyAccess(edToken)).sub, 'p');
  // The EdDSA node loaded before the ES256 key existed: the unknown kid makes it reread.
  assert.equal((await ed.verifyAccess(esToken)).sub, 'p');
  // A token claiming one algorithm under the other's key is refused.
  const swapped = `${Buffer.from(JSON.stringify({ ...headerOf(esToken), alg: 'EdDSA' })).toString('base64url')}.${esToken.split('.').slice(1).join('.')}`;
  await assert.rejects(es.verifyAccess(swapped), { code: 'TOKEN_INVALID' });
});

test('refresh and resume tokens carry the MAC key id; a node loaded earlier accepts a newer key', async () => {
  const { store, sealer } = fixture();
  const early = await Tokens.load(store, sealer, settings('EdDSA'), Date.now);
  const rotation = await rotateKeys(store, sealer, { ...settings('EdDSA'), now: Date.now() + 1 });
  const late = await Tokens.load(store, sealer, settings('EdDSA'), Date.now);
  const refresh = late.issueRefresh('fam', 4);
  assert.equal(refresh.split('.')[1], rotation.mac.kid);
  assert.deepEqual(await early.parseRefresh(refresh), { familyId: 'fam', generation: 4 });
  const resume = late.issueResume('dis-1', Date.now());
  assert.deepEqual(await early.parseResume(resume, Date.now()), { disruptionId: 'dis-1' });
  await assert.rejects(early.parseRefresh(`${refresh.slice(0, -2)}xx`), { code: 'TOKEN_INVALID' });
  await assert.rejects(early.parseRefresh(refresh.replace(rotation.mac.kid, 'legacy')), {
    code: 'TOKEN_INVALID',
  });
});

test('rotation retires a key only once every token it made has expired', async () => {
  const { store, sealer } = fixture();
  const t0 = 1_000_000;
  // The node's clock follows the rotations: a retirement takes effect at its time on the node.
  let now = t0;
  const tokens = await Tokens.load(store, sealer, settings('EdDSA'), () => now);
  const first = tokens.currentKids();
  const oldRefresh = tokens.issueRefresh('fam', 0);
  const r1 = await rotateKeys(store, sealer, { ...settings('EdDSA'), now: t0 + 1000 });
  assert.deepEqual([r1.retiredSigning, r1.retiredMac], [[], []]);
  // Past the access TTL (and the pick-up margin) after r1: the first signing key goes, not its MAC key.
  const r2 = await rotateKeys(store, sealer, { ...settings('EdDSA'), now: t0 + 1000 + 661_000 });
  assert.deepEqual([r2.retiredSigning, r2.retiredMac], [[first.signing], []]);
  now = t0 + 1000 + 661_000;
  await tokens.reload();
  assert.deepEqual(await tokens.parseRefresh(oldRefresh), { familyId: 'fam', generation: 0 });
  // Past the refresh TTL: the first MAC key goes too, and its tokens stop verifying.
  const r3 = await rotateKeys(store, sealer, {
    ...settings('EdDSA'),
    now: t0 + 1000 + 7 * 86_400_000 + 61_000,
  });
  assert.ok(r3.retiredMac.includes(first.mac), JSON.stringify(r3));
  now = t0 + 1000 + 7 * 86_400_000 + 61_000;
  await tokens.reload();
  await assert.rejects(tokens.parseRefresh(oldRefresh), { code: 'TOKEN_INVALID' });
  assert.ok(!tokens.jwks().keys.some((k) => k.kid === first.signing));
});

test('an access token is refused without iat, issued in the future, or made to outlive the access TTL', async () => {
  const { store, sealer } = fixture();
  // A signing key whose private half the test holds, as a thief of the key would.
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await store.addFirstSigningKey({
    kid: 'k-held',
    alg: 'EdDSA',
    sealedKey: sealer.seal(pem, 'signing-key:k-held'),
    createdAt: 1,
    retiredAt: null,
  });
  const tokens = await Tokens.load(store, sealer, settings('EdDSA'), Date.now);
  assert.equal(tokens.currentKids().signing, 'k-held');
  const forge = (times: { iat?: number; exp: number }) => {
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k-held', typ: 'at+jwt' })).toString(
      'base64url',
    );
    const body = Buffer.from(JSON.stringify({ sub: 'p', sid: 's', iss: 'lifeline', aud: 'game', ...times }));
    const input = `${header}.${body.toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const now = Math.floor(Date.now() / 1000);
  // The access TTL is 600 s, with 60 s allowed for clock skew between nodes.
  assert.equal((await tokens.verifyAccess(forge({ iat: now, exp: now + 660 }))).sub, 'p');
  assert.equal((await tokens.verifyAccess(forge({ iat: now + 30, exp: now + 630 }))).sub, 'p');
  for (const times of [
    { iat: now, exp: now + 661 },
    { iat: now, exp: now + 365 * 86_400 },
    { exp: now + 600 },
    { iat: now + 3600, exp: now + 4200 },
  ])
    await assert.rejects(tokens.verifyAccess(forge(times)), { code: 'TOKEN_INVALID' }, JSON.stringify(times));
});

test('a store sealed under another KEK does not load', async () => {
  const { store, sealer } = fixture();
  await Tokens.load(store, sealer, settings('EdDSA'), Date.now);
  await assert.rejects(Tokens.load(store, new Sealer(randomBytes(32)), settings('EdDSA'), Date.now), {
    code: 'SECRETS_KEY_MISMATCH',
  });
});

test('an access token expires on the clock Lifeline was given, not the wall clock: drills and tests run on a virtual one', async () => {
  const { store, sealer } = fixture();
  // A virtual clock a day behind the wall clock, as a drill replaying yesterday would run.
  let now = Date.now() - 86_400_000;
  const tokens = await Tokens.load(store, sealer, settings('EdDSA'), () => now);
  const token = await tokens.issueAccess(claims);
  assert.equal((await tokens.verifyAccess(token)).sub, 'p', 'valid when issued, on its own clock');
  now += 599_000;
  assert.equal((await tokens.verifyAccess(token)).sub, 'p', 'still valid a second before its 600 s end');
  now += 2_000;
  await assert.rejects(tokens.verifyAccess(token), { code: 'TOKEN_EXPIRED' });
});

test('with signing workers (the default config): tokens verify, and after a rotation carry the new kid', async (t) => {
  const { store, sealer } = fixture();
  const tokens = await Tokens.load(store, sealer, { ...settings('EdDSA'), signingWorkers: 1 }, Date.now);
  t.after(() => tokens.close());
  const before = await Promise.all([1, 2, 3].map((i) => tokens.issueAccess({ ...claims, sid: `s${i}` })));
  assert.deepEqual(await Promise.all(before.map(async (tok) => (await tokens.verifyAccess(tok)).sid)), [
    's1',
    's2',
    's3',
  ]);
  const rotation = await rotateKeys(store, sealer, { ...settings('EdDSA'), now: Date.now() + 1 });
  await tokens.reload();
  const after = await tokens.issueAccess(claims);
  assert.equal(headerOf(after).kid, rotation.signing.kid);
  assert.equal((await tokens.verifyAccess(after)).sub, 'p');
  assert.equal((await tokens.verifyAccess(before[0] as string)).sid, 's1');
  assert.deepEqual(tokens.signerStats(), { threads: 1, started: 1, byWorkers: 4, inThread: 0 });
});
