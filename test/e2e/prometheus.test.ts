/**
 * The SLO rules in production shape, end to end: a real Prometheus (Debian's `prometheus`)
 * scrapes a real Lifeline's admin /metrics and evaluates the rules `lifeline slo rules` writes; a
 * real Alertmanager (Debian's `prometheus-alertmanager`) posts to `POST /admin/v1/signals` with
 * the intake secret; Lifeline routes the signal to a loopback PagerDuty-shaped receiver.
 *
 * Logins fail through the lab's identity upstream (`lifeline_logins_total{outcome="unavailable"}`
 * rises), so the generated 14.4× page fires on its 1 h and 5 m windows as soon as Prometheus has
 * the samples (the low-traffic guard is set low, not off); good logins afterwards bring the error
 * ratio back under the page's burns (14.4× over 5 m and 6× over 30 m) and the page resolves.
 * Prometheus and Alertmanager run on their own (wall) clocks, with 1 s scrape and evaluation
 * intervals and 1 s group timers, so the test waits on Lifeline's events, the receiver's requests
 * and Prometheus's answers (`eventually`), never on a fixed sleep. Both processes listen on
 * 127.0.0.1 only and are stopped by PID.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { stringify } from 'yaml';
import type { App } from '../../src/app.ts';
import { type Config, type DeepPartial, defaultConfig } from '../../src/config/index.ts';
import { identityUpstream } from '../../src/lab/index.ts';
import type { Signal, SignalChange } from '../../src/signals/index.ts';
import { pageBurns } from '../../src/slo/index.ts';
import {
  addOperator,
  eventually,
  getJson,
  postJson,
  runCliCaptured,
  startLifeline,
  tempDir,
} from '../helpers.ts';
import { requireTool } from '../tools.ts';

const prometheus = requireTool('Prometheus and Alertmanager end to end', '/usr/bin/prometheus', 'prometheus');
const alertmanager = requireTool(
  'Prometheus and Alertmanager end to end',
  '/usr/bin/prometheus-alertmanager',
  'prometheus-alertmanager',
);

const SECRET = 'intake-secret-prometheus-e2e-0123456789abcdef';
const ROUTING_KEY = 'PR0METHEUSE2E0123456789abcdefabcd';
/** How long any one external step may take on a loaded two-core machine. */
const WAIT_MS = 40_000;

/** The SLOs as shipped, with the low-traffic guard low enough for a test's few dozen logins. */
const MIN_EVENTS_PER_HOUR = 10;
const objective = defaultConfig().slo.loginSuccess;
const WARM = 20;
const FAILED = 2;
/**
 * Good logins after recovery: twice what takes the short windows' error ratio back under the
 * page's lowest burn (FAILED / total < 6 × the budget: the page holds while 6× over 6 h and 30 m
 * does, not only 14.4× over 1 h and 5 m), so the page resolves.
 */
const lowestPageBurn = Math.min(...pageBurns.map(([, , factor]) => factor));
const RECOVER = Math.ceil((2 * FAILED) / (lowestPageBurn * (1 - objective)));

interface PagerDutyEvent {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: { severity: string; summary: string };
}

interface Receiver {
  url: string;
  got: PagerDutyEvent[];
  /** Resolves with the first event (already received or to come) with this action. */
  first: (action: string) => Promise<PagerDutyEvent>;
}

/** A PagerDuty Events v2 shaped receiver on loopback, recording every event it is sent. */
async function pagerDuty(t: TestContext): Promise<Receiver> {
  const got: PagerDutyEvent[] = [];
  const arrived = new EventEmitter();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PagerDutyEvent;
      got.push(event);
      arrived.emit('event', event);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"success","message":"Event processed"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const first = (action: string) =>
    new Promise<PagerDutyEvent>((resolve) => {
      const seen = got.find((e) => e.event_action === action);
      if (seen) return resolve(seen);
      const on = (e: PagerDutyEvent) => {
        if (e.event_action !== action) return;
        arrived.off('event', on);
        resolve(e);
      };
      arrived.on('event', on);
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`, got, first };
}

/** The next signal.changed of this kind for this detector (Alertmanager's alertname). */
function nextSignal(app: App, change: SignalChange, detector: string): Promise<Signal> {
  return new Promise((resolve) => {
    const off = app.events.on('signal.changed', (e) => {
      if (e.change !== change || e.signal.detector !== detector) return;
      off();
      resolve(e.signal);
    });
  });
}

/** A port nothing listens on right now (Prometheus and Alertmanager need theirs before they start). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * Starts a tool, keeps the tail of its output for a failure message, and stops it by PID (SIGTERM,
 * then SIGKILL if it has not exited within 5 s) when the test ends. Start tools before the
 * Lifeline they talk to: a test's after-hooks run in the order they were added, so the tools stop
 * posting and scraping before Lifeline closes.
 */
function startTool(t: TestContext, path: string, args: string[]): { log: () => string } {
  const child: ChildProcess = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (c: Buffer) => {
    tail = (tail + c.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  // Bounded: a tool that ignores SIGTERM is killed after 5 s, and the hook gives up after 10 s.
  t.after(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    { timeout: 10_000 },
  );
  return { log: () => tail };
}

/** Resolves once `url` answers 200 (a tool's /-/ready). */
async function ready(url: string, log: () => string): Promise<void> {
  await eventually(async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    return res?.ok ? true : undefined;
  }, WAIT_MS).catch((err: Error) => {
    throw new Error(`${url} never became ready: ${err.message}\n${log()}`);
  });
}

interface Tool {
  url: string;
  log: () => string;
}

/** An Alertmanager on loopback (no clustering) posting every alert to Lifeline's intake. */
async function startAlertmanager(
  t: TestContext,
  adminUrl: string,
  route: Record<string, unknown> = {},
): Promise<Tool> {
  const dir = tempDir(t, 'lifeline-am-');
  const port = await freePort();
  writeFileSync(join(dir, 'alertmanager.yml'), stringify(alertmanagerConfig(adminUrl, route)));
  const am = startTool(t, alertmanager as string, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await ready(`${url}/-/ready`, am.log);
  return { url, log: am.log };
}

/** A Prometheus on loopback scraping Lifeline's admin /metrics with the generated rules, alerting to `amUrl`. */
async function startPrometheus(t: TestContext, adminUrl: string, amUrl: string): Promise<Tool> {
  const dir = tempDir(t, 'lifeline-prom-');
  const port = await freePort();
  // The rules as an operator makes them: `lifeline slo rules --out`.
  const rules = await runCliCaptured(
    ['slo', 'rules', '--out', join(dir, 'lifeline-slo.yml')],
    { LIFELINE_SLO__MIN_EVENTS_PER_HOUR: String(MIN_EVENTS_PER_HOUR) },
    dir,
  );
  assert.equal(rules.code, 0, rules.out);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'lifeline-slo.yml')],
      scrape_configs: [{ job_name: 'lifeline', static_configs: [{ targets: [new URL(adminUrl).host] }] }],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(amUrl).host] }] }] },
    }),
  );
  const prom = startTool(t, prometheus as string, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await ready(`${url}/-/ready`, prom.log);
  return { url, log: prom.log };
}

/** The receiver stanza docs/SLO.md shows: every alert to Lifeline's intake, with the secret. */
function alertmanagerConfig(adminUrl: string, route: Record<string, unknown>) {
  return {
    route: {
      receiver: 'lifeline',
      group_by: ['alertname', 'slo'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
      ...route,
    },
    receivers: [
      {
        name: 'lifeline',
        webhook_configs: [
          {
            url: `${adminUrl}/admin/v1/signals`,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: SECRET } },
          },
        ],
      },
    ],
  };
}

type Sample = { metric: Record<string, string>; value: [number, string] };

/** An instant PromQL query's samples. */
async function promQuery(promUrl: string, query: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as { data?: { result?: Sample[] } };
  return body.data?.result ?? [];
}

/** The value of an instant PromQL query's single sample, or undefined while it has none. */
async function promValue(promUrl: string, query: string): Promise<number | undefined> {
  const sample = (await promQuery(promUrl, query))[0];
  return sample === undefined ? undefined : Number(sample.value[1]);
}

/** `n` logins through the player API, 50 at a time; their statuses. */
async function logins(playerUrl: string, n: number, tag: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let from = 0; from < n; from += 50) {
    const batch = Array.from({ length: Math.min(50, n - from) }, (_, i) =>
      postJson(`${playerUrl}/v1/login`, {
        playerId: `${tag}-${from + i}`,
        region: 'eu',
        shard: 'eu-1',
        clientVersion: '1.4.0',
      }),
    );
    for (const a of await Promise.all(batch)) statuses.push(a.status);
  }
  return statuses;
}

function lifelineConfig(identityUrl: string, pdUrl: string): DeepPartial<Config> {
  return {
    identity: { provider: 'http', http: { url: identityUrl, timeoutMs: 30_000 } },
    admission: { enabled: false },
    // Prometheus is the only detector here: Lifeline's own would raise login-failures as well.
    detection: { enabled: false, intakeSecret: SECRET },
    routing: {
      // Pages only: the ticket alert is a signal in Lifeline, not a page.
      destinations: [
        { name: 'pd', kind: 'pagerduty', url: pdUrl, routingKey: ROUTING_KEY, minSeverity: 'P1' },
      ],
      groupWaitSeconds: 0,
      groupIntervalSeconds: 1,
      quietSeconds: 0,
    },
  } as DeepPartial<Config>;
}

interface Listed {
  id: string;
  source: string;
  detector: string;
  severity: string;
  fingerprint: string;
  dimensions: Record<string, string>;
  startedAt: number;
  resolvedAt: number | null;
}

/** `promise`, or a failure naming `what` with the tools' logs once `WAIT_MS` has passed. */
async function within<T>(what: string, promise: Promise<T>, diagnose: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => void diagnose().then((d) => reject(new Error(`${what}: not within ${WAIT_MS} ms\n${d}`))),
      WAIT_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

if (prometheus && alertmanager) {
  test('Prometheus with the generated rules and Alertmanager page through Lifeline once, then resolve', {
    timeout: 180_000,
  }, async (t) => {
    const idp = await identityUpstream();
    t.after(() => idp.close());
    const pd = await pagerDuty(t);
    const adminPort = await freePort();
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const am = await startAlertmanager(t, adminUrl);
    const prom = await startPrometheus(t, adminUrl, am.url);
    const { app, playerUrl } = await startLifeline(t, {
      overrides: { ...lifelineConfig(idp.verifyUrl, pd.url), admin: { port: adminPort } },
    });
    const viewer = await addOperator(app, 'vera', 'viewer');
    const diagnose = async () => {
      const series = await Promise.all(
        [
          'slo:sli_error:ratio_rate5m{slo="login-success"}',
          'slo:sli_error:ratio_rate30m{slo="login-success"}',
          'slo:sli_error:ratio_rate1h{slo="login-success"}',
          'slo:sli_events:increase1h{slo="login-success"}',
          'lifeline_logins_total',
          'ALERTS',
        ].map(async (q) => `${q} = ${JSON.stringify(await promQuery(prom.url, q).catch(String))}`),
      );
      return `${series.join('\n')}\nprometheus:\n${prom.log()}\nalertmanager:\n${am.log()}`;
    };
    const signals = async (): Promise<Listed[]> => {
      const res = await getJson(`${adminUrl}/admin/v1/signals?state=all`, viewer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.signals;
    };
    const query = (what: string, q: string, ok: (v: number) => boolean) =>
      within(
        what,
        eventually(async () => {
          const v = await promValue(prom.url, q);
          return v !== undefined && ok(v) ? v : undefined;
        }, WAIT_MS),
        diagnose,
      );

    // Prometheus must hold a sample from before the first login: rate() sees only increases
    // between samples, so logins before its first scrape would be invisible to it.
    await query(
      'Prometheus scrapes Lifeline',
      'lifeline_logins_total{outcome="unavailable"}',
      (v) => v === 0,
    );
    // Healthy traffic, until the rules have counted it (the low-traffic guard is met).
    assert.deepEqual(new Set(await logins(playerUrl, WARM, 'warm')), new Set([200]));
    await query(
      'Prometheus counts the healthy logins',
      'slo:sli_events:increase1h{slo="login-success"}',
      (v) => v >= MIN_EVENTS_PER_HOUR,
    );
    assert.equal(await promValue(prom.url, 'ALERTS'), undefined, 'healthy traffic fires nothing');
    assert.deepEqual(await signals(), [], 'and raises nothing');

    // The identity upstream fails: these logins are the service's failures.
    const paged = nextSignal(app, 'raised', 'LifelineSloPageBurn');
    const ticketed = nextSignal(app, 'raised', 'LifelineSloTicketBurn');
    await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
    assert.deepEqual(new Set(await logins(playerUrl, FAILED, 'fault')), new Set([503]));
    const page = await within('the page reaches Lifeline through Alertmanager', paged, diagnose);
    assert.equal(page.source, 'alertmanager');
    assert.equal(page.severity, 'P1');
    assert.deepEqual(page.dimensions, { slo: 'login-success' });
    assert.match(page.fingerprint, /^alertmanager:[0-9a-f]{16}$/);
    const trigger = await within('PagerDuty gets the trigger', pd.first('trigger'), diagnose);
    assert.equal(trigger.dedup_key, page.fingerprint);
    assert.equal(trigger.routing_key, ROUTING_KEY);
    assert.equal(trigger.payload?.severity, 'critical');
    // The slow-burn ticket fires on the same failures: a signal in Lifeline, and not a page.
    const ticket = await within('the ticket reaches Lifeline', ticketed, diagnose);
    assert.equal(ticket.severity, 'P2');

    // Recovery: the fault cleared, enough good logins to bring the 5 m ratio under the page's burn.
    const cleared = nextSignal(app, 'resolved', 'LifelineSloPageBurn');
    await idp.faults.set({ kind: 'recover' });
    assert.deepEqual(new Set(await logins(playerUrl, RECOVER, 'back')), new Set([200]));
    const resolved = await within('the page resolves in Lifeline', cleared, diagnose);
    assert.equal(resolved.id, page.id);
    assert.ok(resolved.resolvedAt !== null && resolved.resolvedAt >= page.startedAt);
    await within('PagerDuty gets the resolve', pd.first('resolve'), diagnose);
    assert.deepEqual(
      pd.got.map((e) => [e.event_action, e.dedup_key]),
      [
        ['trigger', page.fingerprint],
        ['resolve', page.fingerprint],
      ],
      'one trigger and one resolve, for the page only',
    );
    const listed = await signals();
    assert.deepEqual(
      listed.filter((s) => s.detector === 'LifelineSloPageBurn').map((s) => [s.id, s.resolvedAt]),
      [[page.id, resolved.resolvedAt]],
      'one page signal, resolved: re-sends of the firing alert update it, never raise another',
    );
  });
}

if (alertmanager) {
  test('a burst of Alertmanager groups all reach Lifeline: the intake does not drop what Alertmanager will not retry', {
    timeout: 120_000,
  }, async (t) => {
    const adminPort = await freePort();
    // Alertmanager retries a webhook that answered 5xx, never one that answered 4xx: a refused
    // notification waits for the group's next interval (5 m by default; an hour here).
    const am = await startAlertmanager(t, `http://127.0.0.1:${adminPort}`, {
      group_by: ['alertname'],
      group_interval: '1h',
    });
    const { app, config } = await startLifeline(t, {
      overrides: { admin: { port: adminPort }, detection: { enabled: false, intakeSecret: SECRET } },
    });
    // More groups flushing at once than the admin rate limit's burst.
    const n = 3 * config.admin.rateLimit.burst;
    const names = Array.from({ length: n }, (_, i) => `BurstAlert${i}`);
    const raised = new Set<string>();
    const all = new Promise<void>((resolve) => {
      const off = app.events.on('signal.changed', (e) => {
        if (e.change !== 'raised' || e.signal.source !== 'alertmanager') return;
        raised.add(e.signal.detector);
        if (raised.size < n) return;
        off();
        resolve();
      });
    });
    const posted = await postJson(
      `${am.url}/api/v2/alerts`,
      names.map((alertname) => ({
        labels: { alertname, severity: 'page' },
        annotations: { summary: `${alertname} fired` },
        startsAt: new Date().toISOString(),
      })),
    );
    assert.equal(posted.status, 200, JSON.stringify(posted.body));
    await within('every group reaches Lifeline', all, async () => {
      const missing = names.filter((name) => !raised.has(name));
      return `${raised.size}/${n} raised; missing ${missing.join(', ')}\nalertmanager:\n${am.log()}`;
    });
    assert.deepEqual([...raised].sort(), [...names].sort());
  });
}
