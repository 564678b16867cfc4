import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { isDnsFailure } from '../../src/probes/index.ts';
import { eventually, getJson, startLifeline } from '../helpers.ts';

/**
 * A DNS server on loopback that knows one zone: A records for its hosts and the zone's NS
 * records, which a "cleanup task" can delete. Anything else is NXDOMAIN.
 */
async function dnsServer(t: { after: (fn: () => void) => void }) {
  const zone = {
    ns: ['ns1.studio.test'] as string[],
    hosts: { 'auth.studio.test': [127, 0, 0, 1] } as Record<string, number[]>,
  };
  const socket = createSocket('udp4');
  const encodeName = (name: string) =>
    Buffer.concat([
      ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
      Buffer.from([0]),
    ]);
  socket.on('message', (query, from) => {
    let i = 12;
    const labels: string[] = [];
    while ((query[i] as number) !== 0) {
      const len = query[i] as number;
      labels.push(query.subarray(i + 1, i + 1 + len).toString());
      i += len + 1;
    }
    const name = labels.join('.').toLowerCase();
    const qtype = query.readUInt16BE(i + 1);
    const question = query.subarray(12, i + 5);
    const answers: Buffer[] = [];
    const rr = (type: number, rdata: Buffer) => {
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0);
      head.writeUInt16BE(type, 2);
      head.writeUInt16BE(1, 4);
      head.writeUInt32BE(60, 6);
      head.writeUInt16BE(rdata.length, 10);
      answers.push(head, rdata);
    };
    let known = false;
    if (zone.hosts[name]) {
      known = true;
      if (qtype === 1) rr(1, Buffer.from(zone.hosts[name] as number[]));
    }
    if (name === 'studio.test') {
      known = zone.ns.length > 0;
      if (qtype === 2) for (const ns of zone.ns) rr(2, encodeName(ns));
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(known ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length / 2, 6);
    socket.send(Buffer.concat([header, question, ...answers]), from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.after(() => socket.close());
  return { zone, server: `127.0.0.1:${socket.address().port}` };
}

test('dependency probes: a hostname that stops resolving and a deleted NS delegation show in /ready and metrics, by DNS code', async (t) => {
  const dns = await dnsServer(t);
  const { playerUrl, adminUrl } = await startLifeline(t, {
    overrides: {
      probes: {
        hostnames: ['auth.studio.test', 'gone.studio.test'],
        delegations: [{ zone: 'studio.test', expect: ['ns1.studio.test'] }],
        intervalSeconds: 1,
        dnsServers: [dns.server],
        timeoutMs: 500,
      },
    },
  });
  const ready = await eventually(async () => {
    const r = await getJson(`${playerUrl}/ready`);
    return Object.keys(r.body.dependencies ?? {}).length === 3 ? r : undefined;
  });
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body.dependencies, {
    'hostname:auth.studio.test': 'ok',
    'hostname:gone.studio.test': 'failing: ENOTFOUND',
    'delegation:studio.test': 'ok',
  });

  // The cleanup task deletes the delegation (seed 001).
  dns.zone.ns = [];
  const after = await eventually(async () => {
    const r = await getJson(`${playerUrl}/ready`);
    return r.body.dependencies['delegation:studio.test'] !== 'ok' ? r : undefined;
  });
  assert.equal(after.status, 200, 'DNS trouble is reported, never a reason to drop sessions');
  assert.match(after.body.dependencies['delegation:studio.test'], /^failing: E/);
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(metrics, /^lifeline_dependency_up\{probe="delegation:studio.test"\} 0$/m);
  assert.match(metrics, /^lifeline_dependency_up\{probe="hostname:auth.studio.test"\} 1$/m);
});

test('an upstream error caused by a name that does not resolve is recognised as DNS, however deep the cause', () => {
  assert.equal(
    isDnsFailure(
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
      }),
    ),
    true,
  );
  assert.equal(isDnsFailure(Object.assign(new Error('x'), { code: 'EAI_AGAIN' })), true);
  assert.equal(
    isDnsFailure(
      new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
    ),
    false,
  );
});
