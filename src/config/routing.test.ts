import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { loadConfig } from './index.ts';

const cwd = mkdtempSync(join(tmpdir(), 'lifeline-routing-config-'));
test.after(() => rmSync(cwd, { recursive: true, force: true }));

const load = (destinations: unknown, env: Record<string, string> = {}) =>
  loadConfig({ cwd, env: { ...env, LIFELINE_ROUTING__DESTINATIONS: JSON.stringify(destinations) } });

function refused(f: () => unknown, key: string, secret?: string): void {
  assert.throws(f, (e) => {
    assert.ok(isLifelineError(e, 'CONFIG_INVALID'), String(e));
    assert.equal(e.details?.key, key);
    if (secret !== undefined) assert.ok(!e.message.includes(secret), 'the error never shows the secret');
    return true;
  });
}

test('a PagerDuty routing key and a webhook secret can come from the environment by name', () => {
  const config = load(
    [
      { name: 'pd', kind: 'pagerduty', routingKey: 'env:PD_KEY' },
      { name: 'hook', kind: 'webhook', url: 'https://hooks.example/in', secret: 'env:HOOK_SECRET' },
    ],
    { PD_KEY: 'pd-routing-key-value', HOOK_SECRET: 'a-webhook-secret-of-32-chars!!!!' },
  );
  const [pd, hook] = config.routing.destinations;
  assert.equal(pd?.routingKey, 'pd-routing-key-value');
  assert.equal(pd?.url, 'https://events.pagerduty.com/v2/enqueue', 'the Events API v2 endpoint by default');
  assert.equal(hook?.secret, 'a-webhook-secret-of-32-chars!!!!');
  assert.ok(Object.isFrozen(pd));
});

test('each destination kind needs what it sends with; names are unique; errors name the key, not the secret', () => {
  refused(() => load([{ name: 'pd', kind: 'pagerduty' }]), 'routing.destinations.0.routingKey');
  refused(
    () => load([{ name: 'pd', kind: 'pagerduty', routingKey: 'env:PD_MISSING' }]),
    'routing.destinations.0.routingKey',
  );
  refused(
    () => load([{ name: 'pd', kind: 'pagerduty', routingKey: 'env:LIFELINE_SECRETS__KEY' }]),
    'routing.destinations.0.routingKey',
  );
  refused(() => load([{ name: 'chat', kind: 'discord' }]), 'routing.destinations.0.url');
  refused(
    () => load([{ name: 'hook', kind: 'webhook', url: 'https://h.example', secret: 'short-secret' }]),
    'routing.destinations.0.secret',
    'short-secret',
  );
  refused(
    () =>
      load([
        { name: 'x', kind: 'slack', url: 'https://hooks.slack.example/a' },
        { name: 'x', kind: 'slack', url: 'https://hooks.slack.example/b' },
      ]),
    'routing.destinations.1.name',
  );
  refused(() => load([{ name: 'x', kind: 'sms', url: 'https://x.example' }]), 'routing.destinations.0.kind');
  refused(() => load([{ name: 'x', kind: 'slack', url: 'ftp://x.example' }]), 'routing.destinations.0.url');
  refused(() => loadConfig({ cwd, env: { LIFELINE_SIEM__SINK: 'syslog' } }), 'siem.syslog.host');
});

test('incidents.compensationDestination names a webhook destination of routing.destinations', () => {
  const hook = {
    name: 'grants',
    kind: 'webhook',
    url: 'https://hooks.example/in',
    secret: 'a-webhook-secret-of-32-chars!!!!',
  };
  const chat = { name: 'chat', kind: 'discord', url: 'https://discord.example/api/webhooks/1/x' };
  const env = (name: string) => ({ LIFELINE_INCIDENTS__COMPENSATION_DESTINATION: name });
  assert.equal(load([hook], env('grants')).incidents.compensationDestination, 'grants');
  assert.equal(load([]).incidents.compensationDestination, '', 'none by default');
  refused(() => load([hook], env('nowhere')), 'incidents.compensationDestination');
  refused(() => load([hook, chat], env('chat')), 'incidents.compensationDestination');
});
