/**
 * bench:kick — the kick breaker against a runaway script, and an approved bulk kick of 100,000.
 *
 * 1. Runaway: N sessions online (live-state entries; no sockets needed), one operator's script
 *    kicking single sessions over the admin API on loopback as fast as it answers (16 requests in
 *    flight). Baseline in the same run: the same script for the same time against a Lifeline
 *    whose breaker cap is out of reach. Prints sessions kicked before the trip against the cap,
 *    and the time from the kick that reached the cap to the trip.
 * 2. Bulk: N sessions; an admin requests `{"all": true}` with TOTP, a second admin approves; the
 *    time from the approval to the command's end, with every disruption record committed (the
 *    rows are counted in the SQLite file afterwards).
 *
 *   npm run bench:kick [-- --sessions 100000]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { generate } from 'otplib';
import pino from 'pino';
import { type App, createApp } from '../src/app.ts';
import { removeAnchor, testConfig } from '../test/helpers.ts';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '100000' } } });
const N = Number(values.sessions);
const dirs: string[] = [];

async function lifeline(breakerMin: number): Promise<{ app: App; adminUrl: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-kick-'));
  dirs.push(dir);
  const config = testConfig(dir, {
    admin: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
    breaker: { minKicks: breakerMin },
    commands: { holdSeconds: 0 },
  });
  const app = await createApp({ config, logger: pino({ level: 'silent' }) });
  const { adminUrl } = await app.listen();
  const now = Date.now();
  const regions = ['na', 'eu', 'ap'];
  for (let i = 0; i < N; i++) {
    const region = regions[i % 3] as string;
    await app.live.putSession({
      id: `s-${i}`,
      playerId: `p-${i}`,
      region,
      shard: `${region}-${(i % 3) + 1}`,
      zone: null,
      clientVersion: '1.4.0',
      licence: i % 4 === 0 ? 'free' : 'standard',
      provisional: false,
      node: app.config.nodeId,
      createdAt: now,
      lastSeenAt: now,
    });
  }
  return { app, adminUrl, dir };
}

async function operator(app: App, name: string, role: string) {
  const { token, otpauthUri } = await app.operators.add({ name, role }, 'bench');
  const secret = new URL(otpauthUri).searchParams.get('secret') as string;
  return {
    auth: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    totp: () => generate({ secret }),
  };
}

/** Kicks single sessions, 16 in flight, until `stop()` says so; records when each answer came. */
async function runaway(adminUrl: string, auth: Record<string, string>, stop: (answered: number) => boolean) {
  let next = 0;
  const granted: number[] = [];
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!stop(granted.length + refused) && next < N) {
        const id = `s-${next++}`;
        const res = await fetch(`${adminUrl}/admin/v1/commands`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            action: 'kick',
            selector: { sessionId: id },
            reason: 'runaway cleanup script',
          }),
        });
        await res.arrayBuffer();
        if (res.status === 200) granted.push(performance.now());
        else refused++;
      }
    }),
  );
  return { granted, refused, seconds: (performance.now() - t0) / 1000 };
}

function report(lines: string[]): void {
  for (const l of lines) console.log(l);
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  memoryGB: Math.round(totalmem() / 2 ** 30),
};
console.log(
  `bench:kick ${new Date().toISOString()} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${N} sessions online`,
);

try {
  // 1. Runaway against the breaker.
  const guarded = await lifeline(50);
  const script = await operator(guarded.app, 'ci-bot', 'operator');
  const cap = guarded.app.breaker.cap(N);
  const wallStart = Date.now();
  const run = await runaway(guarded.adminUrl, script.auth, (answered) => answered >= cap + 200);
  // Both moments from the server's own audit trail: the request that took the last of the budget
  // (its command.request entry) and the breaker.trip entry.
  const entries = await guarded.app.audit.list({ limit: 1_000_000 });
  const requests = entries.filter((e) => e.action === 'command.request');
  const trip = entries.find((e) => e.action === 'breaker.trip');
  // The cap follows the online count, which falls as the script kicks: the last request granted
  // before the trip is the one that reached it.
  const lastGranted = trip ? requests.filter((e) => e.seq < trip.seq).at(-1) : undefined;
  const tripAfterCapMs = trip && lastGranted ? trip.at - lastGranted.at : Number.NaN;
  const kickedBeforeTrip = (await guarded.app.store.listDisruptions({ limit: 10_000_000 })).length;
  await guarded.app.close();

  // Baseline: the same script for the same time with a breaker it cannot reach.
  const open = await lifeline(10_000_000);
  const script2 = await operator(open.app, 'ci-bot', 'operator');
  const until = performance.now() + run.seconds * 1000;
  const base = await runaway(open.adminUrl, script2.auth, () => performance.now() >= until);
  await open.app.close();

  // 2. Approved bulk kick of everyone.
  const bulk = await lifeline(50);
  const alice = await operator(bulk.app, 'alice', 'admin');
  const bob = await operator(bulk.app, 'bob', 'admin');
  const asked = await fetch(`${bulk.adminUrl}/admin/v1/commands`, {
    method: 'POST',
    headers: alice.auth,
    body: JSON.stringify({
      action: 'kick',
      selector: { all: true },
      reason: 'bench: approved bulk kick',
      totp: await alice.totp(),
    }),
  });
  const { command } = (await asked.json()) as { command: { id: string } };
  const t0 = performance.now();
  const approved = await fetch(`${bulk.adminUrl}/admin/v1/commands/${command.id}/approve`, {
    method: 'POST',
    headers: bob.auth,
    body: JSON.stringify({ totp: await bob.totp() }),
  });
  await approved.arrayBuffer();
  await bulk.app.commands.settle();
  const bulkMs = performance.now() - t0;
  const finished = await bulk.app.commands.get(command.id);
  await bulk.app.close();
  const db = new DatabaseSync(join(bulk.dir, 'lifeline.db'), { readOnly: true });
  const durable = Number(
    (
      db.prepare('SELECT count(*) AS n FROM disruptions WHERE command_id = ?').get(command.id) as {
        n: number;
      }
    ).n,
  );
  db.close();

  const results = {
    date: new Date(wallStart).toISOString(),
    machine,
    sessions: N,
    runaway: {
      cap,
      kickedBeforeTrip,
      tripAfterCapMs: Math.round(tripAfterCapMs * 10) / 10,
      requests: run.granted.length + run.refused,
      refusedAfterTrip: run.refused,
      seconds: Math.round(run.seconds * 100) / 100,
      baselineKickedSameTime: base.granted.length,
      baselineKicksPerSecond: Math.round(base.granted.length / base.seconds),
      ratioKickedVsBaseline: Math.round((kickedBeforeTrip / base.granted.length) * 1000) / 1000,
    },
    bulk: {
      state: finished.state,
      ended: finished.progress.ended,
      waves: finished.progress.waves,
      durableRecords: durable,
      ms: Math.round(bulkMs),
    },
    targets: {
      kickedAtMostCap: kickedBeforeTrip <= cap,
      tripWithin250ms: tripAfterCapMs <= 250,
      bulkWithin2s: bulkMs <= 2000,
    },
  };
  report([
    '',
    `runaway script: ${kickedBeforeTrip} kicked before the trip (cap ${cap} = max(50, 0.5% of ${N}) at the start, falling with the online count); ${run.refused} later kicks refused`,
    `  trip ${results.runaway.tripAfterCapMs} ms after the kick that reached the cap (target ≤ 250 ms)`,
    `  baseline, no reachable breaker, same ${results.runaway.seconds} s: ${base.granted.length} kicked (${results.runaway.baselineKicksPerSecond}/s); breaker let through ${(results.runaway.ratioKickedVsBaseline * 100).toFixed(1)}% of that`,
    `approved bulk kick of ${N}: ${finished.state}, ${finished.progress.ended} ended in ${finished.progress.waves} waves, ${durable} disruption records durable, ${results.bulk.ms} ms from approval (target ≤ 2,000 ms)`,
  ]);
  mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, 'out', 'runaway-kick.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
} finally {
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    removeAnchor(`${d}.anchor`);
  }
}
