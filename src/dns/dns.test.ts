import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { VirtualClock } from '../lab/clock.ts';
import { DnsLab } from '../lab/dns/index.ts';
import { identityUpstream } from '../lab/index.ts';
import { isDnsFailure } from '../probes/index.ts';
import { HostResolver, resolvingFetch } from './index.ts';

const ttl = 60;

async function setup(t: { after: (fn: () => Promise<void> | void) => void }, cap = 300) {
  // One virtual clock for the lab's resolver and Lifeline's: both caches lapse as the test says.
  const clock = new VirtualClock(1_000_000);
  const lab = await DnsLab.start({ clock, ttlSeconds: ttl, targets: ['identity'] });
  t.after(() => lab.close());
  const resolver = new HostResolver(
    { servers: [lab.resolverServer], cacheTtlCapSeconds: cap, timeoutMs: 1000 },
    () => clock.now(),
  );
  const resolverQueries = () => lab.stats.snapshot().byRole.resolver.NOERROR ?? 0;
  return { clock, lab, resolver, host: lab.hostname('identity'), resolverQueries };
}

const dnsCodeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    assert.ok(isLifelineError(err, 'UPSTREAM_DNS_FAILURE'), String(err));
    return err.details?.dnsCode;
  }
  assert.fail('resolved');
};

test('answers are cached for their TTL, capped by cacheTtlCapSeconds', async (t) => {
  const { clock, resolver, host, resolverQueries } = await setup(t, 10);
  assert.deepEqual(await resolver.lookup(host), { address: '127.0.0.1', family: 4 });
  await resolver.lookup(host);
  assert.equal(resolverQueries(), 1, 'the second lookup came from the cache');
  clock.advance(9_999);
  await resolver.lookup(`${host.toUpperCase()}.`);
  assert.equal(resolverQueries(), 1);
  clock.advance(1);
  await resolver.lookup(host);
  assert.equal(resolverQueries(), 2, 'the cap (10 s), not the TTL (60 s), decided');
  assert.deepEqual(await resolver.lookup('127.0.0.9'), { address: '127.0.0.9', family: 4 });
  assert.deepEqual(await resolver.lookup('[::1]'), { address: '::1', family: 6 });
  assert.equal(resolverQueries(), 2, 'addresses are not looked up');
});

test('a removed delegation fails lookups only once the cached answers lapse, with UPSTREAM_DNS_FAILURE; then recovers', async (t) => {
  const { clock, lab, resolver, host } = await setup(t);
  await resolver.lookup(host);
  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed' });
  clock.advance(ttl * 1000 - 1);
  assert.equal((await resolver.lookup(host)).address, '127.0.0.1', 'still cached');
  clock.advance(1);
  assert.equal(await dnsCodeOf(resolver.lookup(host)), 'ENOTFOUND');
  await lab.faults.set({ kind: 'recover' });
  assert.equal((await resolver.lookup(host)).address, '127.0.0.1');

  await lab.faults.set({
    kind: 'dns',
    target: 'identity',
    mode: 'unresolvable',
    rcode: 'SERVFAIL',
    cacheTtlSeconds: 0,
  });
  resolver.flush();
  assert.equal(await dnsCodeOf(resolver.lookup(host)), 'ESERVFAIL');
});

test('resolvingFetch connects to the resolved address, keeps the hostname as Host, and fails a lapsed name with a DNS error', async (t) => {
  const { clock, lab, resolver, host } = await setup(t);
  const identity = await identityUpstream();
  t.after(() => identity.close());
  const { fetch: get, close } = resolvingFetch(resolver);
  t.after(close);
  const port = new URL(identity.url).port;
  const verify = () =>
    get(`http://${host}:${port}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ playerId: 'p1' }),
    });
  const ok = await verify();
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { playerId: 'p1' });

  const echo = createServer((req, res) => res.writeHead(204, { 'x-host': req.headers.host ?? '' }).end());
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.after(() => echo.close());
  const echoed = await get(`http://${host}:${(echo.address() as AddressInfo).port}/`);
  assert.equal(echoed.status, 204);
  assert.equal(echoed.headers.get('x-host'), `${host}:${(echo.address() as AddressInfo).port}`);

  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed' });
  clock.advance(ttl * 1000);
  // The pooled keep-alive connection to the address is still open: the lapsed name stops the call anyway.
  const failed = await verify().then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(isDnsFailure(failed));
  assert.equal(identity.stats.snapshot().requests, 1, 'the failed call never reached the upstream');
});

test('with no dns.servers, the system resolves the host, over the same node:http client (an IPv6 literal too, and the 1 MiB cap)', async (t) => {
  const resolver = new HostResolver({ servers: [], cacheTtlCapSeconds: 300, timeoutMs: 1000 }, Date.now);
  assert.equal(resolver.system, true);
  const identity = await identityUpstream();
  t.after(() => identity.close());
  const { fetch: get, close } = resolvingFetch(resolver);
  t.after(close);
  const res = await get(identity.verifyUrl.replace('127.0.0.1', 'localhost'), {
    method: 'POST',
    body: JSON.stringify({ playerId: 'p2' }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { playerId: 'p2' });
  const six = createServer((_req, res) => res.end('six'));
  await new Promise<void>((r) => six.listen(0, '::1', r));
  t.after(() => six.close());
  const viaSix = await get(`http://[::1]:${(six.address() as AddressInfo).port}/`);
  assert.equal(await viaSix.text(), 'six');
  // The global fetch would buffer this whole; Lifeline's client refuses it, whatever resolves.
  const big = createServer((_req, res) => res.end(Buffer.alloc(2 * 1024 * 1024)));
  await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
  t.after(() => big.close());
  await assert.rejects(get(`http://localhost:${(big.address() as AddressInfo).port}/`), TypeError);
});

test('an upstream answer larger than 1 MiB is refused, not buffered', async (t) => {
  const { resolver, host } = await setup(t);
  const big = createServer((_req, res) => res.end(Buffer.alloc(2 * 1024 * 1024)));
  await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
  t.after(() => big.close());
  const { fetch: get, close } = resolvingFetch(resolver);
  t.after(close);
  await assert.rejects(get(`http://${host}:${(big.address() as AddressInfo).port}/`), TypeError);
});
