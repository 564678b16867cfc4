/**
 * Routing's turn against the real SQLite store: a notification the store refuses (a storage
 * outage) is kept and stored on a later turn, not lost between the policy and the outbox.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { defaultConfig } from '../config/index.ts';
import { EventStream } from '../events/index.ts';
import { MemoryLiveState } from '../live/memory.ts';
import type { Signal } from '../signals/records.ts';
import type { OutboxRecords } from '../store/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { Routing } from './service.ts';

test('a notification the store refused is stored and sent on a later turn', async (t) => {
  const got: unknown[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.url);
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const store = new SqliteRecordStore(':memory:');
  t.after(() => store.close());
  let refuse = true;
  const flaky: OutboxRecords = {
    enqueueOutbox: (m) => (refuse ? Promise.reject(new Error('disk I/O error')) : store.enqueueOutbox(m)),
    dueOutbox: (d, n, l) => store.dueOutbox(d, n, l),
    markOutboxSent: (i, v, a) => store.markOutboxSent(i, v, a),
    retryOutbox: (i, v, n, e) => store.retryOutbox(i, v, n, e),
    markOutboxDead: (i, v, a, e) => store.markOutboxDead(i, v, a, e),
    listOutbox: (q) => store.listOutbox(q),
    purgeOutbox: (b, l) => store.purgeOutbox(b, l),
  };
  const events = new EventStream();
  let now = 5_000_000;
  const routing = new Routing({
    config: {
      ...defaultConfig().routing,
      groupWaitSeconds: 0,
      destinations: [
        {
          name: 'pd',
          kind: 'pagerduty',
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
          routingKey: 'k'.repeat(32),
        },
      ],
    },
    store: flaky,
    leases: new MemoryLiveState(),
    events,
    nodeId: 'n1',
    clock: () => now,
    logger: pino({ level: 'silent' }),
  });
  routing.start();
  t.after(() => routing.stop());
  const signal = {
    detector: 'd',
    fingerprint: 'd|x',
    severity: 'P1',
    title: 't',
    dimensions: {},
  } as unknown as Signal;
  events.emit('signal.changed', {
    signal: {
      ...signal,
      startedAt: now,
      onsetAt: now,
      evidence: { statistic: 1, threshold: 1, observed: 1, expected: 0 },
      localisation: [],
    },
    change: 'raised',
  });
  assert.equal((await routing.pump()).pd?.sent, 0);
  assert.equal(got.length, 0);
  refuse = false;
  now += 1000;
  assert.equal((await routing.pump()).pd?.sent, 1, 'stored and sent on the next turn');
  assert.equal(got.length, 1);
});
