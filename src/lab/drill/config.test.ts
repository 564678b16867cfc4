import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../config/index.ts';
import { loadScenario, scenarioWithTimeScale } from '../scenario/index.ts';
import { nodeConfig } from './config.ts';
import type { DrillUpstream } from './upstreams.ts';

const node = {
  nodeId: 'node-2',
  dataDir: '/tmp/x/node-2',
  anchorDir: '/tmp/x/node-2.anchor',
  playerPort: 4001,
  adminPort: 4002,
};
const up = (target: DrillUpstream['target'], serviceUrl: string) =>
  [target, { target, serviceUrl, controlUrl: '', capacityPerSecond: 1, standing: [] }] as const;
const ups = new Map([
  up('identity', 'http://127.0.0.1:9/verify'),
  up('entitlements', 'http://127.0.0.1:9'),
]) as never;
const kek = Buffer.alloc(32, 7).toString('base64');
const cluster = {
  kind: 'postgres+redis',
  pgUrl: 'postgres://x@127.0.0.1/db',
  schema: 'lifeline_drill_ab',
  redisUrl: 'redis://127.0.0.1:6379',
  prefix: 'lldrill:ab:',
} as const;

/** What `lifeline serve` would make of the generated file: the real loader and its validation. */
function load(config: Record<string, unknown>) {
  return loadConfig({ env: {}, cwd: '/tmp', overrides: config as never });
}

test("a drill node's config passes Lifeline's own validation and points at the lab and the scenario's topology", () => {
  const s = loadScenario('dns-debacle');
  const c = load(
    nodeConfig({ scenario: s, upstreams: ups, store: { kind: 'sqlite+memory' }, kek, protected: true }, node),
  );
  assert.equal(c.nodeId, 'node-2');
  assert.equal(c.player.port, 4001);
  assert.equal(c.identity.provider, 'http');
  assert.equal(c.identity.http.url, 'http://127.0.0.1:9/verify');
  assert.equal(c.entitlements.source, 'http');
  assert.deepEqual(Object.keys(c.topology.regions).sort(), ['ap', 'eu', 'na']);
  assert.deepEqual(c.topology.regions.na?.shards, ['na-1', 'na-2']);
  assert.equal(c.admission.enabled, true);
  assert.equal(c.breaker.minKicks, 50);
  assert.equal(c.entitlements.http.lkgMaxAgeSeconds, 2_592_000);
});

test('--unprotected switches off admission, last-known-good and the kick breaker', () => {
  const s = loadScenario('dns-debacle');
  const c = load(nodeConfig({ scenario: s, upstreams: ups, store: cluster, kek, protected: false }, node));
  assert.equal(c.admission.enabled, false);
  assert.equal(c.entitlements.http.lkgMaxAgeSeconds, 1);
  assert.ok(c.breaker.minKicks >= 1_000_000_000);
  assert.equal(c.store.kind, 'postgres');
  assert.equal(c.store.postgres.schema, 'lifeline_drill_ab');
  assert.equal(c.live.redis.prefix, 'lldrill:ab:');
});

test("on a compressed clock Lifeline's wall-clock durations shrink with it", () => {
  const s = scenarioWithTimeScale(loadScenario('runaway-kick'), 20);
  const c = load(
    nodeConfig(
      { scenario: s, upstreams: new Map(), store: { kind: 'sqlite+memory' }, kek, protected: true },
      node,
    ),
  );
  // 60 s / 20 is 3, under the floor a loaded machine needs to serve the breaker's cap of kicks.
  assert.equal(c.breaker.windowSeconds, 10);
  assert.equal(c.restore.waitingRetryAfterSeconds, 2);
  assert.equal(c.tokens.accessTtlSeconds, 6);
  assert.equal(c.identity.provider, 'dev');
  assert.equal(c.entitlements.source, 'static');
});
