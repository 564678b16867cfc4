import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { test } from 'node:test';
import { payloadSigner, type SigningMaterial } from './jws.ts';
import { type PoolKey, SignPool } from './sign-pool.ts';

function key(alg: 'EdDSA' | 'ES256' = 'EdDSA', kid = `k-${alg}`): PoolKey {
  const { privateKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString('base64url');
  const material: SigningMaterial = { kid, alg, header, privateKey };
  return { material, signHere: payloadSigner(material) };
}

/** The payload of `token` if its signature holds under `k`'s public key; throws otherwise. */
function opened(k: PoolKey, token: string): unknown {
  const [h, p, s] = token.split('.') as [string, string, string];
  const pub = createPublicKey(k.material.privateKey);
  const ok =
    k.material.alg === 'ES256'
      ? verify(
          'sha256',
          Buffer.from(`${h}.${p}`),
          { key: pub, dsaEncoding: 'ieee-p1363' },
          Buffer.from(s, 'base64url'),
        )
      : verify(null, Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'the signature verifies');
  assert.equal(h, k.material.header);
  return JSON.parse(Buffer.from(p, 'base64url').toString());
}

const payloads = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ sub: `${tag}-${i}` }));
const crashing = new URL('./fixtures/crashing-sign-worker.ts', import.meta.url);

test('a turn of requests is signed by the workers, each token over its own payload, under each key', async (t) => {
  const pool = new SignPool({ size: 2 });
  t.after(() => pool.close());
  const ed = key('EdDSA');
  const es = key('ES256');
  const [a, b] = await Promise.all([
    Promise.all(payloads(50, 'ed').map((p) => pool.sign(ed, p))),
    Promise.all(payloads(50, 'es').map((p) => pool.sign(es, p))),
  ]);
  assert.deepEqual(
    a.map((tok) => opened(ed, tok)),
    payloads(50, 'ed').map((p) => JSON.parse(p)),
  );
  assert.deepEqual(
    b.map((tok) => opened(es, tok)),
    payloads(50, 'es').map((p) => JSON.parse(p)),
  );
  // Ed25519 is deterministic: a worker's token is the very one the main thread would make.
  assert.equal(a[0], ed.signHere(payloads(1, 'ed')[0] as string));
  assert.deepEqual(pool.stats(), { threads: 2, started: 2, byWorkers: 100, inThread: 0 });
});

test('a worker that crashes holding a batch: the batch is signed in-thread and the worker replaced', async (t) => {
  const errors: Error[] = [];
  const pool = new SignPool({
    size: 1,
    workerUrl: crashing,
    workerData: { answerFirst: 1 },
    onError: (err) => errors.push(err),
  });
  t.after(() => pool.close());
  const k = key();
  const first = await Promise.all(payloads(5, 'one').map((p) => pool.sign(k, p)));
  assert.equal(first.length, 5);
  assert.deepEqual(pool.stats(), { threads: 1, started: 1, byWorkers: 5, inThread: 0 });
  // The worker throws on this batch: every request in it is still answered, with a good token.
  const second = await Promise.all(payloads(7, 'two').map((p) => pool.sign(k, p)));
  assert.deepEqual(
    second.map((tok) => opened(k, tok)),
    payloads(7, 'two').map((p) => JSON.parse(p)),
  );
  assert.deepEqual(pool.stats(), { threads: 1, started: 2, byWorkers: 5, inThread: 7 });
  assert.match(errors[0]?.message ?? '', /crashed on purpose/);
  // The replacement is handed the key again and signs the next batch.
  const third = await Promise.all(payloads(3, 'three').map((p) => pool.sign(k, p)));
  assert.deepEqual(
    third.map((tok) => opened(k, tok)),
    payloads(3, 'three').map((p) => JSON.parse(p)),
  );
  assert.deepEqual(pool.stats(), { threads: 1, started: 2, byWorkers: 8, inThread: 7 });
});

test('a worker that dies before it ever answered is not replaced: the pool signs in-thread', async (t) => {
  const errors: Error[] = [];
  const pool = new SignPool({
    size: 1,
    workerUrl: crashing,
    workerData: { answerFirst: 0 },
    onError: (err) => errors.push(err),
  });
  t.after(() => pool.close());
  const k = key();
  const tokens = await Promise.all(payloads(4, 'a').map((p) => pool.sign(k, p)));
  assert.equal(tokens.length, 4);
  assert.equal(errors.length, 1);
  assert.equal(await pool.sign(k, '{"sub":"later"}'), k.signHere('{"sub":"later"}'));
  assert.deepEqual(pool.stats(), { threads: 0, started: 1, byWorkers: 0, inThread: 5 });
});

test('close: what is queued and what comes later is signed in-thread, and no thread is left', async () => {
  const pool = new SignPool({ size: 2 });
  const k: PoolKey = key();
  const held = payloads(20, 'held').map((p) => pool.sign(k, p));
  // Queued in this turn, not yet sent: close signs them here.
  await pool.close();
  const later = await pool.sign(k, '{"sub":"after"}');
  assert.equal((await Promise.all(held)).length, 20);
  assert.deepEqual(opened(k, later), { sub: 'after' });
  assert.equal(pool.stats().threads, 0);
  assert.equal(pool.stats().byWorkers, 0);
  // This file's process exits when its tests end only if no worker is left running.
});

test('retain: a worker forgets dropped keys and is handed a key again when it is used again', async (t) => {
  const pool = new SignPool({ size: 1 });
  t.after(() => pool.close());
  const a = key('EdDSA', 'k-a');
  const b = key('EdDSA', 'k-b');
  await pool.sign(a, '{"sub":"1"}');
  pool.retain([b.material.kid]);
  await pool.sign(b, '{"sub":"2"}');
  // `a` was dropped by the worker; signing with it again must not fall back in-thread.
  assert.deepEqual(opened(a, await pool.sign(a, '{"sub":"3"}')), { sub: '3' });
  assert.deepEqual(pool.stats(), { threads: 1, started: 1, byWorkers: 3, inThread: 0 });
});

test('a pool nobody closes does not keep its process alive, idle or after signing', {
  timeout: 60_000,
}, async () => {
  const script = fileURLToPath(new URL('./fixtures/unclosed-pool.ts', import.meta.url));
  for (const args of [[], ['sign']]) {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, `exits by itself (${args.join(' ') || 'idle'})`);
  }
});
