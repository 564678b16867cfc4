/**
 * Fuzzes what lies behind a TOTP step-up: every request carries a current, unspent code of the
 * admin sending it (one admin per request, since a code is spent once per 30-s step), so kicks,
 * approvals, restores and breaker resets reach their services' own checks with hostile bodies.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { addOperatorWithTotp, eventually, loginMany, postJson, startLifeline } from '../helpers.ts';
import {
  assertCodedAnswer,
  errorCode,
  fuzzConfig,
  fuzzParams,
  fuzzTimeout,
  mutate,
  nastyValue,
  StateWatch,
} from './fuzz-support.ts';

test('guarded routes past a valid TOTP: hostile bodies get a coded 4xx and change nothing', {
  timeout: fuzzTimeout(300_000),
}, async (t) => {
  const runs = fuzzParams(120, 0x70f9).numRuns as number;
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fuzzConfig, commands: { ...fuzzConfig.commands, holdSeconds: 0 } },
  });
  await loginMany(playerUrl, 'fz-g', 30);
  // One admin per request: each code is then current and unspent when it is sent.
  const admins = await Promise.all(
    Array.from({ length: runs + 2 }, (_, i) => addOperatorWithTotp(app, `fz-admin-${i}`, 'admin')),
  );
  let next = 0;
  // A kick of the whole region needs a second admin: its id gives approve a real target.
  const first = admins[next++]!;
  const pending = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'fuzz fixture', totp: await first.totp() },
    first.auth,
  );
  const commandId: string = pending.body?.command?.id ?? 'no-command';

  const selector = { playerId: 'fz-g-1', shard: 'na-2', zone: 'na-a', licence: ['paying'] };
  const pacing = { mode: 'fixed', batchSize: 10, intervalMs: 1000 };
  const thresholds = { cpuPercent: 90, connections: 100, errorRate: 0.5, healthUrl: 'http://127.0.0.1:1/h' };
  const routes = [
    {
      url: '/admin/v1/commands',
      body: fc.oneof(
        mutate({ action: 'kick', selector, reason: 'fuzzing', maxSessions: 5 }),
        mutate(selector).map((s) => ({ action: 'kick', selector: s, reason: 'fuzzing' })),
      ),
    },
    { url: `/admin/v1/commands/${commandId}/approve`, body: mutate({}) },
    { url: '/admin/v1/breaker/reset', body: mutate({ reason: 'fuzzing' }) },
    {
      url: '/admin/v1/restores',
      body: fc.oneof(
        mutate({ from: 0, to: '2099-01-01T00:00:00Z', pacing, thresholds }),
        mutate(pacing).map((p) => ({ commandId, pacing: p })),
        mutate(thresholds).map((th) => ({ from: 0, to: 4102444800000, pacing, thresholds: th })),
      ),
    },
  ];
  const request = fc.oneof(
    ...routes.map((r) =>
      fc.record({
        url: fc.constant(r.url),
        body: r.body,
        totp: fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: nastyValue },
        ),
      }),
    ),
  );

  const watch = new StateWatch(app);
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      const index = next++ % admins.length;
      const admin = admins[index]!;
      await watch.before();
      // Mostly the admin's own current code; sometimes a hostile value in its place.
      const totp = req.totp === undefined ? await admin.totp() : req.totp;
      const body = { ...req.body, totp };
      const res = await app.admin.inject({
        method: 'POST',
        url: req.url,
        headers: admin.auth,
        payload: body,
      });
      const where = `POST ${req.url} ${JSON.stringify(body).slice(0, 300)}`;
      assertCodedAnswer(where, res.statusCode, res.body);
      if (res.statusCode < 400) {
        // What an accepted request set going runs on its own: let it settle, so that the next
        // refusal is not blamed for it.
        const restoreId = res.json()?.restore?.id as string | undefined;
        const operator = await app.store.findOperator({ name: `fz-admin-${index}` });
        if (restoreId && operator)
          await app.restores.cancel(restoreId, operator, 'fuzz cleanup').catch(() => {});
        await eventually(async () => {
          const busy = await app.store.listCommands(['running']);
          return busy.length === 0 ? true : undefined;
        });
      }
      await watch.after(res.statusCode >= 400 && errorCode(res.body) !== undefined, where);
    }),
    fuzzParams(120, 0x70f9),
  );
});
