import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { type ErrorCode, isLifelineError } from '../errors/index.ts';
import { configVariables, defaultConfig, loadConfig, sqlitePath } from './index.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifeline-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** Asserts `fn` throws a LifelineError with `code` whose message starts with `key` and whose details.key is `key`. */
function assertFails(fn: () => unknown, code: ErrorCode, key: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isLifelineError(err, code), `expected ${code}, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${key}: `), `message should name ${key}: ${err.message}`);
    assert.equal(err.details?.key, key);
    return true;
  });
}

function assertDeepFrozen(value: unknown, at = 'config'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${at} is not frozen`);
  for (const [k, v] of Object.entries(value)) assertDeepFrozen(v, `${at}.${k}`);
}

test('with no file and no variables, the defaults apply and paths resolve against cwd', (t) => {
  const cwd = tempDir(t);
  const config = loadConfig({ env: { PATH: '/usr/bin', HOME: '/root' }, cwd });
  assert.equal(config.environment, 'development');
  assert.equal(config.nodeId, 'node-1');
  assert.equal(config.dataDir, path.join(cwd, 'data'));
  assert.deepEqual(config.player, {
    host: '0.0.0.0',
    port: 8080,
    backlog: 4096,
    bodyLimitBytes: 16384,
    trustProxy: [],
    rateLimit: {
      login: { ipPerSecond: 10, ipBurst: 30, playerPerSecond: 1, playerBurst: 5 },
      refresh: { ipPerSecond: 20, ipBurst: 60, playerPerSecond: 1, playerBurst: 5 },
      rejoin: { ipPerSecond: 20, ipBurst: 60, playerPerSecond: 2, playerBurst: 10 },
      upgrade: { ipPerSecond: 20, ipBurst: 60, playerPerSecond: 2, playerBurst: 10 },
      report: { ipPerSecond: 0.2, ipBurst: 5, playerPerSecond: 0.05, playerBurst: 3 },
    },
  });
  assert.deepEqual(config.admin, {
    host: '127.0.0.1',
    port: 8081,
    bodyLimitBytes: 65536,
    rateLimit: { perSecond: 5, burst: 10 },
  });
  assert.equal(config.log.level, 'info');
  assert.equal(config.tokens.accessTtlSeconds, 600);
  assert.deepEqual(config.session, {
    heartbeatIntervalSeconds: 15,
    heartbeatTimeoutSeconds: 45,
    idleTimeoutSeconds: 900,
    maxPerPlayer: 5,
    whenFull: 'replace-oldest',
    maxMessageBytes: 4096,
    messageRate: { perSecond: 10, burst: 50 },
    maxBufferedBytes: 16384,
  });
  assert.deepEqual(config.identity, {
    provider: 'dev',
    http: { url: '', timeoutMs: 2000 },
    oidc: {
      issuer: '',
      audience: '',
      jwksUrl: '',
      playerClaim: 'sub',
      clockToleranceSeconds: 30,
      jwksCooldownSeconds: 30,
    },
  });
  assert.deepEqual(config.entitlements, {
    source: 'static',
    defaultLicence: 'standard',
    licences: {},
    http: {
      url: '',
      timeoutMs: 1500,
      lkgMaxAgeSeconds: 2_592_000,
      failOpen: false,
      breakerFailures: 5,
      halfOpenAfterMs: 5000,
      halfOpenCalls: 5,
      reverifyPerSecond: 20,
    },
  });
  assert.deepEqual(Object.keys(config.topology.regions), ['na', 'eu', 'ap']);
  assert.deepEqual(config.topology.regions['eu'], {
    shards: ['eu-1', 'eu-2', 'eu-3'],
    zones: ['eu-a', 'eu-b'],
  });
  assert.equal(sqlitePath(config), path.join(cwd, 'data', 'lifeline.db'));
  assert.equal(config.secrets.keyFile, path.join(cwd, 'data.kek'), 'the KEK sits beside the data directory');
  assert.equal(config.audit.anchor.dir, path.join(cwd, 'data.anchor'), 'the audit anchor sits beside it too');
  const asWritten = {
    ...config,
    dataDir: './data',
    secrets: { ...config.secrets, keyFile: '' },
    audit: { ...config.audit, anchor: { ...config.audit.anchor, dir: '' } },
    siem: { ...config.siem, file: { ...config.siem.file, path: '' } },
  };
  assert.equal(
    config.siem.file.path,
    path.join(cwd, 'data.siem', 'audit.jsonl'),
    'the SIEM export beside it',
  );
  assert.deepEqual(asWritten, defaultConfig());
});

test('an audit anchor inside the data directory, or a sink that is not http(s), is refused', (t) => {
  const cwd = tempDir(t);
  assert.throws(
    () => loadConfig({ env: { LIFELINE_AUDIT__ANCHOR__DIR: 'data/anchor' }, cwd }),
    (e) => isLifelineError(e, 'CONFIG_INVALID') && e.details?.key === 'audit.anchor.dir',
  );
  assert.throws(
    () => loadConfig({ env: { LIFELINE_AUDIT__ANCHOR__URL: 'file:///etc/passwd' }, cwd }),
    (e) => isLifelineError(e, 'CONFIG_INVALID') && e.details?.key === 'audit.anchor.url',
  );
});

test('a KEK file inside the data directory is refused', (t) => {
  const cwd = tempDir(t);
  assert.throws(
    () => loadConfig({ env: { LIFELINE_SECRETS__KEY_FILE: 'data/kek' }, cwd }),
    (e) => isLifelineError(e, 'CONFIG_INVALID') && e.details?.key === 'secrets.keyFile',
  );
});

test('defaultConfig is deep-frozen and leaves paths as written', () => {
  const config = defaultConfig();
  assert.equal(config.dataDir, './data');
  assertDeepFrozen(config);
});

test('lifeline.config.json in cwd overrides defaults, merging sections key by key', (t) => {
  const cwd = tempDir(t);
  writeJson(cwd, 'lifeline.config.json', { player: { port: 9000 }, log: { level: 'debug' }, dataDir: 'var' });
  const config = loadConfig({ env: {}, cwd });
  assert.equal(config.player.host, '0.0.0.0');
  assert.equal(config.player.port, 9000);
  assert.equal(config.player.bodyLimitBytes, 16384);
  assert.deepEqual(config.player.trustProxy, []);
  assert.equal(config.log.level, 'debug');
  assert.equal(config.dataDir, path.join(cwd, 'var'));
});

test('an explicit file is resolved against cwd and must exist', (t) => {
  const cwd = tempDir(t);
  writeJson(cwd, 'other.json', { nodeId: 'edge-7' });
  assert.equal(loadConfig({ file: 'other.json', env: {}, cwd }).nodeId, 'edge-7');

  const missing = path.join(cwd, 'missing.json');
  assert.throws(
    () => loadConfig({ file: 'missing.json', env: {}, cwd }),
    (err: unknown) =>
      isLifelineError(err, 'CONFIG_UNREADABLE') &&
      err.message.startsWith(`${missing}: `) &&
      err.details?.file === missing,
  );
});

test('a file that is not JSON, or not an object, is reported with its name', (t) => {
  const cwd = tempDir(t);
  const file = path.join(cwd, 'lifeline.config.json');
  writeFileSync(file, '{ "player": { "port": 9000, } }');
  assert.throws(
    () => loadConfig({ env: {}, cwd }),
    (err: unknown) =>
      isLifelineError(err, 'CONFIG_UNREADABLE') &&
      err.message.startsWith(`${file}: `) &&
      err.details?.file === file,
  );
  writeFileSync(file, '[1, 2]');
  assertFails(() => loadConfig({ env: {}, cwd }), 'CONFIG_INVALID', '(root)');
});

test('environment variables override the file, parsed per type, nested with __', (t) => {
  const cwd = tempDir(t);
  writeJson(cwd, 'lifeline.config.json', { player: { port: 9000, host: '127.0.0.1' } });
  const config = loadConfig({
    cwd,
    env: {
      LIFELINE_PLAYER__PORT: '9100',
      LIFELINE_PLAYER__TRUST_PROXY: '["10.0.0.0/8","::1"]',
      LIFELINE_TOKENS__ACCESS_TTL_SECONDS: '60',
      LIFELINE_IDENTITY__HTTP__TIMEOUT_MS: '500',
      LIFELINE_DATA_DIR: './x',
      LIFELINE_LOG__LEVEL: 'warn',
      LIFELINE_ENTITLEMENTS__LICENCES: '{"p-1":"premium"}',
      LIFELINE_TOPOLOGY__REGIONS: '{"sa":{"shards":["sa-1"],"zones":[]}}',
    },
  });
  assert.equal(config.player.port, 9100);
  assert.equal(config.player.host, '127.0.0.1');
  assert.deepEqual(config.player.trustProxy, ['10.0.0.0/8', '::1']);
  assert.equal(config.tokens.accessTtlSeconds, 60);
  assert.equal(config.identity.http.timeoutMs, 500);
  assert.equal(config.dataDir, path.join(cwd, 'x'));
  assert.equal(config.log.level, 'warn');
  assert.deepEqual(config.entitlements.licences, { 'p-1': 'premium' });
  assert.deepEqual(config.topology.regions, { sa: { shards: ['sa-1'], zones: [] } });
});

test('overrides win over environment variables', (t) => {
  const cwd = tempDir(t);
  const config = loadConfig({
    cwd,
    env: { LIFELINE_PLAYER__PORT: '9100', LIFELINE_PLAYER__HOST: '10.0.0.1' },
    overrides: { player: { port: 0 } },
  });
  assert.equal(config.player.port, 0);
  assert.equal(config.player.host, '10.0.0.1');
});

test('an unknown key in the file fails naming it, at any depth', (t) => {
  const cwd = tempDir(t);
  writeJson(cwd, 'lifeline.config.json', { plyer: { port: 1 } });
  assertFails(() => loadConfig({ env: {}, cwd }), 'CONFIG_INVALID', 'plyer');
  const file = writeJson(cwd, 'lifeline.config.json', { player: { prot: 9000 } });
  assertFails(() => loadConfig({ env: {}, cwd }), 'CONFIG_INVALID', 'player.prot');
  assert.throws(
    () => loadConfig({ env: {}, cwd }),
    (err: unknown) => isLifelineError(err) && err.message.includes(file),
  );
  writeJson(cwd, 'lifeline.config.json', { identity: { http: { uri: 'http://x' } } });
  assertFails(() => loadConfig({ env: {}, cwd }), 'CONFIG_INVALID', 'identity.http.uri');
});

test('a "__proto__" key in a file is an unknown key, not a way to change prototypes', (t) => {
  const cwd = tempDir(t);
  writeFileSync(path.join(cwd, 'lifeline.config.json'), '{"__proto__": {"polluted": true}}');
  assertFails(() => loadConfig({ env: {}, cwd }), 'CONFIG_INVALID', '__proto__');
  assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
});

test('an unknown LIFELINE_ variable fails naming it; CLI variables and others are ignored', (t) => {
  const cwd = tempDir(t);
  assertFails(
    () => loadConfig({ env: { LIFELINE_PLAYER__PROT: '1' }, cwd }),
    'CONFIG_INVALID',
    'LIFELINE_PLAYER__PROT',
  );
  assert.throws(
    () => loadConfig({ env: { LIFELINE_PLAYER_PORT: '1' }, cwd }),
    /LIFELINE_PLAYER_PORT: unknown configuration variable; did you mean LIFELINE_PLAYER__PORT\?/,
  );
  assertFails(
    () => loadConfig({ env: { LIFELINE_ENVIRONMENT: 'test' }, cwd }),
    'CONFIG_INVALID',
    'LIFELINE_ENVIRONMENT',
  );
  const config = loadConfig({
    cwd,
    env: {
      LIFELINE_TOKEN: 't',
      LIFELINE_ADMIN_URL: 'http://x',
      LIFELINE_CONFIG: 'y.json',
      LIFELINEX: '1',
      lifeline_x: '1',
    },
  });
  assert.equal(config.player.port, 8080);
});

test('a value of the wrong type fails naming the key and where it came from', (t) => {
  const cwd = tempDir(t);
  assert.throws(
    () => loadConfig({ env: { LIFELINE_PLAYER__PORT: 'abc' }, cwd }),
    (err: unknown) =>
      isLifelineError(err, 'CONFIG_INVALID') &&
      err.message === 'player.port: must be an integer from 0 to 65535 (from LIFELINE_PLAYER__PORT)' &&
      err.details?.key === 'player.port' &&
      err.details?.source === 'LIFELINE_PLAYER__PORT',
  );
  assertFails(
    () => loadConfig({ env: { LIFELINE_PLAYER__TRUST_PROXY: 'yes' }, cwd }),
    'CONFIG_INVALID',
    'player.trustProxy',
  );
  assertFails(() => loadConfig({ env: { LIFELINE_LOG__LEVEL: 'loud' }, cwd }), 'CONFIG_INVALID', 'log.level');
  assertFails(
    () => loadConfig({ env: { LIFELINE_ENTITLEMENTS__LICENCES: '{nope' }, cwd }),
    'CONFIG_INVALID',
    'entitlements.licences',
  );
  assertFails(
    () => loadConfig({ env: {}, cwd, overrides: { nodeId: 'has space' } }),
    'CONFIG_INVALID',
    'nodeId',
  );

  const file = writeJson(cwd, 'lifeline.config.json', {
    player: { port: 70000 },
    tokens: { accessTtlSeconds: 0 },
  });
  assert.throws(
    () => loadConfig({ env: {}, cwd }),
    (err: unknown) =>
      isLifelineError(err, 'CONFIG_INVALID') &&
      err.details?.key === 'player.port' &&
      err.details?.source === file,
  );
});

test('NODE_ENV sets environment and accepts only development, production or test', (t) => {
  const cwd = tempDir(t);
  assert.equal(loadConfig({ env: { NODE_ENV: 'production' }, cwd }).environment, 'production');
  assert.equal(loadConfig({ env: { NODE_ENV: 'test' }, cwd }).environment, 'test');
  assert.equal(loadConfig({ env: { NODE_ENV: '' }, cwd }).environment, 'development');
  assertFails(() => loadConfig({ env: { NODE_ENV: 'staging' }, cwd }), 'CONFIG_INVALID', 'environment');
});

test('the loaded config is deep-frozen', (t) => {
  const config = loadConfig({
    env: {},
    cwd: tempDir(t),
    overrides: { entitlements: { licences: { p: 'vip' } } },
  });
  assertDeepFrozen(config);
  assert.throws(() => {
    (config.player as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (config.topology.regions['na']!.shards as string[]).push('na-4');
  }, TypeError);
});

test('topology.regions and entitlements.licences from a layer replace the default map whole', (t) => {
  const cwd = tempDir(t);
  writeJson(cwd, 'lifeline.config.json', {
    topology: { regions: { na: { shards: ['na-9'], zones: [] } } },
    entitlements: { licences: { a: 'vip', b: 'standard' } },
  });
  const fromFile = loadConfig({ env: {}, cwd });
  assert.deepEqual(fromFile.topology.regions, { na: { shards: ['na-9'], zones: [] } });

  const fromOverrides = loadConfig({ env: {}, cwd, overrides: { entitlements: { licences: { c: 'vip' } } } });
  assert.deepEqual(fromOverrides.entitlements.licences, { c: 'vip' });
  assert.deepEqual(fromOverrides.topology.regions, { na: { shards: ['na-9'], zones: [] } });
});

test('topology names, empty shard lists and missing zones are rejected naming the key', (t) => {
  const cwd = tempDir(t);
  const regions = (value: unknown) => ({
    env: {},
    cwd,
    overrides: { topology: { regions: value } } as never,
  });
  assertFails(
    () => loadConfig(regions({ NA: { shards: ['na-1'], zones: [] } })),
    'CONFIG_INVALID',
    'topology.regions.NA',
  );
  assertFails(
    () => loadConfig(regions({ na: { shards: [], zones: [] } })),
    'CONFIG_INVALID',
    'topology.regions.na.shards',
  );
  assertFails(
    () => loadConfig(regions({ na: { shards: ['na_1'], zones: [] } })),
    'CONFIG_INVALID',
    'topology.regions.na.shards.0',
  );
  assertFails(
    () => loadConfig(regions({ na: { shards: ['na-1'] } })),
    'CONFIG_INVALID',
    'topology.regions.na.zones',
  );
  assertFails(() => loadConfig(regions({})), 'CONFIG_INVALID', 'topology.regions');
});

test('the heartbeat timeout must exceed the heartbeat interval', (t) => {
  const cwd = tempDir(t);
  assertFails(
    () => loadConfig({ env: { LIFELINE_SESSION__HEARTBEAT_INTERVAL_SECONDS: '45' }, cwd }),
    'CONFIG_INVALID',
    'session.heartbeatTimeoutSeconds',
  );
  const config = loadConfig({ env: { LIFELINE_SESSION__HEARTBEAT_TIMEOUT_SECONDS: '16' }, cwd });
  assert.equal(config.session.heartbeatTimeoutSeconds, 16);
});

test('the http identity provider needs an http(s) URL', (t) => {
  const cwd = tempDir(t);
  assertFails(
    () => loadConfig({ env: { LIFELINE_IDENTITY__PROVIDER: 'http' }, cwd }),
    'CONFIG_INVALID',
    'identity.http.url',
  );
  assertFails(
    () =>
      loadConfig({
        env: {},
        cwd,
        overrides: { identity: { provider: 'http', http: { url: 'ftp://id.example' } } },
      }),
    'CONFIG_INVALID',
    'identity.http.url',
  );
  const config = loadConfig({
    env: { LIFELINE_IDENTITY__PROVIDER: 'http', LIFELINE_IDENTITY__HTTP__URL: 'https://id.example/verify' },
    cwd,
  });
  assert.equal(config.identity.http.url, 'https://id.example/verify');
});

test('PostgreSQL and Redis are chosen with their URLs; Redis live state needs the shared store', (t) => {
  const cwd = tempDir(t);
  assertFails(
    () => loadConfig({ env: { LIFELINE_STORE__KIND: 'postgres' }, cwd }),
    'CONFIG_INVALID',
    'store.postgres.url',
  );
  assertFails(
    () => loadConfig({ env: { LIFELINE_STORE__KIND: 'mysql' }, cwd }),
    'CONFIG_INVALID',
    'store.kind',
  );
  const pg = { LIFELINE_STORE__KIND: 'postgres', LIFELINE_STORE__POSTGRES__URL: 'postgres://db/lifeline' };
  assertFails(
    () => loadConfig({ env: { ...pg, LIFELINE_LIVE__KIND: 'redis' }, cwd }),
    'CONFIG_INVALID',
    'live.redis.url',
  );
  assertFails(
    () =>
      loadConfig({
        env: { LIFELINE_LIVE__KIND: 'redis', LIFELINE_LIVE__REDIS__URL: 'redis://cache:6379' },
        cwd,
      }),
    'CONFIG_INVALID',
    'store.kind',
  );
  assertFails(
    () => loadConfig({ env: { ...pg, LIFELINE_LIVE__REDIS__PREFIX: 'a{b}' }, cwd }),
    'CONFIG_INVALID',
    'live.redis.prefix',
  );
  assertFails(
    () => loadConfig({ env: { ...pg, LIFELINE_STORE__POSTGRES__SCHEMA: 'drop table' }, cwd }),
    'CONFIG_INVALID',
    'store.postgres.schema',
  );
  const config = loadConfig({
    env: { ...pg, LIFELINE_LIVE__KIND: 'redis', LIFELINE_LIVE__REDIS__URL: 'redis://cache:6379' },
    cwd,
  });
  assert.equal(config.store.kind, 'postgres');
  assert.equal(config.store.postgres.schema, 'lifeline');
  assert.equal(config.live.redis.prefix, 'lifeline:');
  assert.equal(defaultConfig().store.kind, 'sqlite', 'the embedded default stays the default');
  assert.equal(defaultConfig().live.kind, 'memory');
});

test('entitlements.file resolves against cwd and sqlite file against dataDir', (t) => {
  const cwd = tempDir(t);
  const config = loadConfig({
    env: { LIFELINE_ENTITLEMENTS__FILE: 'licences.json', LIFELINE_STORE__SQLITE__FILE: 'x/y.db' },
    cwd,
  });
  assert.equal(config.entitlements.file, path.join(cwd, 'licences.json'));
  assert.equal(sqlitePath(config), path.join(cwd, 'data', 'x', 'y.db'));
  const memory = loadConfig({ env: {}, cwd, overrides: { store: { sqlite: { file: ':memory:' } } } });
  assert.equal(sqlitePath(memory), ':memory:');
});

test('player.trustProxy: false (the old "no proxy") still means none; true and bad entries are refused, naming the key', (t) => {
  const cwd = tempDir(t);
  assert.deepEqual(loadConfig({ env: { LIFELINE_PLAYER__TRUST_PROXY: 'false' }, cwd }).player.trustProxy, []);
  writeJson(cwd, 'old.json', { player: { trustProxy: false } });
  assert.deepEqual(loadConfig({ file: 'old.json', env: {}, cwd }).player.trustProxy, []);
  assert.throws(
    () => loadConfig({ env: { LIFELINE_PLAYER__TRUST_PROXY: 'true' }, cwd }),
    (err: unknown) =>
      isLifelineError(err, 'CONFIG_INVALID') &&
      err.details?.key === 'player.trustProxy' &&
      err.message.includes('no longer accepted'),
  );
  assertFails(
    () => loadConfig({ env: {}, cwd, overrides: { player: { trustProxy: ['10.0.0.0/33'] } } }),
    'CONFIG_INVALID',
    'player.trustProxy.0',
  );
  assertFails(
    () => loadConfig({ env: {}, cwd, overrides: { player: { trustProxy: ['10.0.0.1', 'proxy.local'] } } }),
    'CONFIG_INVALID',
    'player.trustProxy.1',
  );
});

test('dns: the system resolver by default; servers are IP addresses with an optional port, anywhere a DNS server is named', (t) => {
  const cwd = tempDir(t);
  assert.deepEqual(loadConfig({ env: {}, cwd }).dns, {
    servers: [],
    cacheTtlCapSeconds: 300,
    timeoutMs: 2000,
  });
  assert.deepEqual(
    loadConfig({ env: { LIFELINE_DNS__SERVERS: '["127.0.0.1:5353","[::1]:53","10.0.0.2","::1"]' }, cwd }).dns
      .servers,
    ['127.0.0.1:5353', '[::1]:53', '10.0.0.2', '::1'],
  );
  for (const bad of ['dns.example.com', '127.0.0.1:0', '127.0.0.1:65536', '999.1.1.1', '[::1'])
    assertFails(
      () => loadConfig({ env: {}, cwd, overrides: { dns: { servers: [bad] } } }),
      'CONFIG_INVALID',
      'dns.servers.0',
    );
  assertFails(
    () => loadConfig({ env: {}, cwd, overrides: { probes: { dnsServers: ['10.0.0.2', 'resolver'] } } }),
    'CONFIG_INVALID',
    'probes.dnsServers.1',
  );
  assertFails(
    () =>
      loadConfig({
        env: {},
        cwd,
        overrides: { probes: { delegations: [{ zone: 'a.test', parentServers: ['ns.a.test'] }] } },
      }),
    'CONFIG_INVALID',
    'probes.delegations.0.parentServers.0',
  );
  assertFails(
    () => loadConfig({ env: {}, cwd, overrides: { dns: { cacheTtlCapSeconds: 0 } } }),
    'CONFIG_INVALID',
    'dns.cacheTtlCapSeconds',
  );
});

test('docs/CONFIGURATION.md documents every key and its variable', () => {
  const docs = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'CONFIGURATION.md'), 'utf8');
  for (const { key, variable } of configVariables()) {
    assert.ok(docs.includes(`\`${key}\``), `${key} is not documented`);
    assert.ok(docs.includes(`\`${variable}\``), `${variable} is not documented`);
  }
});

test('change windows take ISO 8601 times and must end after they start', (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'lifeline-config-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const windows = (changeWindows: unknown) => () =>
    loadConfig({ env: {}, cwd, overrides: { detection: { changeWindows } } as never });
  const ok = windows([{ from: '2026-12-01T14:00:00Z', to: '2026-12-01T14:30:00Z', what: 'deploy 1.4' }])();
  assert.equal(ok.detection.changeWindows.length, 1);
  assertFails(
    windows([{ from: 'tomorrow', to: '2026-12-01T14:30:00Z', what: 'x' }]),
    'CONFIG_INVALID',
    'detection.changeWindows.0.from',
  );
  assertFails(
    windows([{ from: '2026-12-01T14:30:00Z', to: '2026-12-01T14:00:00Z', what: 'x' }]),
    'CONFIG_INVALID',
    'detection.changeWindows.0.to',
  );
});
