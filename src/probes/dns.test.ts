import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../lab/clock.ts';
import { DnsLab } from '../lab/dns/index.ts';
import { DependencyProbes, type ProbeResult, upstreamHostnames } from './dns.ts';

test('the delegation probe asks the parent directly: a removed delegation fails at the next check, while a resolver still answers from its cache', async (t) => {
  const clock = new VirtualClock(0);
  const lab = await DnsLab.start({ clock, ttlSeconds: 300, targets: ['identity'] });
  t.after(() => lab.close());
  const zone = lab.hostname('identity');
  const heard: ProbeResult[] = [];
  const probes = new DependencyProbes(
    {
      hostnames: [zone],
      delegations: [
        { zone, expect: [`ns1.${zone}`], parentServers: [lab.parentServer] },
        { zone: `${zone}.`, expect: [`ns1.${zone}`] },
        { zone, expect: ['ns9.elsewhere.test'], parentServers: [lab.parentServer] },
      ],
      intervalSeconds: 30,
      dnsServers: [lab.resolverServer],
      timeoutMs: 1000,
    },
    () => clock.now(),
    (r) => heard.push(r),
  );
  const errors = async () =>
    Object.fromEntries((await probes.runOnce()).map((r) => [`${r.kind}:${r.name}`, r.error]));

  assert.deepEqual(await errors(), {
    [`hostname:${zone}`]: null,
    [`delegation:${zone}`]: 'missing NS ns9.elsewhere.test',
    [`delegation:${zone}.`]: null,
  });
  assert.equal(heard.length, 4, 'every check is reported, one event each');

  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed' });
  const probesOnly = new DependencyProbes(
    {
      hostnames: [zone],
      delegations: [{ zone, parentServers: [lab.parentServer] }, { zone: `${zone}.` }],
      intervalSeconds: 30,
      dnsServers: [lab.resolverServer],
      timeoutMs: 1000,
    },
    () => clock.now(),
  );
  const run = async () =>
    Object.fromEntries((await probesOnly.runOnce()).map((r) => [`${r.kind}:${r.name}`, r.error]));
  assert.deepEqual(
    await run(),
    {
      [`hostname:${zone}`]: null,
      [`delegation:${zone}`]: 'NXDOMAIN',
      [`delegation:${zone}.`]: null,
    },
    'the parent knows at once; the resolver still has the delegation cached',
  );

  clock.advance(300_000);
  assert.deepEqual(await run(), {
    [`hostname:${zone}`]: 'ENOTFOUND',
    [`delegation:${zone}`]: 'NXDOMAIN',
    [`delegation:${zone}.`]: 'ENOTFOUND',
  });

  await lab.faults.set({ kind: 'recover' });
  assert.deepEqual(Object.values(await run()), [null, null, null]);
});

test('the upstreams whose hostnames are probed: names from the URLs in use, not addresses', () => {
  assert.deepEqual(
    upstreamHostnames([
      'http://Identity.Lab.Test:8080/verify',
      'https://idp.example.com/.well-known/jwks.json',
      'http://127.0.0.1:9000/x',
      'http://[::1]:9000/x',
      'http://localhost/',
      '',
      'not a url',
      'http://identity.lab.test/again',
    ]),
    ['identity.lab.test', 'idp.example.com'],
  );
});
