/**
 * The SIEM export from a real Lifeline: audit entries become ECS JSON lines in a rotated file, or
 * RFC 5424 syslog messages over UDP and TCP to loopback collectors. Every field a document holds
 * is documented in docs/SIEM.md.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { DeepPartial, Config } from '../../src/config/index.ts';
import { startLifeline, tempDir } from '../helpers.ts';

const siem = (over: Record<string, unknown>) =>
  ({ siem: { intervalSeconds: 3600, ...over } }) as DeepPartial<Config>;

async function audited(app: App, n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i++) await app.operators.add({ name: `${prefix}-${i}`, role: 'viewer' }, 'cli:test');
}

function lines(file: string): Record<string, any>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Every dotted path of a document's leaves (arrays and free-form `details` as one field). */
function paths(doc: Record<string, unknown>, at = ''): string[] {
  return Object.entries(doc).flatMap(([k, v]) => {
    const p = at === '' ? k : `${at}.${k}`;
    return v && typeof v === 'object' && !Array.isArray(v) && k !== 'details'
      ? paths(v as Record<string, unknown>, p)
      : [p];
  });
}

function outDir(t: TestContext): string {
  return tempDir(t, 'lifeline-siem-');
}

test('audit entries are exported once as ECS JSON lines, across a restart, and every field is documented', async (t) => {
  const dataDir = tempDir(t);
  const file = join(outDir(t), 'audit.jsonl');
  const overrides = siem({ sink: 'file', file: { path: file } });
  const first = await startLifeline(t, { dataDir, overrides });
  await audited(first.app, 3, 'alice');
  const exported = await first.app.siem?.flush();
  const head = (await first.app.store.auditHead())?.seq ?? 0;
  assert.equal(exported, head, 'every entry of the chain, from the first');
  await first.app.close();

  const second = await startLifeline(t, { dataDir, overrides });
  await audited(second.app, 2, 'bob');
  await second.app.siem?.flush();
  const docs = lines(file);
  const seqs = docs.map((d) => d.event.sequence);
  assert.deepEqual(
    seqs,
    [...new Set(seqs)].sort((a, b) => a - b),
    'in order, none twice',
  );
  assert.equal(docs.length, (await second.app.store.auditHead())?.seq);
  const add = docs.find(
    (d) => d.event.action === 'operator.add' && d.lifeline.audit.target.includes('bob-1'),
  );
  assert.ok(add, JSON.stringify(docs.map((d) => [d.event.action, d.lifeline.audit.target])));
  assert.equal(add.user.name, 'cli:test');
  assert.equal(add.event.outcome, 'success');
  assert.ok(!Number.isNaN(Date.parse(add['@timestamp'])));
  assert.equal(add.ecs.version, '8.11.0');
  assert.equal(add.event.id, add.lifeline.audit.hash);

  const documented = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'SIEM.md'), 'utf8');
  for (const p of new Set(docs.flatMap((d) => paths(d))))
    assert.ok(documented.includes(`\`${p}\``), `${p} is not documented in docs/SIEM.md`);
});

test('the export file rotates by size and keeps the configured number of old files', async (t) => {
  const dir = outDir(t);
  const file = join(dir, 'audit.jsonl');
  const { app } = await startLifeline(t, {
    overrides: siem({ sink: 'file', file: { path: file, maxBytes: 2048, keep: 2 } }),
  });
  for (let i = 0; i < 12; i++) {
    await audited(app, 1, `carol-${i}`);
    await app.siem?.flush();
  }
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('audit.jsonl'))
    .sort();
  assert.deepEqual(files, ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
  const kept = files.flatMap((f) => lines(join(dir, f)).map((d) => d.event.sequence as number));
  const head = (await app.store.auditHead())?.seq ?? 0;
  assert.ok(kept.includes(head), 'the newest entry is kept');
  assert.ok(!kept.includes(1), 'the oldest file was dropped');
});

const rfc5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) audit - (\{.*\})$/s;

test('syslog over UDP: one RFC 5424 message per entry, facility log audit, the ECS document as MSG', async (t) => {
  const udp = createSocket('udp4');
  const got: string[] = [];
  udp.on('message', (m) => got.push(m.toString('utf8')));
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  t.after(() => udp.close());
  const port = (udp.address() as AddressInfo).port;
  const { app } = await startLifeline(t, {
    overrides: siem({
      sink: 'syslog',
      file: { path: join(outDir(t), 'x.jsonl') },
      syslog: { host: '127.0.0.1', port },
    }),
  });
  await audited(app, 2, 'dave');
  const n = (await app.siem?.flush()) ?? 0;
  assert.ok(n >= 2);
  while (got.length < n) await once(udp, 'message');
  for (const m of got) {
    const [, pri, ts, , appName, , json] = rfc5424.exec(m) ?? [];
    assert.ok(pri !== undefined, m.slice(0, 120));
    assert.equal(Math.floor(Number(pri) / 8), 13, 'facility 13: log audit');
    assert.equal(appName, 'lifeline');
    const doc = JSON.parse(String(json));
    assert.equal(doc['@timestamp'], ts);
    assert.equal(typeof doc.event.action, 'string');
  }
});

test('syslog over TCP: octet-counted frames, one per entry', async (t) => {
  let buffered = Buffer.alloc(0);
  const frames: string[] = [];
  const server = createServer((s) => {
    s.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const space = buffered.indexOf(0x20);
        if (space < 0) break;
        const len = Number(buffered.subarray(0, space).toString());
        if (buffered.length < space + 1 + len) break;
        frames.push(buffered.subarray(space + 1, space + 1 + len).toString('utf8'));
        buffered = buffered.subarray(space + 1 + len);
        server.emit('frame');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as AddressInfo).port;
  const { app } = await startLifeline(t, {
    overrides: siem({
      sink: 'syslog',
      file: { path: join(outDir(t), 'x.jsonl') },
      syslog: { host: '127.0.0.1', port, transport: 'tcp', appName: 'lifeline-eu' },
    }),
  });
  await audited(app, 3, 'erin');
  const n = (await app.siem?.flush()) ?? 0;
  while (frames.length < n) await once(server, 'frame');
  assert.equal(frames.length, n);
  assert.ok(frames.every((f) => rfc5424.test(f) && f.includes(' lifeline-eu ')));
  assert.ok(frames.some((f) => f.includes('erin-2')));
  await app.close();
});

test('a chain cut behind the export cursor is followed down, so what comes next is still exported', async (t) => {
  const dir = outDir(t);
  const file = join(dir, 'audit.jsonl');
  // The cursor says 10,000 entries were exported: this store's chain is far shorter (restored, or cut).
  writeFileSync(join(dir, 'file.cursor'), '10000\n');
  const { app } = await startLifeline(t, { overrides: siem({ sink: 'file', file: { path: file } }) });
  await audited(app, 2, 'frank');
  assert.equal(await app.siem?.flush(), 0, 'what was below the cursor is not re-exported');
  assert.equal(app.siem?.cursor, (await app.store.auditHead())?.seq);
  await audited(app, 1, 'grace');
  assert.equal(await app.siem?.flush(), 1);
  assert.ok(lines(file)[0]?.lifeline.audit.target.includes('grace-0'));
});
