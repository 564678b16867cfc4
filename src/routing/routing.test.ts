import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { Signal } from '../signals/records.ts';
import { request } from './deliver.ts';
import {
  backoffMs,
  discordMessage,
  NotificationPolicy,
  pagerDutyEvent,
  retryAfterMs,
  slackMessage,
  TokenBucket,
  webhookSignature,
} from './index.ts';

const S = 1000;

function signal(over: Partial<Signal> = {}): Signal {
  return {
    id: 'sig-1',
    source: 'detector',
    detector: 'login-failures',
    severity: 'P1',
    title: '5% of logins failing across 30 shards',
    dimensions: { region: 'eu' },
    fingerprint: 'login-failures|region=eu',
    onsetAt: 1_000,
    startedAt: 2_000,
    resolvedAt: null,
    evidence: { statistic: 9.1, threshold: 5, observed: 0.05, expected: 0.001 },
    localisation: [{ dimension: 'dependency', values: ['identity'], share: 0.94, surprise: 0.7 }],
    incidentId: null,
    ...over,
  };
}

const timers = {
  groupWaitMs: 30 * S,
  groupIntervalMs: 300 * S,
  repeatIntervalMs: 4 * 3600 * S,
  quietMs: 300 * S,
};
const actions = (p: NotificationPolicy, now: number) =>
  p
    .due(now)
    .flatMap((n) => n.notes.map((x) => `${x.action}:${x.signal.fingerprint}${x.repeat ? ':repeat' : ''}`));

test('signals of one detector that start within group wait arrive in one notification', () => {
  const p = new NotificationPolicy(timers);
  p.observe(signal(), 'raised', 0);
  p.observe(
    signal({ fingerprint: 'login-failures|region=na', dimensions: { region: 'na' } }),
    'raised',
    10 * S,
  );
  assert.deepEqual(actions(p, 29 * S), [], 'the group waits');
  const [n, ...rest] = p.due(30 * S);
  assert.equal(rest.length, 0);
  assert.deepEqual(n?.notes.map((x) => x.signal.fingerprint).sort(), [
    'login-failures|region=eu',
    'login-failures|region=na',
  ]);
});

test('an unchanged signal is not re-sent within the repeat interval, and is after it', () => {
  const p = new NotificationPolicy(timers);
  p.observe(signal(), 'raised', 0);
  assert.equal(actions(p, 30 * S).length, 1);
  for (let t = 60; t + 300 < 30 + 4 * 3600; t += 300) {
    p.observe(
      signal({ evidence: { statistic: t, threshold: 5, observed: 0.05, expected: 0 } }),
      'updated',
      t * S,
    );
    assert.deepEqual(actions(p, (t + 300) * S), [], `no re-send at ${t + 300} s`);
  }
  assert.deepEqual(actions(p, (30 + 4 * 3600 + 300) * S), ['trigger:login-failures|region=eu:repeat']);
});

test('a severity change is sent at the next group interval', () => {
  const p = new NotificationPolicy(timers);
  p.observe(signal({ severity: 'P2' }), 'raised', 0);
  actions(p, 30 * S);
  p.observe(signal({ severity: 'P1' }), 'updated', 40 * S);
  assert.deepEqual(actions(p, 40 * S), [], 'not before the group interval');
  assert.deepEqual(actions(p, 330 * S), ['trigger:login-failures|region=eu']);
});

test('a flapping signal pages once within the quiet period and resolves once after it', () => {
  const p = new NotificationPolicy(timers);
  const sent: string[] = [];
  let now = 0;
  p.observe(signal(), 'raised', now);
  // Flaps every 100 s for half an hour: resolved, then back before the quiet period ends.
  for (let i = 0; i < 18; i++) {
    now += 50 * S;
    p.observe(signal(), i % 2 === 0 ? 'resolved' : 'raised', now);
    sent.push(...actions(p, now));
    now += 50 * S;
    sent.push(...actions(p, now));
  }
  p.observe(signal({ resolvedAt: now }), 'resolved', now);
  for (let t = 0; t < 20; t++) {
    now += 60 * S;
    sent.push(...actions(p, now));
  }
  assert.deepEqual(sent, ['trigger:login-failures|region=eu', 'resolve:login-failures|region=eu']);
  assert.equal(p.size, 0, 'nothing held after the resolve');
});

test('a signal resolved within group wait tells nobody', () => {
  const p = new NotificationPolicy(timers);
  p.observe(signal(), 'raised', 0);
  p.observe(signal(), 'resolved', 10 * S);
  const sent = [30, 330, 660].flatMap((t) => actions(p, t * S));
  assert.deepEqual(sent, []);
});

test('a resolve for a signal this node never saw is sent, so a page raised before a restart closes', () => {
  const p = new NotificationPolicy(timers);
  p.observe(signal(), 'resolved', 0);
  assert.deepEqual([...actions(p, 30 * S), ...actions(p, 330 * S)], ['resolve:login-failures|region=eu']);
});

test('the PagerDuty event is Events v2 shaped, keyed by the fingerprint; the routing key is added at send only', () => {
  const e = pagerDutyEvent(
    { action: 'trigger', signal: signal(), peak: 'P1', repeat: false },
    'lifeline/node-1',
  );
  assert.equal(e.event_action, 'trigger');
  assert.equal(e.dedup_key, 'login-failures|region=eu');
  assert.equal(e.routing_key, undefined, 'never stored in the outbox');
  const payload = e.payload as Record<string, unknown>;
  assert.deepEqual(Object.keys(payload).sort(), [
    'class',
    'component',
    'custom_details',
    'group',
    'severity',
    'source',
    'summary',
    'timestamp',
  ]);
  assert.equal(payload.severity, 'critical');
  assert.equal(payload.timestamp, new Date(2_000).toISOString());
  const sent = JSON.parse(
    request({ name: 'pd', kind: 'pagerduty', url: 'https://x.invalid', routingKey: 'R'.repeat(32) }, e, 0)
      .body,
  );
  assert.equal(sent.routing_key, 'R'.repeat(32));
  assert.deepEqual(pagerDutyEvent({ action: 'resolve', signal: signal(), peak: 'P1', repeat: false }, 'x'), {
    event_action: 'resolve',
    dedup_key: 'login-failures|region=eu',
  });
});

test("Discord and Slack messages stay within their published limits however long the signals' text", () => {
  const huge = 'x'.repeat(20_000);
  const notes = Array.from({ length: 60 }, (_, i) => ({
    action: 'trigger' as const,
    signal: signal({ title: huge, fingerprint: `${huge}${i}`, dimensions: { region: huge } }),
    peak: 'P1' as const,
    repeat: false,
  }));
  const d = discordMessage({ group: huge, at: 0, notes });
  assert.ok(String(d.content).length <= 2000);
  const embeds = d.embeds as Record<string, unknown>[];
  assert.ok(embeds.length >= 1 && embeds.length <= 10);
  let total = 0;
  for (const e of embeds) {
    assert.ok(String(e.title).length <= 256);
    assert.ok(String(e.description).length <= 4096);
    const fields = e.fields as { name: string; value: string }[];
    assert.ok(fields.length <= 25);
    for (const f of fields) assert.ok(f.name.length <= 256 && f.value.length <= 1024);
    total += String(e.title).length + String(e.description).length;
    total += fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    total += String((e.footer as { text: string }).text).length;
  }
  assert.ok(total <= 6000, `${total} characters over all embeds`);
  assert.deepEqual(d.allowed_mentions, { parse: [] }, 'a signal title cannot ping @everyone');
  const s = slackMessage({ group: huge, at: 0, notes });
  const blocks = s.blocks as { type: string; text?: { text: string } }[];
  assert.ok(blocks.length <= 50);
  assert.ok((blocks[0]?.text?.text.length ?? 0) <= 150);
  for (const b of blocks.slice(1)) assert.ok((b.text?.text.length ?? 0) <= 3000);
  assert.ok(String(s.text).length <= 3000);
});

test('the webhook signature is HMAC-SHA256 over timestamp.body, as a receiver recomputes it', () => {
  const secret = 'k'.repeat(32);
  const { body, headers } = request(
    { name: 'hook', kind: 'webhook', url: 'https://x.invalid', secret },
    { hello: 'world' },
    1_700_000_000_500,
  );
  assert.equal(headers['x-lifeline-timestamp'], '1700000000');
  const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
  assert.equal(headers['x-lifeline-signature'], `v1=${expected}`);
  assert.notEqual(
    webhookSignature('other-secret-value', 1_700_000_000, body),
    headers['x-lifeline-signature'],
  );
});

test("429 waits: Discord's retry_after (seconds, fractional) first, then Retry-After in seconds or as a date", () => {
  assert.equal(retryAfterMs('9', JSON.stringify({ retry_after: 2.5, global: false }), 0), 2500);
  assert.equal(retryAfterMs('7', 'Too many', 0), 7000);
  assert.equal(retryAfterMs(new Date(65_000).toUTCString(), '', 5_000), 60_000);
  assert.equal(retryAfterMs(null, '{}', 0), null);
  assert.equal(retryAfterMs('soon', '', 0), null);
});

test('backoff doubles from 1 s to its cap, always at least half its step', () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => [backoffMs(n, 300_000, low), backoffMs(n, 300_000, high)]),
    [
      [500, 1000],
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
    ],
  );
  assert.equal(backoffMs(40, 300_000, high), 300_000);
});

test("a token bucket at Discord's 5 per 2 s lets a burst of 5 through, then one every 400 ms", () => {
  const b = new TokenBucket(150, 5, 0);
  assert.deepEqual(
    Array.from({ length: 6 }, () => b.take(0)),
    [0, 0, 0, 0, 0, 400],
  );
  assert.equal(b.take(399), 1);
  assert.equal(b.take(400), 0);
});

test('the policy holds a bounded number of alerts; known ones still change', () => {
  const p = new NotificationPolicy(timers, 3);
  for (let i = 0; i < 3; i++) assert.equal(p.observe(signal({ fingerprint: `fp-${i}` }), 'raised', 0), true);
  assert.equal(p.observe(signal({ fingerprint: 'fp-3' }), 'raised', 0), false, 'a fourth is refused');
  assert.equal(p.observe(signal({ fingerprint: 'fp-0' }), 'resolved', 1), true, 'a held one still resolves');
  assert.equal(p.size, 3);
});
