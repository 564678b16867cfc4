/**
 * What the fuzz suites share: how many runs and which seed (fixed in CI, so a failure replays),
 * the hostile values a near-valid input is mutated with, and the snapshot a refused request must
 * leave as it found it.
 *
 * A longer run: `npm run fuzz` (10,000 runs per property, a new seed each time; FUZZ_RUNS sets the
 * runs); `FUZZ_SEED` and `FUZZ_PATH` replay the counterexample a failure prints.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { App } from '../../src/app.ts';
import type { Config, DeepPartial } from '../../src/config/index.ts';
import type { Services } from '../services.ts';
import { catalog } from '../../src/errors/index.ts';
import { commandStates } from '../../src/commands/records.ts';
import { restoreStates } from '../../src/restore/records.ts';

/**
 * fast-check parameters for one property: `ciRuns` unless FUZZ_RUNS says more, the suite's fixed
 * seed unless FUZZ_SEED says otherwise (`random` for a new one each run). fast-check prints the
 * seed and path of a failure; both go back in through FUZZ_SEED and FUZZ_PATH.
 */
export function fuzzParams(ciRuns: number, seed: number): fc.Parameters<unknown> {
  const env = process.env;
  const runs = env.FUZZ_RUNS === undefined ? ciRuns : Number(env.FUZZ_RUNS);
  const chosen =
    env.FUZZ_SEED === undefined
      ? seed
      : env.FUZZ_SEED === 'random'
        ? Math.floor(Math.random() * 2 ** 31)
        : Number(env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : ciRuns,
    seed: chosen,
    ...(env.FUZZ_PATH === undefined ? {} : { path: env.FUZZ_PATH }),
    endOnFailure: true,
    verbose: 1,
  };
}

/**
 * A deadline for a fuzz test, so a request that is never answered fails the run instead of
 * hanging it; none on a long run (FUZZ_RUNS set), whose length is the point.
 */
export function fuzzTimeout(ms: number): number {
  return process.env.FUZZ_RUNS === undefined ? ms : Number.POSITIVE_INFINITY;
}

/**
 * Config for a fuzzed node: a long run outlasts the 15-minute idle reaper and approval expiry,
 * which would change state on their own between a snapshot and a refusal, and the admin rate
 * limit (its own test covers it), which would turn most requests into 429s. No automatic
 * declaration either: an alert the fuzzer got accepted is linked to the running incident after
 * its answer, on the event stream, and on a loaded machine that link landed during a later,
 * refused request ("a refused request appended incident.link"); test/e2e/incidents.test.ts
 * covers it.
 */
export const fuzzConfig = {
  session: { idleTimeoutSeconds: 86_400 },
  commands: { approvalTtlSeconds: 86_400 },
  incidents: { autoDeclare: false },
  admin: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
};

/** The record store and live state on the test services, each in a fresh schema and prefix. */
export function onServices(s: Services): DeepPartial<Config> {
  return {
    store: { kind: 'postgres', postgres: { url: s.pgUrl, schema: s.schema() } },
    live: { kind: 'redis', redis: { url: s.redisUrl, prefix: s.prefix() } },
  } as DeepPartial<Config>;
}

/** Strings a parser or a database may choke on: controls, lone surrogates, RTL marks, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\u001b[31mred\u001b[0m',
    '\r\n\r\nX-Injected: 1',
    '\ud800',
    '\udfff\ud800',
    '\u202eevil',
    '\ufeff',
    '%00',
    '%',
    '../../etc/passwd',
    '__proto__',
    'constructor',
    'prototype',
    "'; DROP TABLE audit; --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, meant literally
    '${jndi:ldap://x}',
    '{{7*7}}',
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    'null',
    'true',
    '0x10',
    '2026-13-45T99:99:99Z',
    '9999999999999999999999',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 200 }),
  fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers at the edges: negative, fractional, beyond safe integers, beyond doubles. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1.5, -1e-9, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Objects nested deeper than any schema expects. */
export const deepNesting: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 10, max: 3000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
    return v;
  });

/** Any JSON value a field could be replaced with; prototype keys are own properties here. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.constantFrom(null, true, false, [], {}, [null], { __proto__: null }),
  fc.constant(JSON.parse('{"__proto__":{"admin":true}}')),
  fc.constant(JSON.parse('{"constructor":{"prototype":{"admin":true}}}')),
  fc.array(nastyString, { maxLength: 5 }),
  deepNesting,
  fc.jsonValue({ maxDepth: 3 }),
);

/** Keys an attacker adds beside the expected ones. */
export const nastyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', ''),
  fc.string({ maxLength: 20 }),
);

/** A value of the same JSON type as `v`, so the request often passes its schema and reaches a service. */
function sameType(v: unknown): fc.Arbitrary<unknown> {
  if (typeof v === 'string')
    return fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      nastyString.filter((s) => s.length <= 64),
    );
  if (typeof v === 'number') return nastyNumber;
  if (typeof v === 'boolean') return fc.boolean();
  if (Array.isArray(v)) return fc.array(sameType(v[0]), { maxLength: 4 });
  return nastyValue;
}

/**
 * A valid object as is, or with one mutation: a field replaced by a value of its own type or by
 * anything, removed, or a hostile key added beside the others.
 */
export function mutate(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(valid);
  // Built through JSON so `__proto__` is an own key, as it is in a body a client sends.
  const add = fc
    .tuple(nastyKey, nastyValue)
    .map(([k, v]) =>
      JSON.parse(
        `${JSON.stringify(valid).slice(0, -1)}${keys.length > 0 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v ?? null)}}`,
      ),
    );
  if (keys.length === 0) return fc.oneof(fc.constant(valid), add);
  const retype = fc.constantFrom(...keys).chain((k) => sameType(valid[k]).map((v) => ({ ...valid, [k]: v })));
  const replace = fc.tuple(fc.constantFrom(...keys), nastyValue).map(([k, v]) => ({ ...valid, [k]: v }));
  const remove = fc.constantFrom(...keys).map((k) => {
    const out = { ...valid };
    delete out[k];
    return out;
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(valid) },
    { weight: 4, arbitrary: retype },
    { weight: 3, arbitrary: replace },
    { weight: 1, arbitrary: remove },
    { weight: 1, arbitrary: add },
  );
}

/** A body as raw text: a near-valid object, any JSON, or not JSON at all. */
export function bodyText(valid: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mutate(valid).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '{"a":1,"a":2}',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        '\ufeff{}',
        `${'['.repeat(100_000)}`,
      ),
    },
  );
}

/** Content types a client might send, right or wrong. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 20, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
      ';',
      'application/json;;;',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
);

/** Percent-encodes every UTF-8 byte outside the unreserved set (lone surrogates become U+FFFD). */
export function encodeSegment(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment: usually encoded, sometimes raw bytes of the kind a URL parser must refuse. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nastyString.map(encodeSegment) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('%', '%zz', '%C0%80', '%ED%A0%80', '%FF', '..', '.', '%2F', ';a=b'),
  },
);

/** A query string: hostile keys and values, repeated keys, raw bytes. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.oneof(nastyKey, fc.constantFrom('limit', 'from', 'to', 'playerId', 'afterSeq')),
        nastyString,
      ),
      {
        maxLength: 5,
      },
    )
    .map((pairs) =>
      pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v.slice(0, 2000))}`).join('&'),
    ),
  fc.constantFrom('', '&&&', '=', 'a', 'a[b]=1', '__proto__[x]=1', 'limit=1&limit=2', '%', 'a=%zz'),
);

/** A response the fuzzers accept: no 5xx, and every error is a catalog code with a message. */
export function assertCodedAnswer(request: string, status: number, body: string): void {
  const where = request.length > 200 ? `${request.slice(0, 200)}…` : request;
  assert.ok(status < 500, `${where}: answered ${status} ${body.slice(0, 300)}`);
  // HEAD answers carry no body by definition.
  if (status < 400 || request.startsWith('HEAD ')) return;
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    assert.fail(`${where}: ${status} with a body that is not JSON: ${body.slice(0, 300)}`);
  }
  const code = parsed?.error?.code;
  assert.ok(
    typeof code === 'string' && code in catalog,
    `${where}: ${status} without a catalog code: ${body.slice(0, 300)}`,
  );
  assert.equal(typeof parsed.error.message, 'string', `${where}: no message`);
}

/** The catalog code of an error answer, if it is one. */
export function errorCode(body: string): string | undefined {
  try {
    return JSON.parse(body)?.error?.code;
  } catch {
    return undefined;
  }
}

/** Everything a refused request must leave untouched. */
export interface Snapshot {
  sessions: number;
  disruptions: number;
  auditSeq: number;
  operators: string;
  bans: number;
  commands: string;
  restores: string;
  flags: string;
  breaker: string;
  incidents: string;
}

export async function snapshot(app: App): Promise<Snapshot> {
  const [sessions, disruptions, head, operators, bans, commands, restores, flags, breaker, incidents] =
    await Promise.all([
      app.live.countSessions({}),
      app.store.listDisruptions({ limit: 100_000 }),
      app.store.auditHead(),
      app.store.listOperators(),
      app.store.listBans({ limit: 100_000, activeAt: Date.now() }),
      app.store.listCommands(commandStates),
      app.store.listRestores(restoreStates),
      app.store.listFlags(),
      app.store.getBreaker('kick'),
      app.store.listIncidents({ limit: 100_000 }),
    ]);
  return {
    sessions: sessions.total,
    disruptions: disruptions.length,
    auditSeq: head?.seq ?? 0,
    operators: JSON.stringify(operators.map((o) => [o.id, o.role, o.revokedAt])),
    bans: bans.length,
    commands: JSON.stringify(commands.map((c) => [c.id, c.state, c.approvals.length])),
    restores: JSON.stringify(restores.map((r) => [r.id, r.state])),
    flags: JSON.stringify(flags.map((f) => [f.key, f.value])),
    breaker: JSON.stringify(breaker),
    incidents: JSON.stringify(incidents.map((i) => [i.id, i.status, i.version])),
  };
}

/**
 * Asserts a refused request changed nothing. The audit log may have grown by refusals only.
 */
export async function assertUnchanged(app: App, before: Snapshot, request: string): Promise<Snapshot> {
  const where = request.length > 200 ? `${request.slice(0, 200)}…` : request;
  const after = await snapshot(app);
  if (after.auditSeq !== before.auditSeq) {
    const added = await app.store.readAuditPage(before.auditSeq, 1000);
    for (const e of added) {
      // Refusals are evidence by design (a denied role check, a failed or locked step-up), and a
      // checkpoint of the chain may land on its own interval; anything else is a change.
      const evidence =
        /denied|refused|failed|rejected|locked/.test(e.result) ||
        /^(stepup\.|audit\.checkpoint)/.test(e.action);
      assert.ok(evidence, `${where}: a refused request appended ${e.action} (${e.result}) to the audit log`);
    }
  }
  assert.deepEqual(
    { ...after, auditSeq: 0 },
    { ...before, auditSeq: 0 },
    `${where}: a refused request changed state`,
  );
  return after;
}

/**
 * One snapshot per request instead of two: after a refusal, the snapshot that proved nothing
 * changed is the next request's "before"; after an accepted request, a new one is taken.
 */
export class StateWatch {
  readonly #app: App;
  #last: Snapshot | undefined;

  constructor(app: App) {
    this.#app = app;
  }

  async before(): Promise<void> {
    this.#last ??= await snapshot(this.#app);
  }

  async after(refused: boolean, where: string): Promise<void> {
    const before = this.#last as Snapshot;
    this.#last = refused ? await assertUnchanged(this.#app, before, where) : undefined;
  }
}
