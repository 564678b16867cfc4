import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Resolver } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test } from 'node:test';
import * as packet from 'dns-packet';
import { dnsQuery } from '../../dns/index.ts';
import { VirtualClock } from '../clock.ts';
import { seededRandom } from '../random.ts';
import { loadScenario } from '../scenario/index.ts';
import { DnsLab, fromScenario } from './index.ts';

const ttl = 300;

async function startLab(t: { after: (fn: () => Promise<void>) => void }, clock = new VirtualClock(0)) {
  const lab = await DnsLab.start({ clock, ttlSeconds: ttl, targets: ['identity', 'entitlements'] });
  t.after(() => lab.close());
  return { lab, clock };
}

/** What a client of the lab's resolver gets: the rcode and the A records, with their TTL. */
async function resolveA(lab: DnsLab, name: string) {
  const r = await dnsQuery(lab.resolverServer, name, 'A');
  return {
    rcode: r.rcode,
    addresses: r.answers.map((a) => (a.type === 'A' ? a.data : '')),
    ttl: r.answers[0]?.type === 'A' ? r.answers[0].ttl : undefined,
  };
}

test('the parent delegates the child zone with glue, the child answers for its host, the resolver follows the referral', async (t) => {
  const { lab } = await startLab(t);
  const host = lab.hostname('identity');
  assert.equal(host, 'identity.lab.test');

  const referral = await dnsQuery(lab.parentServer, host, 'NS', { recursive: false });
  assert.equal(referral.rcode, 'NOERROR');
  assert.equal(referral.authoritative, false, 'a referral, not an answer');
  assert.deepEqual(
    referral.authorities.map((a) => a.type === 'NS' && [a.name, a.data, a.ttl]),
    [['identity.lab.test', 'ns1.identity.lab.test', ttl]],
  );
  assert.deepEqual(
    referral.additionals.map((a) => a.type === 'A' && [a.name, a.data]),
    [['ns1.identity.lab.test', '127.0.0.1']],
  );

  const child = await dnsQuery(lab.childServer, host, 'A', { recursive: false });
  assert.equal(child.authoritative, true);
  assert.deepEqual(
    child.answers.map((a) => a.type === 'A' && a.data),
    ['127.0.0.1'],
  );
  const childNs = await dnsQuery(lab.childServer, host, 'NS', { recursive: false });
  assert.deepEqual(
    childNs.answers.map((a) => a.type === 'NS' && a.data),
    ['ns1.identity.lab.test'],
  );
  assert.equal((await dnsQuery(lab.childServer, 'nope.identity.lab.test', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await dnsQuery(lab.parentServer, 'example.com', 'A')).rcode, 'REFUSED');
  assert.equal((await dnsQuery(lab.parentServer, 'nope.lab.test', 'A')).rcode, 'NXDOMAIN');

  assert.deepEqual(await resolveA(lab, host), { rcode: 'NOERROR', addresses: ['127.0.0.1'], ttl });
  const s = lab.stats.snapshot();
  assert.equal(
    s.byRole.parent.NOERROR,
    1 + 1,
    'the probe-style query and the resolver each asked the parent once',
  );
  assert.equal(s.cacheMisses, 1);

  // A stub resolver as Node (c-ares) has it, pointed at the lab: what Lifeline's resolver uses.
  const stub = new Resolver({ timeout: 1000, tries: 1 });
  stub.setServers([lab.resolverServer]);
  assert.deepEqual(await stub.resolve4(host, { ttl: true }), [{ address: '127.0.0.1', ttl }]);
  await assert.rejects(stub.resolve4('gone.lab.test'), { code: 'ENOTFOUND' });
  assert.equal(lab.stats.snapshot().cacheHits, 1, 'the second lookup came from the cache');
});

test('delegation-removed: the parent stops referring at once, the resolver keeps its cached answer until the TTL lapses; recovery', async (t) => {
  const { lab, clock } = await startLab(t);
  const host = lab.hostname('identity');
  assert.equal((await resolveA(lab, host)).rcode, 'NOERROR');

  clock.advance(100_000);
  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed' });
  assert.equal((await dnsQuery(lab.parentServer, host, 'NS', { recursive: false })).rcode, 'NXDOMAIN');
  const cached = await resolveA(lab, host);
  assert.deepEqual(cached, { rcode: 'NOERROR', addresses: ['127.0.0.1'], ttl: ttl - 100 }, 'still cached');
  assert.equal((await resolveA(lab, lab.hostname('entitlements'))).rcode, 'NOERROR', 'other zones unharmed');

  clock.advance((ttl - 100) * 1000 - 1);
  assert.equal((await resolveA(lab, host)).rcode, 'NOERROR', 'one ms before the TTL lapses');
  clock.advance(1);
  assert.equal((await resolveA(lab, host)).rcode, 'NXDOMAIN', 'lapsed: the parent no longer knows the zone');

  await lab.faults.set({ kind: 'recover', target: 'identity' });
  assert.deepEqual(lab.faults.list(), []);
  assert.equal((await resolveA(lab, host)).rcode, 'NOERROR');
});

test('cacheTtlSeconds caps how long cached answers survive the onset', async (t) => {
  const { lab, clock } = await startLab(t);
  const host = lab.hostname('identity');
  await resolveA(lab, host);
  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'delegation-removed', cacheTtlSeconds: 20 });
  assert.equal((await resolveA(lab, host)).ttl, 20);
  clock.advance(20_000);
  assert.equal((await resolveA(lab, host)).rcode, 'NXDOMAIN');
});

test('unresolvable: the zone answers NXDOMAIN or SERVFAIL, a share of queries with rate, then recovers', async (t) => {
  const { lab, clock } = await startLab(t);
  const host = lab.hostname('identity');
  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'unresolvable', cacheTtlSeconds: 0 });
  assert.equal((await resolveA(lab, host)).rcode, 'NXDOMAIN');
  assert.equal(
    (await dnsQuery(lab.parentServer, host, 'NS', { recursive: false })).authorities[0]?.type,
    'NS',
    'the delegation is still there: it is the zone itself that fails',
  );
  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'unresolvable', rcode: 'SERVFAIL' });
  assert.equal((await resolveA(lab, host)).rcode, 'SERVFAIL');

  await lab.faults.set({ kind: 'dns', target: 'identity', mode: 'unresolvable', rate: 0.5 });
  const rcodes = [];
  for (let i = 0; i < 40; i++) rcodes.push((await dnsQuery(lab.childServer, host, 'A')).rcode);
  const failed = rcodes.filter((r) => r === 'NXDOMAIN').length;
  assert.ok(failed > 0 && failed < 40, `a share fails, not all or none (${failed}/40)`);

  await lab.faults.clear();
  clock.advance(1);
  assert.deepEqual((await resolveA(lab, host)).addresses, ['127.0.0.1']);
});

test('the control API switches DNS faults; bad input is refused with LAB_FAULT_INVALID and changes nothing', async (t) => {
  const { lab } = await startLab(t);
  const call = async (method: string, body?: unknown) => {
    const res = await fetch(`${lab.controlUrl}/_lab/faults`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const fault = { kind: 'dns', target: 'identity', mode: 'delegation-removed', cacheTtlSeconds: 30 };
  assert.deepEqual((await call('POST', fault)).body.faults, [fault]);
  for (const [bad, path] of [
    [{ kind: 'dns', target: 'payments', mode: 'unresolvable' }, 'fault.target'],
    [{ kind: 'dns', target: 'identity', mode: 'gone' }, 'fault.mode'],
    [{ kind: 'dns', target: 'identity', mode: 'unresolvable', rate: 2 }, 'fault.rate'],
    [
      { kind: 'dns', target: 'identity', mode: 'delegation-removed', cacheTtlSeconds: -1 },
      'fault.cacheTtlSeconds',
    ],
    [{ kind: 'dns', target: 'identity', mode: 'delegation-removed', rcode: 'SERVFAIL' }, 'fault'],
    [{ kind: 'latency', ms: 5 }, 'fault.kind'],
  ] as const) {
    const res = await call('POST', bad);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'LAB_FAULT_INVALID');
    assert.equal(res.body.error.path, path);
  }
  const twice = await call('PUT', { faults: [fault, fault] });
  assert.equal(twice.body.error.code, 'LAB_FAULT_INVALID');
  assert.equal((await call('PUT', '{"faults":')).body.error.code, 'MALFORMED_JSON');
  assert.deepEqual((await call('GET')).body.faults, [fault], 'unchanged');
  assert.deepEqual((await call('DELETE')).body, { faults: [] });

  await resolveA(lab, lab.hostname('identity'));
  const stats = (await (await fetch(`${lab.controlUrl}/_lab/stats`)).json()) as any;
  assert.equal(stats.byRole.resolver.NOERROR, 1);
  assert.deepEqual(stats.seconds, [{ at: 0, queries: 1, answered: 1, byRcode: { NOERROR: 1 } }]);
});

test('hostile datagrams (garbage, and valid queries with bytes flipped) are dropped or answered; the servers keep answering', async (t) => {
  const { lab } = await startLab(t);
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  const random = seededRandom(14);
  const valid = packet.encode({
    type: 'query',
    id: 7,
    questions: [{ type: 'A', name: lab.hostname('identity') }],
  });
  const sent = 300;
  const counted = lab.stats.until((s) => {
    const answered = (role: 'parent' | 'child') => Object.values(s.byRole[role]).reduce((a, b) => a + b, 0);
    return s.malformed + answered('parent') + answered('child') >= sent;
  });
  for (let i = 0; i < sent; i++) {
    const datagram =
      i % 3 === 0
        ? Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)))
        : Buffer.from(valid.map((b) => (random() < 0.1 ? Math.floor(random() * 256) : b)));
    const server = i % 2 === 0 ? lab.parentServer : lab.childServer;
    const [host, port] = server.split(':') as [string, string];
    socket.send(datagram, Number(port), host);
  }
  await counted;
  assert.ok(lab.stats.snapshot().malformed > 0, 'some were dropped');
  assert.equal((await resolveA(lab, lab.hostname('identity'))).rcode, 'NOERROR');
});

test('each server answers over TCP on the same port, framed by length, several queries on one connection', async (t) => {
  const { lab } = await startLab(t);
  const [host, port] = lab.resolverServer.split(':') as [string, string];
  const socket = connect(Number(port), host);
  t.after(() => socket.destroy());
  const replies: packet.DecodedPacket[] = [];
  let buffer = Buffer.alloc(0);
  const got = new Promise<void>((resolve) =>
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        replies.push(packet.streamDecode(buffer) as packet.DecodedPacket);
        buffer = buffer.subarray(2 + buffer.readUInt16BE(0));
      }
      if (replies.length === 2) resolve();
    }),
  );
  const ask = (id: number, name: string) =>
    packet.streamEncode({
      type: 'query',
      id,
      flags: packet.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    });
  socket.write(Buffer.concat([ask(1, lab.hostname('identity')), ask(2, 'gone.lab.test')]));
  await got;
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.deepEqual(
    byId.get(1)?.answers?.map((a) => a.type === 'A' && a.data),
    ['127.0.0.1'],
  );
  assert.equal((byId.get(2) as { rcode?: string }).rcode, 'NXDOMAIN');
});

test('a scenario dns fault applies as written (dns-debacle: the removed delegation), and the lab hands Lifeline its config', async (t) => {
  const { lab, clock } = await startLab(t);
  const fault = loadScenario('dns-debacle').faults.find((f) => f.kind === 'dns');
  assert.ok(fault?.kind === 'dns');
  await resolveA(lab, lab.hostname('identity'));
  await lab.faults.set(fromScenario(fault));
  assert.deepEqual(lab.faults.list(), [
    { kind: 'dns', target: fault.target, mode: fault.mode, cacheTtlSeconds: fault.cacheTtlSeconds },
  ]);
  clock.advance((fault.cacheTtlSeconds ?? ttl) * 1000);
  assert.equal((await resolveA(lab, lab.hostname('identity'))).rcode, 'NXDOMAIN');

  const config = lab.lifelineConfig(7);
  assert.deepEqual(config.dns.servers, [lab.resolverServer]);
  assert.deepEqual(config.probes.delegations[0], {
    zone: 'identity.lab.test',
    expect: ['ns1.identity.lab.test'],
    parentServers: [lab.parentServer],
  });
  assert.equal(
    lab.urlFor('identity', 'http://127.0.0.1:4100/verify?x=1'),
    'http://identity.lab.test:4100/verify?x=1',
  );
});

test('process.ts dns runs the DNS lab in its own process: resolver, parent and control API reachable', async (t) => {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', 'process.ts'), 'dns', '--ttl-seconds', '30'],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  t.after(() => child.kill());
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [
    string,
  ];
  const lab = JSON.parse(line) as {
    resolverServer: string;
    parentServer: string;
    controlUrl: string;
    lifelineConfig: unknown;
  };
  const answer = await dnsQuery(lab.resolverServer, 'identity.lab.test', 'A');
  assert.deepEqual(
    answer.answers.map((a) => a.type === 'A' && [a.data, a.ttl]),
    [['127.0.0.1', 30]],
  );
  const post = await fetch(`${lab.controlUrl}/_lab/faults`, {
    method: 'POST',
    body: JSON.stringify({ kind: 'dns', target: 'identity', mode: 'delegation-removed' }),
  });
  assert.equal(post.status, 200);
  assert.equal(
    (await dnsQuery(lab.parentServer, 'identity.lab.test', 'NS', { recursive: false })).rcode,
    'NXDOMAIN',
  );
  assert.deepEqual((lab.lifelineConfig as { dns: unknown }).dns, { servers: [lab.resolverServer] });
});
