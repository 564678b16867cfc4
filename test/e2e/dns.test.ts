import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entitlementsUpstream, identityUpstream, VirtualClock } from '../../src/lab/index.ts';
import { DnsLab } from '../../src/lab/dns/index.ts';
import { eventually, getJson, login, postJson, startLifeline } from '../helpers.ts';

const ttl = 60;

/**
 * The lab's DNS serving `target`, and the upstream it names, started for one test. One virtual
 * clock serves the lab's resolver and Lifeline (`clock.now`), so both caches lapse when the test says.
 */
async function world<U extends { close(): Promise<void> }>(
  t: { after: (fn: () => Promise<void>) => void },
  target: 'identity' | 'entitlements',
  upstream: () => Promise<U>,
) {
  const clock = new VirtualClock(Date.now());
  const dns = await DnsLab.start({ clock, ttlSeconds: ttl, targets: [target] });
  t.after(() => dns.close());
  const up = await upstream();
  t.after(() => up.close());
  return { clock, dns, up };
}

/**
 * Seed 001 end to end: Lifeline reaches its identity upstream by hostname through the lab's
 * resolver; a cleanup removes the delegation; logins go on from the caches, then fail with
 * UPSTREAM_DNS_FAILURE once the cached answers lapse, while the probe, asking the parent zone
 * directly, reported the missing delegation from its first check. The record comes back, and so
 * do logins.
 */
test('a removed NS delegation: logins fail once caches lapse, with UPSTREAM_DNS_FAILURE; the probe saw it at once; recovery', async (t) => {
  const { clock, dns, up: identity } = await world(t, 'identity', () => identityUpstream());
  const host = dns.hostname('identity');
  const { playerUrl, adminUrl } = await startLifeline(t, {
    clock: () => clock.now(),
    overrides: {
      identity: { provider: 'http', http: { url: dns.urlFor('identity', identity.verifyUrl) } },
      // Without admission a failed login answers at once with the upstream's code.
      admission: { enabled: false },
      // dns.servers → the lab's resolver; a delegation probe asking the lab's parent server.
      ...dns.lifelineConfig(1),
    },
  });
  const dependency = async (name: string) => (await getJson(`${playerUrl}/ready`)).body.dependencies?.[name];

  for (const p of ['p1', 'p2', 'p3']) await login(playerUrl, p);
  assert.equal(identity.stats.snapshot().byStatus[200], 3);
  await eventually(async () => ((await dependency(`delegation:${host}`)) === 'ok' ? true : undefined));
  // Waited for, as the delegation is: with both cores busy, one round's query to the lab's
  // resolver (in this process) timed out ('failing: ETIMEOUT') and the next one answered.
  const hostnameProbe = await eventually(async () =>
    (await dependency(`hostname:${host}`)) === 'ok' ? 'ok' : undefined,
  ).catch(() => dependency(`hostname:${host}`));
  assert.equal(hostnameProbe, 'ok', 'the upstream URL host is probed without being listed');

  // The cleanup task deletes the delegation (seed 001, 16:40).
  await dns.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed' });
  await eventually(async () =>
    (await dependency(`delegation:${host}`)) === 'failing: NXDOMAIN' ? true : undefined,
  );
  const ready = await getJson(`${playerUrl}/ready`);
  assert.equal(ready.status, 200, 'a DNS fault never takes the node out of rotation');
  await login(playerUrl, 'p4'); // the cached answers still hold
  assert.equal(identity.stats.snapshot().byStatus[200], 4);

  clock.advance(ttl * 1000);
  const failed = await postJson(`${playerUrl}/v1/login`, { playerId: 'p5', region: 'na', shard: 'na-1' });
  assert.equal(failed.status, 503);
  assert.equal(failed.body.error.code, 'UPSTREAM_DNS_FAILURE');
  assert.equal(identity.stats.snapshot().requests, 4, 'the failed login never reached the upstream');
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`^lifeline_dns_lookup_failures_total\\{host="${host}",code="ENOTFOUND"\\} 1$`, 'm'),
  );
  assert.match(metrics, new RegExp(`^lifeline_dependency_up\\{probe="delegation:${host}"\\} 0$`, 'm'));
  assert.match(
    metrics,
    new RegExp(
      `^lifeline_dependency_checks_total\\{probe="delegation:${host}",outcome="failing"\\} [1-9]`,
      'm',
    ),
  );

  // The record is recreated: the next login resolves again, and the probe sees the delegation.
  await dns.faults.set({ kind: 'recover' });
  await login(playerUrl, 'p5');
  assert.equal(identity.stats.snapshot().byStatus[200], 5);
  await eventually(async () => ((await dependency(`delegation:${host}`)) === 'ok' ? true : undefined));
});

test('an entitlement host that stops resolving: owners get in on their last known licence (reason dns), others a coded refusal', async (t) => {
  const {
    clock,
    dns,
    up: upstream,
  } = await world(t, 'entitlements', () =>
    entitlementsUpstream({ licences: { owner: 'premium', newbie: 'standard' } }),
  );
  const { playerUrl, adminUrl } = await startLifeline(t, {
    clock: () => clock.now(),
    overrides: {
      entitlements: { source: 'http', http: { url: dns.urlFor('entitlements', upstream.url) } },
      dns: { servers: [dns.resolverServer] },
    },
  });
  const attempt = (playerId: string) =>
    postJson(`${playerUrl}/v1/login`, { playerId, region: 'na', shard: 'na-1' });
  assert.equal((await attempt('owner')).status, 200);

  await dns.faults.set({ kind: 'dns', target: 'entitlements', mode: 'unresolvable', cacheTtlSeconds: 0 });
  clock.advance(ttl * 1000); // Lifeline's own cached answer lapses too
  const owner = await attempt('owner');
  assert.equal(owner.status, 200, 'the last known licence lets the owner in');
  const newbie = await attempt('newbie');
  assert.equal(newbie.status, 503);
  assert.equal(newbie.body.error.code, 'ENTITLEMENT_UNAVAILABLE');
  assert.equal(upstream.stats.snapshot().requests, 1, 'no call reached the upstream after the name went');
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(
    metrics,
    /^lifeline_entitlement_fallbacks_total\{outcome="last-known-good",reason="dns"\} 1$/m,
  );
  assert.match(
    metrics,
    /^lifeline_dns_lookup_failures_total\{host="entitlements.lab.test",code="ENOTFOUND"\} [1-9]/m,
  );
});

test('with admission, a login whose identity host does not resolve waits in the queue and gets in once the name resolves again', async (t) => {
  const { clock, dns, up: identity } = await world(t, 'identity', () => identityUpstream());
  await dns.faults.set({ kind: 'dns', target: 'identity', mode: 'unresolvable', rcode: 'SERVFAIL' });
  const { playerUrl, adminUrl } = await startLifeline(t, {
    clock: () => clock.now(),
    overrides: {
      identity: { provider: 'http', http: { url: dns.urlFor('identity', identity.verifyUrl) } },
      dns: { servers: [dns.resolverServer] },
    },
  });
  const queued = await postJson(`${playerUrl}/v1/login`, { playerId: 'p1', region: 'na', shard: 'na-1' });
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  assert.equal(typeof queued.body.ticket, 'string');
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(
    metrics,
    /^lifeline_dns_lookup_failures_total\{host="identity.lab.test",code="ESERVFAIL"\} [1-9]/m,
  );

  await dns.faults.set({ kind: 'recover' });
  // Admission's backoff runs on Lifeline's clock: the test moves it a second per poll.
  const admitted = await eventually(async () => {
    clock.advance(1000);
    const r = await postJson(`${playerUrl}/v1/login/poll`, { ticket: queued.body.ticket });
    return r.status === 200 ? r : undefined;
  });
  assert.equal(typeof admitted.body.accessToken, 'string');
  assert.equal(identity.stats.snapshot().byStatus[200], 1);
});
