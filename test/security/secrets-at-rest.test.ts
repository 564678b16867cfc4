/**
 * Finding 2 of issue 12: anyone who could read the database file forged working refresh and resume
 * tokens (their MAC key was HKDF over the plain Ed25519 PEM kept in `signing_keys`) and access
 * tokens (with that PEM). Here an attacker reads every row of every table, after logins, a
 * refresh and a kick, tries the old derivation and every value as a key, and gets nothing
 * Lifeline accepts. The data directory is owner-only, and a loose one is tightened at start.
 */
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, hkdfSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import test, { type TestContext } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { type App, createApp, openSealer } from '../../src/app.ts';
import type { Config } from '../../src/config/index.ts';
import { PostgresRecordStore } from '../../src/store/postgres/index.ts';
import { SqliteRecordStore } from '../../src/store/sqlite/index.ts';
import { Tokens } from '../../src/tokens/index.ts';
import { addOperator, Client, login, postJson, tempDir, testConfig } from '../helpers.ts';
import { services } from '../services.ts';

type Rows = Record<string, Record<string, unknown>[]>;

/** Two players in, one refreshes, the other is kicked off its socket (a resume token is minted). */
async function useIt(app: App, playerUrl: string, adminUrl: string): Promise<void> {
  const a = await login(playerUrl, 'p-alice');
  const b = await login(playerUrl, 'p-bob');
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: a.refreshToken });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  const client = new Client(playerUrl, b.accessToken);
  await client.welcomed;
  const operator = await addOperator(app, 'op-kim', 'operator');
  const kick = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'p-bob' }, reason: 'test kick' },
    { authorization: `Bearer ${operator}` },
  );
  assert.equal(kick.status, 200, JSON.stringify(kick.body));
  await client.closed;
  assert.ok(
    client.messages.some((m) => m.type === 'kicked' && typeof m.resumeToken === 'string'),
    'the kick minted a resume token',
  );
}

/** Every string a row holds, and the byte strings an attacker would try as keys. */
function candidates(rows: Rows): { texts: string[]; bytes: Buffer[] } {
  const texts = new Set<string>();
  for (const table of Object.values(rows))
    for (const row of table)
      for (const v of Object.values(row)) {
        if (typeof v === 'string') texts.add(v);
        else if (v instanceof Uint8Array) texts.add(Buffer.from(v).toString('base64'));
      }
  const bytes: Buffer[] = [];
  for (const t of texts) {
    bytes.push(Buffer.from(t, 'utf8'));
    for (const part of [t, ...t.split('.')]) {
      if (/^[A-Za-z0-9+/=_-]{16,}$/.test(part)) {
        bytes.push(Buffer.from(part, 'base64'), Buffer.from(part, 'base64url'));
        if (/^[0-9a-f]+$/i.test(part) && part.length % 2 === 0) bytes.push(Buffer.from(part, 'hex'));
      }
    }
  }
  return { texts: [...texts], bytes };
}

/** Any value that parses as a private key (PEM, or PKCS#8 DER under any encoding). */
function privateKeysIn(texts: string[], bytes: Buffer[]): KeyObject[] {
  const keys: KeyObject[] = [];
  const tryKey = (make: () => KeyObject) => {
    try {
      keys.push(make());
    } catch {}
  };
  for (const t of texts) if (t.includes('-----BEGIN')) tryKey(() => createPrivateKey(t));
  for (const b of bytes) tryKey(() => createPrivateKey({ key: b, format: 'der', type: 'pkcs8' }));
  return keys;
}

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('base64url');

/** The attack, against a running node, from rows read out of its store. */
async function attack(app: App, rows: Rows, playerUrl: string): Promise<void> {
  const { texts, bytes } = candidates(rows);
  assert.ok(texts.length > 20, `the store holds rows to read (${texts.length} values)`);
  for (const t of texts) {
    assert.doesNotMatch(t, /-----BEGIN|PRIVATE KEY/, 'no row holds a PEM');
  }
  const grants = rows.grants ?? [];
  const disruptions = rows.disruptions ?? [];
  assert.ok(grants.length >= 2 && disruptions.length >= 1, 'grants and a disruption to forge tokens for');
  const macKids = (rows.mac_keys ?? []).map((r) => String(r.kid));
  const jwks = (await (await fetch(`${playerUrl}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string }[];
  };

  // MAC keys an attacker can make from the rows: the old derivation (HKDF over a private key's
  // PKCS#8, or over the stored text itself), and every 32-byte value as a key.
  const privateKeys = privateKeysIn(texts, bytes);
  const macKeys: Buffer[] = [];
  for (const k of privateKeys)
    macKeys.push(
      Buffer.from(
        hkdfSync('sha256', k.export({ format: 'der', type: 'pkcs8' }), 'lifeline', 'opaque-token-mac', 32),
      ),
    );
  for (const b of bytes) {
    macKeys.push(Buffer.from(hkdfSync('sha256', b, 'lifeline', 'opaque-token-mac', 32)));
    if (b.length === 32) macKeys.push(b);
  }

  const grant = grants.find((g) => g.revoked_at === null) ?? grants[0];
  const family = String(grant?.family_id);
  const gen = String(grant?.generation);
  const disruption = String(disruptions[0]?.id);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  let tried = 0;
  for (const key of macKeys) {
    const refreshes = [`rt.${family}.${gen}`, ...macKids.map((kid) => `rt.${kid}.${family}.${gen}`)];
    const resumes = [`rs.${disruption}.${exp}`, ...macKids.map((kid) => `rs.${kid}.${disruption}.${exp}`)];
    for (const body of refreshes)
      await assert.rejects(app.tokens.parseRefresh(`${body}.${mac(key, body)}`), { code: 'TOKEN_INVALID' });
    for (const body of resumes)
      await assert.rejects((async () => app.tokens.parseResume(`${body}.${mac(key, body)}`, Date.now()))(), {
        code: 'TOKEN_INVALID',
      });
    tried++;
  }
  assert.ok(tried > 0);
  // The old attack end to end, over HTTP: a refresh token MACed the old way for a real grant.
  const oldKey = macKeys[0] as Buffer;
  const forgedRefresh = `rt.${family}.${gen}.${mac(oldKey, `rt.${family}.${gen}`)}`;
  const refused = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: forgedRefresh });
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  const forgedResume = `rs.${disruption}.${exp}.${mac(oldKey, `rs.${disruption}.${exp}`)}`;
  const refusedRejoin = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: forgedResume });
  assert.equal(refusedRejoin.status, 401, JSON.stringify(refusedRejoin.body));

  // Access tokens signed with any key found in the rows, under every published kid.
  for (const key of privateKeys) {
    for (const { kid } of jwks.keys) {
      const alg = key.asymmetricKeyType === 'ec' ? 'ES256' : 'EdDSA';
      const now = Math.floor(Date.now() / 1000);
      const header = Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({
          sub: grant?.player_id,
          sid: grant?.session_id,
          iss: 'lifeline',
          aud: 'game',
          iat: now,
          exp: now + 600,
        }),
      ).toString('base64url');
      const input = `${header}.${payload}`;
      const sig = sign(alg === 'ES256' ? 'sha256' : null, Buffer.from(input), {
        key,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url');
      await assert.rejects(app.tokens.verifyAccess(`${input}.${sig}`), { code: 'TOKEN_INVALID' });
    }
  }
}

function sqliteRows(file: string): Rows {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[],
      ]),
    );
  } finally {
    db.close();
  }
}

function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return {
    logger: pino({ level: 'warn' }, stream),
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function start(t: TestContext, config: Config, logger = pino({ level: 'silent' })) {
  const app = await createApp({ config, logger });
  t.after(() => app.close());
  const { playerUrl, adminUrl } = await app.listen();
  return { app, playerUrl, adminUrl };
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('SQLite: no row of the database file mints a token Lifeline accepts; the data dir is owner-only', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const config = testConfig(dataDir);
  const { app, playerUrl, adminUrl } = await start(t, config);
  await useIt(app, playerUrl, adminUrl);
  const db = join(dataDir, 'lifeline.db');
  assert.equal(mode(dataDir), '700', 'a data directory Lifeline creates is 0700');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), '600', `${f} is 0600`);
  await attack(app, sqliteRows(db), playerUrl);
});

test('a data directory left 0755 with its database 0644 is tightened at start, with a warning', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const config = testConfig(dataDir);
  const first = await start(t, config);
  await login(first.playerUrl, 'p-1');
  await first.app.close();
  const db = join(dataDir, 'lifeline.db');
  chmodSync(dataDir, 0o755);
  chmodSync(db, 0o644);
  const { logger, lines } = capturingLogger();
  await start(t, config, logger);
  assert.equal(mode(dataDir), '700');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), '600', `${f} is 0600`);
  const warned = lines().filter((l) => /readable by others/.test(String(l.msg)));
  assert.deepEqual(warned.map((l) => [l.path, l.was]).sort(), [
    [dataDir, '0755'],
    [db, '0644'],
  ]);
});

test('a store written with a plain PEM signing key is sealed at start; tokens made before still verify until its keys retire', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const config = testConfig(dataDir);
  // What the code before sealing wrote: an Ed25519 PKCS#8 PEM in the row, MACs derived from it.
  const { generateKeyPairSync } = await import('node:crypto');
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const before = new SqliteRecordStore(join(dataDir, 'lifeline.db'));
  await before.addFirstSigningKey({
    kid: 'k-old',
    alg: 'EdDSA',
    sealedKey: pem,
    createdAt: 1,
    retiredAt: null,
  });
  await before.close();
  const oldMac = Buffer.from(
    hkdfSync(
      'sha256',
      privateKey.export({ format: 'der', type: 'pkcs8' }),
      'lifeline',
      'opaque-token-mac',
      32,
    ),
  );
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k-old', typ: 'at+jwt' })).toString(
    'base64url',
  );
  // An access token under the old PEM, issued at `iat` (seconds) and lasting the access TTL.
  const accessAt = (iat: number) => {
    const body = Buffer.from(
      JSON.stringify({ sub: 'p', sid: 's', iss: 'lifeline', aud: 'game', iat, exp: iat + 600 }),
    ).toString('base64url');
    return `${header}.${body}.${sign(null, Buffer.from(`${header}.${body}`), privateKey).toString('base64url')}`;
  };
  const oldAccess = accessAt(now);
  // What a thief of a pre-upgrade copy mints with the old PEM: an access token lasting a year.
  const yearPayload = Buffer.from(
    JSON.stringify({ sub: 'p', sid: 's', iss: 'lifeline', aud: 'game', iat: now, exp: now + 365 * 86_400 }),
  ).toString('base64url');
  const yearAccess = `${header}.${yearPayload}.${sign(null, Buffer.from(`${header}.${yearPayload}`), privateKey).toString('base64url')}`;

  // A virtual clock, to step past the old keys' retirement.
  const upgradedAt = Date.now();
  let clock = upgradedAt;
  const app = await createApp({ config, logger: pino({ level: 'silent' }), clock: () => clock });
  t.after(() => app.close());
  const rows = sqliteRows(join(dataDir, 'lifeline.db'));
  const stored = rows.signing_keys?.find((r) => r.kid === 'k-old');
  assert.match(String(stored?.sealed_key), /^enc1\./, 'the plain row was sealed and rewritten');
  for (const r of [...(rows.signing_keys ?? []), ...(rows.mac_keys ?? [])])
    assert.match(String(r.sealed_key), /^enc1\./);
  const sealer = openSealer(config);
  assert.equal(sealer.openText(String(stored?.sealed_key), 'signing-key:k-old'), pem);
  // Issued before the upgrade: still good (the legacy MAC key, kept sealed) until they expire.
  assert.equal((await app.tokens.verifyAccess(oldAccess)).sub, 'p');
  assert.deepEqual(await app.tokens.parseRefresh(`rt.fam-1.3.${mac(oldMac, 'rt.fam-1.3')}`), {
    familyId: 'fam-1',
    generation: 3,
  });
  assert.deepEqual(
    await app.tokens.parseResume(`rs.dis-1.${now + 60}.${mac(oldMac, `rs.dis-1.${now + 60}`)}`, Date.now()),
    {
      disruptionId: 'dis-1',
    },
  );
  // New tokens carry a MAC key id, and new access tokens are signed by the sealed key.
  assert.match(app.tokens.issueRefresh('fam-2', 0), /^rt\.m[0-9a-f]{12}\.fam-2\.0\.[\w-]{43}$/);

  // New tokens are made with keys that never sat in clear: a fresh signing key and MAC key.
  const kids = app.tokens.currentKids();
  assert.notEqual(kids.signing, 'k-old');
  assert.notEqual(kids.mac, 'legacy');
  const fresh = sqliteRows(join(dataDir, 'lifeline.db'));
  const freshSigning = fresh.signing_keys?.find((r) => r.kid === kids.signing);
  assert.ok(Number(freshSigning?.created_at) >= upgradedAt, 'the signing key was made at the upgrade');
  assert.equal(freshSigning?.retired_at, null);
  // The old keys retire on the rotation schedule: once every token they made has expired.
  const { accessTtlSeconds, refreshTtlSeconds, resumeTtlSeconds } = config.tokens;
  const oldRetires = upgradedAt + accessTtlSeconds * 1000 + 60_000;
  const legacyRetires = upgradedAt + Math.max(refreshTtlSeconds, resumeTtlSeconds) * 1000 + 60_000;
  assert.equal(fresh.signing_keys?.find((r) => r.kid === 'k-old')?.retired_at, oldRetires);
  assert.equal(fresh.mac_keys?.find((r) => r.kid === 'legacy')?.retired_at, legacyRetires);

  // A token under the old PEM claiming a lifetime no access token has is refused at once.
  await assert.rejects(app.tokens.verifyAccess(yearAccess), { code: 'TOKEN_INVALID' });
  // One within the access TTL verifies until the old key retires, then not. Expiry runs on the
  // node's clock, so the thief mints it shortly before the retirement, where it is still unexpired.
  const lateAccess = accessAt(Math.floor(oldRetires / 1000) - 10);
  clock = oldRetires - 1;
  assert.equal((await app.tokens.verifyAccess(lateAccess)).sub, 'p');
  clock = oldRetires;
  await assert.rejects(app.tokens.verifyAccess(lateAccess), { code: 'TOKEN_INVALID' });
  await app.tokens.reload();
  assert.ok(!app.tokens.jwks().keys.some((k) => k.kid === 'k-old'), 'the old key left the JWKS');
  // Refresh and resume tokens the thief MACs under the legacy key after it retired are refused.
  clock = legacyRetires;
  const later = Math.floor(clock / 1000) + 60;
  await assert.rejects(app.tokens.parseRefresh(`rt.fam-1.3.${mac(oldMac, 'rt.fam-1.3')}`), {
    code: 'TOKEN_INVALID',
  });
  await assert.rejects(
    (async () => app.tokens.parseResume(`rs.dis-1.${later}.${mac(oldMac, `rs.dis-1.${later}`)}`, clock))(),
    { code: 'TOKEN_INVALID' },
  );
});

test('a node whose KEK does not open the store refuses to start, with a code', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const first = await start(t, testConfig(dataDir));
  await first.app.close();
  const other = testConfig(dataDir, { secrets: { key: randomBytes(32).toString('base64') } });
  await assert.rejects(createApp({ config: other, logger: pino({ level: 'silent' }) }), {
    code: 'SECRETS_KEY_MISMATCH',
  });
});

const svc = await services('secrets at rest on PostgreSQL', ['postgres']);
if (svc) {
  test('PostgreSQL: no row of the schema mints a token Lifeline accepts', async (t) => {
    const schema = svc.schema();
    const config = testConfig(tempDir(t), {
      store: { kind: 'postgres', postgres: { url: svc.pgUrl, schema } },
    });
    const { app, playerUrl, adminUrl } = await start(t, config);
    await useIt(app, playerUrl, adminUrl);
    const client = new pg.Client({ connectionString: svc.pgUrl });
    await client.connect();
    t.after(() => client.end());
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [schema],
    );
    const rows: Rows = {};
    for (const { table_name } of tables.rows)
      rows[table_name] = (await client.query(`SELECT * FROM "${schema}"."${table_name}"`)).rows;
    await attack(app, rows, playerUrl);
  });

  test('PostgreSQL: nodes upgrading one plain-key store together agree on one fresh signing and MAC key', async (t) => {
    const schema = svc.schema();
    const config = testConfig(tempDir(t), {
      store: { kind: 'postgres', postgres: { url: svc.pgUrl, schema } },
    });
    const open = async () => {
      const store = await PostgresRecordStore.open({ url: svc.pgUrl, schema });
      t.after(() => store.close());
      return store;
    };
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const first = await open();
    await first.addFirstSigningKey({
      kid: 'k-old',
      alg: 'EdDSA',
      sealedKey: pem,
      createdAt: 1,
      retiredAt: null,
    });
    const sealer = openSealer(config);
    const stores = [first, await open(), await open(), await open()];
    const nodes = await Promise.all(stores.map((s) => Tokens.load(s, sealer, config.tokens, Date.now)));
    const kids = nodes.map((n) => JSON.stringify(n.currentKids()));
    assert.equal(new Set(kids).size, 1, kids.join(' '));
    const signing = await first.signingKeys();
    const mac = await first.macKeys();
    assert.deepEqual(
      signing.filter((k) => k.retiredAt === null).map((k) => k.kid),
      [nodes[0]?.currentKids().signing],
    );
    assert.ok(signing.find((k) => k.kid === 'k-old')?.retiredAt, 'the old key is set to retire');
    assert.deepEqual(
      mac.filter((k) => k.retiredAt === null).map((k) => k.kid),
      [nodes[0]?.currentKids().mac],
    );
    assert.ok(mac.find((k) => k.kid === 'legacy')?.retiredAt, 'the legacy MAC key is set to retire');
  });
}
