import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DnsLab } from '../../src/lab/dns/index.ts';
import { isDnsFailure } from '../../src/probes/index.ts';
import { eventually, getJson, startLifeline } from '../helpers.ts';

/** The lab's DNS for one studio zone: `studio.test` delegating `auth.studio.test`; anything else is NXDOMAIN. */
async function dnsServer(t: { after: (fn: () => Promise<void>) => void }) {
  const lab = await DnsLab.start({ apex: 'studio.test', targets: ['auth'], ttlSeconds: 60 });
  t.after(() => lab.close());
  return { lab, server: lab.resolverServer };
}

/**
 * Codes that say the answer came late, not what it was: the node's resolver gave up (ETIMEOUT), or
 * the lab's resolver did on its own query to the zone's server and answered SERVFAIL. c-ares
 * shortens its timeout to the lab's observed latency (about a second, whatever `timeoutMs` says),
 * and the lab answers in this process: a process starved of CPU on a loaded machine reads answers
 * that late. The probes ask again every second, so the test waits for a round answered in time.
 */
const late = /ETIMEOUT|ESERVFAIL/;

/** /ready once each of the three probes has an answer that is not late and `done` holds. */
async function settled(playerUrl: string, done: (d: Record<string, string>) => boolean) {
  let last: unknown;
  try {
    return await eventually(async () => {
      const r = await getJson(`${playerUrl}/ready`);
      const d: Record<string, string> = r.body.dependencies ?? {};
      last = d;
      const answers = Object.values(d);
      return answers.length === 3 && !answers.some((a) => late.test(a)) && done(d) ? r : undefined;
    }, 120_000);
  } catch (err) {
    throw new Error(`the probes never settled as expected; last seen ${JSON.stringify(last)}`, {
      cause: err,
    });
  }
}

test('dependency probes: a hostname that stops resolving and a deleted NS delegation show in /ready and metrics, by DNS code', async (t) => {
  const dns = await dnsServer(t);
  const { playerUrl, adminUrl } = await startLifeline(t, {
    overrides: {
      probes: {
        hostnames: ['auth.studio.test', 'gone.studio.test'],
        delegations: [{ zone: 'auth.studio.test', expect: ['ns1.auth.studio.test'] }],
        intervalSeconds: 1,
        dnsServers: [dns.server],
        timeoutMs: 500,
      },
    },
  });
  const ready = await settled(playerUrl, () => true);
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body.dependencies, {
    'hostname:auth.studio.test': 'ok',
    'hostname:gone.studio.test': 'failing: ENOTFOUND',
    'delegation:auth.studio.test': 'ok',
  });

  // The cleanup task deletes the delegation (seed 001); the resolver's cached copy lapses at once.
  await dns.lab.faults.set({ kind: 'dns', target: 'auth', mode: 'delegation-removed', cacheTtlSeconds: 0 });
  const after = await settled(
    playerUrl,
    (d) => d['delegation:auth.studio.test'] !== 'ok' && d['hostname:auth.studio.test'] !== 'ok',
  );
  assert.equal(after.status, 200, 'DNS trouble is reported, never a reason to drop sessions');
  assert.match(after.body.dependencies['delegation:auth.studio.test'], /^failing: E/);
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(metrics, /^lifeline_dependency_up\{probe="delegation:auth.studio.test"\} 0$/m);
  // The host lived in the zone that lost its delegation: it stopped resolving with it.
  assert.match(metrics, /^lifeline_dependency_up\{probe="hostname:auth.studio.test"\} 0$/m);
  assert.equal(after.body.dependencies['hostname:auth.studio.test'], 'failing: ENOTFOUND');
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
