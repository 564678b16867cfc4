/**
 * Acceptance (issue 17): every list endpoint pages through 10,000 records with a cursor and
 * filters, and `lifeline commands --pending` lists an approval waiting. The records are seeded
 * through the store directly (the API would take minutes to make them); the approval waiting is
 * a real one, an operator change requested through the API.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { CommandRecord } from '../../src/commands/records.ts';
import type { Disruption } from '../../src/disruptions/records.ts';
import type { RestoreRecord } from '../../src/restore/records.ts';
import {
  addOperatorWithTotp,
  fastAdmin,
  getJson,
  postJson,
  runCliCaptured,
  startLifeline,
} from '../helpers.ts';

const N = 10_000;
const T0 = Date.UTC(2026, 10, 1);
const pad = (i: number) => String(i).padStart(5, '0');

function command(i: number): CommandRecord {
  // Ten records share each instant, so the cursor's id breaks the ties.
  const requestedAt = T0 + Math.floor(i / 10) * 1000;
  return {
    id: `seed-cmd-${pad(i)}`,
    action: 'kick',
    selector: { region: 'na' },
    reason: 'seeded for paging',
    requestedBy: i % 4 === 0 ? 'seed-bob' : 'seed-carol',
    requestedAt,
    state: i % 4 === 0 ? 'awaiting-approval' : i % 2 === 0 ? 'halted' : 'done',
    plan: {
      count: 1,
      sample: [],
      byRegion: {},
      byShard: {},
      byLicence: {},
      byTier: { paying: 1, free: 0 },
      online: 1,
      shareOfOnline: 1,
    },
    policy: {
      tier: 'single',
      role: 'operator',
      totp: false,
      approvals: 0,
      cap: 1,
      tolerance: 0,
      canary: 0,
      holdMs: 0,
    },
    approvals: [],
    expiresAt: T0 + 365 * 86_400_000,
    progress: { ended: 0, waves: 0 },
    haltCode: null,
    haltNote: null,
    finishedAt: null,
  };
}

function disruption(i: number): Disruption {
  return {
    id: `seed-d-${pad(i)}`,
    sessionId: `seed-s-${pad(i)}`,
    playerId: `seed-p-${pad(i)}`,
    cause: 'kick',
    commandId: 'seed-cmd-00001',
    incidentId: null,
    at: T0 + Math.floor(i / 10) * 1000,
    snapshot: {
      region: i % 2 === 0 ? 'na' : 'eu',
      shard: 'x-1',
      zone: null,
      clientVersion: '1.0.0',
      licence: 'premium',
      provisional: false,
    },
    outcome: 'expired',
    outcomeReason: 'seeded',
  };
}

function restore(i: number): RestoreRecord {
  return {
    id: `seed-r-${pad(i)}`,
    source: { commandId: `seed-none-${pad(i)}` },
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 1000 },
    thresholds: {},
    state: i % 2 === 0 ? 'done' : 'cancelled',
    requestedBy: 'seed-carol',
    createdAt: T0 + Math.floor(i / 10) * 1000,
    updatedAt: T0,
    total: 0,
    released: 0,
    batches: 0,
    pauseCode: null,
    pauseNote: null,
  };
}

async function seed(app: App): Promise<void> {
  const s = app.store;
  for (let i = 0; i < N; i += 1000) {
    const slice = Array.from({ length: 1000 }, (_, k) => i + k);
    await s.recordDisruptions(slice.map(disruption));
    await app.audit.appendMany(
      slice.map((k) => ({
        actor: k % 3 === 0 ? 'seed-bob' : 'seed-carol',
        action: 'seed.entry',
        target: `seed:${k}`,
        result: 'ok',
      })),
    );
    await Promise.all(slice.map((k) => s.recordCommand(command(k), [])));
    await Promise.all(slice.map((k) => s.createRestore(restore(k))));
    await Promise.all(
      slice.map((k) =>
        s.banPlayer({
          id: `seed-ban-${pad(k)}`,
          playerId: `seed-p-${pad(k)}`,
          reason: 'seeded',
          bannedBy: 'seed-carol',
          at: T0 + Math.floor(k / 10) * 1000,
          expiresAt: null,
          liftedAt: null,
          liftedBy: null,
          liftReason: null,
        }),
      ),
    );
  }
}

/** Follows `nextCursor` to the end; every item once, pages no larger than asked. */
async function pageAll(adminUrl: string, token: string, path: string, key: string, query: string) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url = `${adminUrl}/admin/v1/${path}?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const r = await getJson(url, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const items = r.body[key] as { id?: string; seq?: number; playerId?: string }[];
    assert.ok(items.length <= 1000);
    ids.push(...items.map((x) => String(x.id ?? x.seq)));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor !== null && pages < 100);
  assert.equal(new Set(ids).size, ids.length, `${path}: no item twice`);
  return { ids, pages };
}

test('every list pages through 10,000 records by cursor and filters; commands --pending lists an approval waiting', async (t) => {
  const { app, adminUrl } = await startLifeline(t, {
    overrides: fastAdmin,
  });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  await addOperatorWithTotp(app, 'bob', 'admin');
  await seed(app);

  const all = async (path: string, key: string, query = '') =>
    pageAll(adminUrl, alice.token, path, key, query);
  const commands = await all('commands', 'commands');
  assert.equal(commands.ids.length, N);
  assert.ok(commands.pages >= 10);
  assert.deepEqual(commands.ids.slice(0, 2), ['seed-cmd-09999', 'seed-cmd-09998'], 'newest first');
  const bobsPending = await all('commands', 'commands', '&pending=true&actor=seed-bob');
  assert.equal(bobsPending.ids.length, N / 4);
  const window = await all('commands', 'commands', `&state=done&since=${T0 + 100_000}&until=${T0 + 199_000}`);
  assert.equal(window.ids.length, 500, 'done ones of 100 seconds, ten a second');

  assert.equal((await all('restores', 'restores')).ids.length, N);
  assert.equal((await all('restores', 'restores', '&state=cancelled')).ids.length, N / 2);
  assert.equal((await all('disruptions', 'disruptions')).ids.length, N);
  assert.equal((await all('disruptions', 'disruptions', '&region=eu')).ids.length, N / 2);
  const bans = await all('bans', 'bans');
  assert.equal(bans.ids.length, N);
  const audit = await all('audit', 'entries', '&actor=seed-bob');
  assert.equal(audit.ids.length, Math.ceil(N / 3));

  // Operators with their last use: alice's token was used, bob's never.
  const operators = (await getJson(`${adminUrl}/admin/v1/operators`, alice.token)).body.operators as {
    name: string;
    lastSeenAt: string | null;
  }[];
  const seen = Object.fromEntries(operators.map((o) => [o.name, o.lastSeenAt]));
  assert.match(seen.alice ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.equal(seen.bob, null);

  // A bad filter or cursor is a coded refusal, and reads nothing.
  for (const bad of [
    'commands?state=sleeping',
    'commands?cursor=bm90LWEtY3Vyc29y',
    'restores?limit=0',
    'audit?limit=5000',
  ]) {
    const r = await getJson(`${adminUrl}/admin/v1/${bad}`, alice.token);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error.code, 'VALIDATION_FAILED', bad);
  }

  // A real approval waiting: alice asks for an operator, another admin must approve.
  const asked = await postJson(
    `${adminUrl}/admin/v1/operators`,
    { name: 'dave', role: 'viewer', reason: 'new on-call', totp: await alice.totp() },
    alice.auth,
  );
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const env = {
    LIFELINE_ADMIN_URL: adminUrl,
    LIFELINE_TOKEN: alice.token,
    LIFELINE_DATA_DIR: app.config.dataDir,
  };
  const pending = await runCliCaptured(
    ['commands', '--pending', '--actor', 'alice', '--json'],
    env,
    app.config.dataDir,
  );
  assert.equal(pending.code, 0, pending.out);
  assert.deepEqual(
    pending.json.commands.map((c: CommandRecord) => [c.id, c.state, c.action]),
    [[asked.body.command.id, 'awaiting-approval', 'operator.add']],
  );
  const piped = await runCliCaptured(['commands', '--pending', '--limit', '3'], env, app.config.dataDir);
  const lines = piped.stdout.trim().split('\n');
  assert.equal(
    lines[0]?.split('\t')[0],
    asked.body.command.id,
    'piped: tab-separated, newest first, no header',
  );
  assert.equal(lines.length, 3);
  assert.match(piped.stderr, /^more: --cursor \S+ \(or --all\)$/m, 'on stderr: stdout holds only rows');
});
