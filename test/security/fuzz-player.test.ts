/**
 * Fuzzes the player API in process (`inject` runs the same routes, hooks and error handler as
 * the port): random and near-valid bodies, content types, headers and query strings. Each answer
 * must be below 500 with a catalog code when refused, and a refused request must change nothing.
 */
import { type TestContext, test } from 'node:test';
import fc from 'fast-check';
import type { Config, DeepPartial } from '../../src/config/index.ts';
import { login, startLifeline } from '../helpers.ts';
import { services } from '../services.ts';
import {
  assertCodedAnswer,
  bodyText,
  contentType,
  errorCode,
  fuzzConfig,
  fuzzParams,
  fuzzTimeout,
  onServices,
  nastyString,
  queryString,
  StateWatch,
} from './fuzz-support.ts';

async function fuzzPlayer(
  t: TestContext,
  backend: DeepPartial<Config>,
  runs: number,
  seed: number,
): Promise<void> {
  const { app, playerUrl } = await startLifeline(t, { overrides: { ...fuzzConfig, ...backend } });
  const someone = await login(playerUrl, 'fz-holder', 'na', 'na-1');

  // A real token with one character changed, cut short or lengthened: near-valid forgeries.
  const tamperedToken = (real: string) =>
    fc.oneof(
      fc
        .tuple(fc.nat({ max: real.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
        .map(([i, c]) => real.slice(0, i) + c + real.slice(i + 1)),
      fc.nat({ max: real.length }).map((n) => real.slice(0, n)),
      nastyString.map((s) => real + s),
      nastyString,
    );
  const routes = {
    '/v1/login': {
      playerId: 'fz-1',
      region: 'na',
      shard: 'na-1',
      zone: 'na-a',
      clientVersion: '1.2.3',
    },
    '/v1/login/poll': { ticket: 'nope' },
    '/v1/refresh': { refreshToken: someone.refreshToken },
    '/v1/rejoin': { resumeToken: someone.refreshToken },
    '/v1/reports': { category: 'lag', region: 'na', shard: 'na-1', text: 'rubber-banding' },
  } as const;
  const post = fc.oneof(
    ...Object.entries(routes).map(([path, valid]) =>
      fc.record({
        method: fc.constant('POST'),
        url: fc.oneof(
          { weight: 4, arbitrary: fc.constant(path) },
          { weight: 1, arbitrary: queryString.map((q) => `${path}?${q}`) },
        ),
        body: fc.oneof(
          { weight: 5, arbitrary: bodyText(valid) },
          {
            weight: 1,
            arbitrary: tamperedToken(Object.values(valid)[0] as string).map((v) =>
              JSON.stringify({ [Object.keys(valid)[0] as string]: v }),
            ),
          },
        ),
        contentType,
      }),
    ),
  );
  const get = fc.record({
    method: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'PATCH'),
    url: fc
      .tuple(
        fc.constantFrom(
          '/health',
          '/ready',
          '/.well-known/jwks.json',
          '/v1/login',
          '/v1/session',
          '/',
          '/v1/x',
        ),
        queryString,
      )
      .map(([p, q]) => (q ? `${p}?${q}` : p)),
    body: fc.option(fc.json({ maxDepth: 2 }), { nil: undefined }),
    contentType,
  });
  const extraHeaders = fc.dictionary(
    fc.constantFrom(
      'x-forwarded-for',
      'authorization',
      'accept',
      'accept-encoding',
      'origin',
      'x-real-ip',
      'cookie',
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    { maxKeys: 3 },
  );

  const watch = new StateWatch(app);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof({ weight: 5, arbitrary: post }, { weight: 1, arbitrary: get }),
      extraHeaders,
      async (req, headers) => {
        await watch.before();
        const res = await app.player.inject({
          method: req.method as 'POST',
          url: req.url,
          headers: {
            ...headers,
            ...(req.contentType === undefined ? {} : { 'content-type': req.contentType }),
          },
          ...(req.body === undefined ? {} : { payload: req.body }),
        });
        const where = `${req.method} ${req.url}`;
        assertCodedAnswer(where, res.statusCode, res.body);
        // A spent refresh token sent again revokes its whole family: that refusal acts by design.
        await watch.after(res.statusCode >= 400 && errorCode(res.body) !== 'REFRESH_REUSED', where);
      },
    ),
    fuzzParams(runs, seed),
  );
}

test(
  'player API: hostile bodies, headers and query strings get a coded 4xx and change nothing (SQLite, in process)',
  { timeout: fuzzTimeout(300_000) },
  (t) => fuzzPlayer(t, {}, 600, 0x11e1),
);

// PostgreSQL refuses text SQLite takes (U+0000, integers past bigint): fewer runs, same checks.
const distributed = await services('player fuzz on PostgreSQL and Redis', ['postgres', 'redis']);
if (distributed) {
  test(
    'player API: hostile bodies, headers and query strings get a coded 4xx and change nothing (PostgreSQL and Redis)',
    { timeout: fuzzTimeout(300_000) },
    (t) => fuzzPlayer(t, onServices(distributed), 250, 0x11e1 + 1),
  );
}
