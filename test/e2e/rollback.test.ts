/**
 * Automatic rollback and admin-operation signals on a real node (issue 15, items 2 and 7): a flag
 * set with `autoRevert` shortly before logins start failing is named by the failure signal and
 * switched back by Lifeline itself (audited as `system`, announced as an `auto-revert` signal); a
 * change without the mark is named but left alone. The detectors step on a TestClock; the audit
 * follower's round is its own timer, so the test waits on the `signal.changed` events it causes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import { identityUpstream } from '../../src/lab/index.ts';
import type { SignalChanged } from '../../src/signals/index.ts';
import { TestClock } from '../clock.ts';
import { addOperator, getJson, postJson, startLifeline } from '../helpers.ts';

const STEP = 10_000;

function next(
  app: App,
  detector: string,
  test: (e: SignalChanged) => boolean = () => true,
): Promise<SignalChanged> {
  return new Promise((resolve) => {
    const off = app.events.on('signal.changed', (e) => {
      if (e.signal.detector !== detector || !test(e)) return;
      off();
      resolve(e);
    });
  });
}

async function setFlag(adminUrl: string, token: string, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${adminUrl}/admin/v1/flags/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

async function logins(playerUrl: string, n: number, tag: string): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      postJson(`${playerUrl}/v1/login`, { playerId: `${tag}-${i}`, region: 'na', shard: 'na-1' }),
    ),
  );
}

test('a P1 soon after an autoRevert flag change names the change and switches it back; an unmarked change is only named', async (t) => {
  const idp = await identityUpstream();
  t.after(() => idp.close());
  const clock = new TestClock();
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: {
      identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 30_000 } },
      admission: { enabled: false },
      detection: {
        stepSeconds: STEP / 1000,
        failures: { warmupSeconds: 60, minShift: 0.3, threshold: 10 },
        audit: { intervalSeconds: 1 },
        rollback: { watchSeconds: 600 },
      },
    },
  });
  const alice = await addOperator(app, 'alice', 'admin');
  for (let i = 0; i < 8; i++) {
    await logins(playerUrl, 9, `warm${i}`);
    clock.advance(STEP);
    await app.detection?.poll();
  }
  await setFlag(adminUrl, alice, 'kicks.enabled', {
    value: false,
    reason: 'trying a freeze',
    autoRevert: true,
  });
  clock.advance(1000);
  await setFlag(adminUrl, alice, 'logins.retryAfterSeconds', { value: 45, reason: 'slower retries' });

  const reverted = next(app, 'auto-revert');
  const named = next(app, 'login-failures', (e) =>
    e.signal.localisation.some((l) => l.dimension === 'change'),
  );
  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  // Two failing steps: one alone is a burst, not yet a fault (detection.failures.minSteps).
  for (let i = 0; i < 2; i++) {
    await logins(playerUrl, 9, `fault${i}`);
    clock.advance(STEP);
    await app.detection?.poll();
  }

  const { signal } = await named;
  assert.equal(signal.severity, 'P1');
  const change = signal.localisation.find((l) => l.dimension === 'change');
  assert.deepEqual(change?.values, [
    'flag logins.retryAfterSeconds: 30 → 45 by alice',
    'flag kicks.enabled: true → false by alice',
  ]);
  const revert = await reverted;
  assert.match(revert.signal.title, /switched kicks\.enabled back to true \(set by alice\)/);

  const flags = (await getJson(`${adminUrl}/admin/v1/flags`, alice)).body.flags as {
    key: string;
    value: unknown;
    updatedBy: string;
  }[];
  const byKey = Object.fromEntries(flags.map((f) => [f.key, f]));
  assert.equal(byKey['kicks.enabled']?.value, true);
  assert.equal(byKey['kicks.enabled']?.updatedBy, 'system');
  assert.equal(byKey['logins.retryAfterSeconds']?.value, 45, 'not marked: left alone');
  const audit = await app.audit.list({ action: 'flag.set', actor: 'system' });
  assert.equal(audit.length, 1);
  assert.match(String(audit[0]?.details.reason), /^auto-revert: P1 signal/);
});

test('five denied actions by one operator within minutes raise a denied-burst signal, whatever node they hit', async (t) => {
  const { app, adminUrl } = await startLifeline(t, {
    overrides: { detection: { audit: { intervalSeconds: 1 } } },
  });
  const vera = await addOperator(app, 'vera', 'viewer');
  const burst = next(app, 'denied-burst');
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${adminUrl}/admin/v1/flags/kicks.enabled`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${vera}` },
      body: JSON.stringify({ value: false, reason: 'just looking' }),
    });
    assert.equal(res.status, 403);
  }
  const { signal } = await burst;
  assert.equal(signal.source, 'audit');
  assert.equal(signal.severity, 'P2');
  assert.deepEqual(signal.dimensions, { actor: 'vera' });
  const listed = await getJson(`${adminUrl}/admin/v1/signals?detector=denied-burst`, vera);
  assert.deepEqual(
    listed.body.signals.map((s: { id: string }) => s.id),
    [signal.id],
  );
});
