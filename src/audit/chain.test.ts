import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEntry } from './records.ts';
import {
  type AuditDraft,
  ChainVerifier,
  canonicalEncode,
  GENESIS_HASH,
  hashEntry,
  seal,
  type VerifyResult,
} from './chain.ts';

const T0 = Date.UTC(2024, 0, 31, 12, 0, 0);

function drafts(n: number): AuditDraft[] {
  return Array.from({ length: n }, (_, i) => ({
    actor: `op:${i % 3}`,
    action: 'kick',
    target: `session:${i}`,
    details: { reason: 'runaway script', count: i, nested: { region: 'eu', shards: [1, 2] } },
    result: 'ok',
  }));
}

function verify(entries: readonly AuditEntry[], checkpoint?: { seq: number; hash: string }): VerifyResult {
  const v = new ChainVerifier(checkpoint);
  for (const e of entries) v.push(e);
  return v.result();
}

function failure(r: VerifyResult): { reason: string; firstBadSeq: number } {
  assert.equal(r.ok, false, 'expected the chain not to verify');
  if (r.ok) throw new Error('unreachable');
  return { reason: r.reason, firstBadSeq: r.firstBadSeq };
}

/** A deep copy, so tampering never touches the sealed originals. */
function copy(entries: readonly AuditEntry[]): AuditEntry[] {
  return structuredClone(entries) as AuditEntry[];
}

describe('seal', () => {
  test('starts an empty chain at seq 1 on the genesis hash and links each entry to the last', () => {
    const chain = seal(null, drafts(3), T0);
    assert.deepEqual(
      chain.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(chain[0]!.prevHash, GENESIS_HASH);
    assert.equal(chain[1]!.prevHash, chain[0]!.hash);
    assert.equal(chain[2]!.prevHash, chain[1]!.hash);
    for (const e of chain) {
      assert.match(e.hash, /^[0-9a-f]{64}$/);
      assert.equal(e.at, T0);
    }
  });

  test('extends an existing head, and a chain sealed in parts verifies as one', () => {
    const first = seal(null, drafts(2), T0);
    const last = first.at(-1)!;
    const more = seal({ seq: last.seq, hash: last.hash }, drafts(2), T0 + 1);
    assert.deepEqual(
      more.map((e) => e.seq),
      [3, 4],
    );
    assert.equal(more[0]!.prevHash, last.hash);
    assert.deepEqual(verify([...first, ...more]), {
      ok: true,
      entries: 4,
      head: { seq: 4, hash: more[1]!.hash },
    });
  });

  test('gives a draft without details an empty object, hashed as such', () => {
    const [e] = seal(null, [{ actor: 'a', action: 'b', target: 'c', result: 'ok' }], T0);
    assert.deepEqual(e!.details, {});
    assert.equal(verify([e!]).ok, true);
  });
});

describe('hashEntry', () => {
  test('is the SHA-256 of the canonical encoding of every field but hash', async () => {
    const { createHash } = await import('node:crypto');
    const [e] = seal(null, drafts(1), T0);
    const { hash, ...rest } = e!;
    assert.equal(hash, createHash('sha256').update(canonicalEncode(rest)).digest('hex'));
    assert.equal(hashEntry(rest), hash);
  });

  test('ignores fields that are not part of an entry, and a missing field changes the hash', () => {
    const [e] = seal(null, drafts(1), T0);
    assert.equal(hashEntry({ ...e!, extra: 'column' } as AuditEntry), e!.hash);
    const { details: _, ...withoutDetails } = e!;
    assert.notEqual(hashEntry(withoutDetails as AuditEntry), e!.hash);
  });
});

describe('ChainVerifier', () => {
  const chain = seal(null, drafts(10), T0);

  test('accepts a sealed chain and reports its head', () => {
    assert.deepEqual(verify(chain), { ok: true, entries: 10, head: { seq: 10, hash: chain[9]!.hash } });
  });

  test('accepts an empty chain', () => {
    assert.deepEqual(verify([]), { ok: true, entries: 0, head: null });
  });

  test('accepts an entry read back from JSON (as a store returns it)', () => {
    assert.equal(verify(JSON.parse(JSON.stringify(chain)) as AuditEntry[]).ok, true);
  });

  for (const [field, edit] of [
    ['details', (e: AuditEntry) => (e.details['count'] = 999)],
    ['nested details', (e: AuditEntry) => ((e.details['nested'] as { region: string }).region = 'us')],
    ['actor', (e: AuditEntry) => (e.actor = 'op:mallory')],
    ['result', (e: AuditEntry) => (e.result = 'denied')],
    ['at', (e: AuditEntry) => (e.at += 1)],
  ] as const) {
    test(`names the entry whose ${field} was edited (hash-mismatch)`, () => {
      const tampered = copy(chain);
      edit(tampered[4]!);
      assert.deepEqual(failure(verify(tampered)), { reason: 'hash-mismatch', firstBadSeq: 5 });
    });
  }

  test('names the missing seq when an entry is deleted (seq-gap)', () => {
    const tampered = copy(chain);
    tampered.splice(6, 1);
    const r = verify(tampered);
    assert.deepEqual(failure(r), { reason: 'seq-gap', firstBadSeq: 7 });
    assert.equal(r.entries, 6);
  });

  test('names the missing seq 1 when the first entry is deleted', () => {
    assert.deepEqual(failure(verify(copy(chain).slice(1))), { reason: 'seq-gap', firstBadSeq: 1 });
  });

  test('fails at the first moved seq when two entries are swapped', () => {
    const tampered = copy(chain);
    [tampered[3], tampered[5]] = [tampered[5]!, tampered[3]!];
    assert.equal(failure(verify(tampered)).firstBadSeq, 4);
  });

  test('fails at the first moved seq when two entries are swapped and renumbered', () => {
    const tampered = copy(chain);
    [tampered[3], tampered[5]] = [tampered[5]!, tampered[3]!];
    tampered[3]!.seq = 4;
    tampered[5]!.seq = 6;
    assert.equal(failure(verify(tampered)).firstBadSeq, 4);
  });

  test('reports seq-order when a seq repeats or goes back', () => {
    const repeated = copy(chain);
    repeated.splice(3, 0, copy(chain)[2]!);
    assert.deepEqual(failure(verify(repeated)), { reason: 'seq-order', firstBadSeq: 3 });
  });

  test('catches a forged entry inserted with a recomputed hash, through the next prevHash', () => {
    const tampered = copy(chain);
    const before = tampered[4]!;
    const forgedBody = {
      seq: 6,
      at: before.at,
      actor: 'op:mallory',
      action: 'grant-admin',
      target: 'op:mallory',
      details: {},
      result: 'ok',
      prevHash: before.hash,
    };
    const forged = { ...forgedBody, hash: hashEntry(forgedBody) };
    tampered.splice(5, 0, forged);
    // The attacker renumbers what follows and recomputes those hashes too.
    for (let i = 6; i < tampered.length; i++) {
      const e = tampered[i]!;
      e.seq = i + 1;
      e.hash = hashEntry(e);
    }
    assert.deepEqual(failure(verify(tampered)), { reason: 'prev-hash-mismatch', firstBadSeq: 7 });
  });

  test('requires the first entry to point to the genesis hash', () => {
    const tampered = copy(chain);
    tampered[0]!.prevHash = 'f'.repeat(64);
    tampered[0]!.hash = hashEntry(tampered[0]!);
    assert.deepEqual(failure(verify(tampered)), { reason: 'prev-hash-mismatch', firstBadSeq: 1 });
  });

  test('ignores pushes after the first failure', () => {
    const tampered = copy(chain);
    tampered[1]!.actor = 'x';
    tampered[7]!.result = 'y';
    assert.deepEqual(failure(verify(tampered)), { reason: 'hash-mismatch', firstBadSeq: 2 });
  });

  test('with a checkpoint: accepts the chain that reaches it with the same hash', () => {
    assert.equal(verify(chain, { seq: 8, hash: chain[7]!.hash }).ok, true);
  });

  test('with a checkpoint: detects a truncated tail', () => {
    const r = verify(chain.slice(0, 6), { seq: 8, hash: chain[7]!.hash });
    assert.deepEqual(failure(r), { reason: 'checkpoint-mismatch', firstBadSeq: 7 });
    assert.equal(r.entries, 6);
    assert.deepEqual(failure(verify([], { seq: 8, hash: chain[7]!.hash })), {
      reason: 'checkpoint-mismatch',
      firstBadSeq: 1,
    });
  });

  test('with a checkpoint: detects history rewritten with every hash recomputed', () => {
    const rewritten = seal(null, [...drafts(2), { ...drafts(1)[0]!, actor: 'op:mallory' }, ...drafts(7)], T0);
    assert.equal(verify(rewritten).ok, true, 'a full rewrite verifies on its own');
    assert.deepEqual(failure(verify(rewritten, { seq: 8, hash: chain[7]!.hash })), {
      reason: 'checkpoint-mismatch',
      firstBadSeq: 8,
    });
  });
});

describe('canonicalEncode', () => {
  test('does not depend on key insertion order, at any depth', () => {
    const a = { b: 1, a: { y: [3, { q: true, p: null }], x: 'é' }, c: 'z' };
    const b = { c: 'z', a: { x: 'é', y: [3, { p: null, q: true }] }, b: 1 };
    assert.equal(canonicalEncode(a), canonicalEncode(b));
    assert.equal(canonicalEncode(a), '{"a":{"x":"é","y":[3,{"p":null,"q":true}]},"b":1,"c":"z"}');
  });

  test('sorts keys by UTF-16 code units, not by locale or code point', () => {
    // U+FB01 sorts before U+1F600 by code point but after it by UTF-16 code units (0xD83D).
    const encoded = canonicalEncode({ '\ufb01': 1, '\u{1f600}': 2, a: 3, B: 4, '10': 5, '9': 6 });
    assert.equal(encoded, '{"10":5,"9":6,"B":4,"a":3,"\u{1f600}":2,"\ufb01":1}');
  });

  test('keeps array order, drops undefined members, and escapes like JSON.stringify', () => {
    assert.equal(canonicalEncode([3, 1, 2]), '[3,1,2]');
    assert.equal(canonicalEncode({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(canonicalEncode([undefined]), '[null]');
    const s = 'quote " backslash \\ newline \n tab \t nul \u0000 lone \ud800 pair \u{1f600}';
    assert.equal(canonicalEncode(s), JSON.stringify(s));
    assert.equal(canonicalEncode({ [s]: s }), `{${JSON.stringify(s)}:${JSON.stringify(s)}}`);
  });

  test('writes numbers as JSON does', () => {
    assert.equal(
      canonicalEncode([0, -0, 1.5, 1e21, 1e-7, -42]),
      JSON.stringify([0, -0, 1.5, 1e21, 1e-7, -42]),
    );
  });

  test('uses toJSON, so a Date encodes as its ISO string', () => {
    assert.equal(canonicalEncode({ at: new Date(T0) }), `{"at":"2024-01-31T12:00:00.000Z"}`);
  });

  test('rejects NaN and the infinities with a TypeError', () => {
    assert.throws(() => canonicalEncode(Number.NaN), TypeError);
    assert.throws(() => canonicalEncode({ a: { b: [Number.POSITIVE_INFINITY] } }), TypeError);
    assert.throws(() => canonicalEncode(Number.NEGATIVE_INFINITY), TypeError);
  });

  test('rejects values JSON cannot hold and cycles with a TypeError', () => {
    assert.throws(() => canonicalEncode(10n), TypeError);
    assert.throws(() => canonicalEncode({ f: () => 1 }), TypeError);
    assert.throws(() => canonicalEncode(undefined), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = { back: cyclic };
    assert.throws(() => canonicalEncode(cyclic), TypeError);
    const shared = { x: 1 };
    assert.equal(canonicalEncode({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });

  test('sorts objects with many keys too', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`);
    const obj = Object.fromEntries(keys.map((k) => [k, 1]));
    const sorted = Object.fromEntries([...keys].sort().map((k) => [k, 1]));
    assert.equal(canonicalEncode(obj), JSON.stringify(sorted));
  });
});
