/**
 * bench:fleet — what the lab's fleet of virtual players costs and what its two client modes do,
 * both measured in the same run against one Lifeline (SQLite, in this process) whose identity
 * upstream (the lab's) is down for the first `--down` seconds and then recovers:
 *
 *   1. SDK players (LifelineClient: jitter, Retry-After, queue tickets, a retry budget);
 *   2. naive players (the same client with its protections off: the seed's clients), the baseline.
 *
 * The fleet runs in its own process (spawnFleet), all players arriving in a storm over `--over`
 * seconds. Prints, per mode: logins and polls sent (the naive/SDK ratio is the figure), seconds
 * until every player was online, the fleet process's peak RSS, and CPU steal.
 *
 *   npm run bench:fleet [-- --players 5000 --over 2 --down 10 --until 40]
 *
 * Results also go to bench/out/fleet.json; BENCH_TRACE=1 prints each second the fleet measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { type FleetPlan, identityUpstream, spawnFleet } from '../src/lab/index.ts';
import { removeAnchor, testConfig } from '../test/helpers.ts';
import { coreTimes, stealPercent } from './login/machine.ts';

const { values } = parseArgs({
  options: {
    players: { type: 'string', default: '5000' },
    over: { type: 'string', default: '2' },
    down: { type: 'string', default: '10' },
    until: { type: 'string', default: '40' },
  },
});
const PLAYERS = Number(values.players);
const DOWN_S = Number(values.down);
const UNTIL_S = Number(values.until);

const rssKb = (pid: number) =>
  Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
      .toString()
      .trim(),
  );

interface ModeResult {
  mode: string;
  logins: number;
  polls: number;
  allOnlineAtS: number | null;
  peakRssMb: number;
  steal: number | null;
}

async function run(client: 'sdk' | 'naive'): Promise<ModeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-fleet-'));
  const idp = await identityUpstream();
  await idp.faults.set({ kind: 'down' });
  const config = testConfig(dir, {
    identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 2000 } },
  });
  const app = await createApp({ config, logger: pino({ level: 'silent' }) });
  try {
    const { playerUrl } = await app.listen();
    const plan: FleetPlan = {
      seed: 1,
      players: PLAYERS,
      nodes: [playerUrl],
      regions: [
        { region: 'na', shards: ['na-1', 'na-2', 'na-3'], weight: 2 },
        { region: 'eu', shards: ['eu-1'], weight: 1 },
      ],
      arrival: { curve: 'storm', at: 0, overSeconds: Number(values.over) },
      thinkSeconds: { min: 5, max: 30 },
      client,
      ownerShare: 1,
      credential: { kind: 'playerId' },
      timeScale: 1,
      durationSeconds: UNTIL_S,
    };
    const cores = coreTimes();
    const fleet = await spawnFleet(plan);
    let peak = 0;
    let allOnlineAtS: number | null = null;
    for await (const s of fleet.seconds()) {
      peak = Math.max(peak, rssKb(fleet.child.pid as number));
      if (process.env.BENCH_TRACE)
        console.log(JSON.stringify({ t: s.t, online: s.online, logins: s.logins, requests: s.requests }));
      if (s.t + 1 === DOWN_S) await idp.faults.set({ kind: 'recover' });
      if (allOnlineAtS === null && s.online === PLAYERS) allOnlineAtS = s.t + 1;
      if (s.t + 1 >= UNTIL_S || allOnlineAtS !== null) break;
    }
    const summary = await fleet.stop();
    return {
      mode: client,
      logins: summary.requests['/v1/login'] ?? 0,
      polls: summary.requests['/v1/login/poll'] ?? 0,
      allOnlineAtS,
      peakRssMb: Math.round(peak / 1024),
      steal: stealPercent(cores, coreTimes()),
    };
  } finally {
    await app.close();
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.kek`, { force: true });
    removeAnchor(`${dir}.anchor`);
  }
}

console.log(
  `bench:fleet ${new Date().toISOString()} on ${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}`,
);
console.log(`${PLAYERS} players in a storm over ${values.over} s; identity down for the first ${DOWN_S} s`);
const results = [await run('sdk'), await run('naive')];
console.log('');
console.log('clients  logins sent  ticket polls  all online after  fleet peak RSS  CPU steal');
for (const r of results) {
  console.log(
    `${r.mode.padEnd(7)}  ${String(r.logins).padStart(11)}  ${String(r.polls).padStart(12)}  ${(r.allOnlineAtS === null ? `not in ${UNTIL_S} s` : `${r.allOnlineAtS} s`).padStart(16)}  ${`${r.peakRssMb} MB`.padStart(14)}  ${(r.steal === null ? '—' : `${r.steal}%`).padStart(9)}`,
  );
}
const [sdk, naive] = results as [ModeResult, ModeResult];
const sent = (r: ModeResult) => r.logins + r.polls;
console.log('');
console.log(
  `naive / SDK requests to log in: ${(sent(naive) / Math.max(1, sent(sdk))).toFixed(2)} × (${sent(naive)} against ${sent(sdk)})`,
);
const outDir = join(import.meta.dirname, 'out');
mkdirSync(outDir, { recursive: true });
const out = {
  bench: 'fleet',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version },
  players: PLAYERS,
  identityDownSeconds: DOWN_S,
  results,
  naiveOverSdkRequests: sent(naive) / Math.max(1, sent(sdk)),
};
writeFileSync(join(outDir, 'fleet.json'), `${JSON.stringify(out, null, 2)}\n`);
process.exit(0);
