import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveSession } from '../sessions/records.ts';
import { type PolicySettings, planFor, policyFor } from './policy.ts';

const settings: PolicySettings = {
  smallMaxSessions: 50,
  approvalTtlSeconds: 900,
  tolerancePercent: 1,
  toleranceMinSessions: 2,
  canaryPercent: 1,
  canaryMaxSessions: 100,
  holdSeconds: 30,
  payingLicences: ['standard', 'premium'],
};

test('one session is a single kick: an operator, no TOTP, no approver, no canary', () => {
  assert.deepEqual(policyFor(1, false, settings), {
    tier: 'single',
    role: 'operator',
    totp: false,
    approvals: 0,
    cap: 3,
    tolerance: 2,
    canary: 0,
    holdMs: 0,
  });
});

test('up to smallMaxSessions is small: an operator with TOTP; one more is bulk', () => {
  const small = policyFor(50, false, settings);
  assert.equal(small.tier, 'small');
  assert.equal(small.role, 'operator');
  assert.equal(small.totp, true);
  assert.equal(small.approvals, 0);
  const bulk = policyFor(51, false, settings);
  assert.equal(bulk.tier, 'bulk');
  assert.equal(bulk.role, 'admin');
  assert.equal(bulk.approvals, 1);
  assert.equal(bulk.holdMs, 30_000);
});

test('the tolerance is the larger of its share of the plan and its minimum; the cap is plan plus tolerance', () => {
  assert.equal(policyFor(100, false, settings).tolerance, 2, 'the minimum: 1% of 100 is 1');
  const large = policyFor(1000, false, settings);
  assert.equal(large.tolerance, 10);
  assert.equal(large.cap, 1010);
  assert.equal(policyFor(201, false, settings).tolerance, 3, 'a share is rounded up');
});

test('the canary is its share of the plan, at least 1, at most canaryMaxSessions, and none when it would be the whole plan', () => {
  assert.equal(policyFor(1000, false, settings).canary, 10);
  assert.equal(policyFor(60, false, settings).canary, 1);
  assert.equal(policyFor(1_000_000, false, settings).canary, 100);
  assert.equal(policyFor(1, true, settings).canary, 0, 'a canary of the only session is the kick itself');
});

test('"all" takes the highest tier whatever it finds, even nothing', () => {
  for (const count of [0, 1, 10, 5000]) {
    const p = policyFor(count, true, settings);
    assert.equal(p.tier, 'all');
    assert.equal(p.role, 'admin');
    assert.equal(p.totp, true);
    assert.equal(p.approvals, 1);
  }
});

function session(i: number, over: Partial<LiveSession> = {}): LiveSession {
  return {
    id: `s-${i}`,
    playerId: `p-${i}`,
    region: 'na',
    shard: 'na-1',
    zone: null,
    licence: 'free',
    clientVersion: '1.0.0',
    provisional: false,
    node: 'n1',
    createdAt: 0,
    lastSeenAt: 0,
    ...over,
  };
}

test('a plan counts by region, shard, licence and paying tier, with a sample of ten', () => {
  const sessions = [
    ...Array.from({ length: 8 }, (_, i) => session(i)),
    ...Array.from({ length: 4 }, (_, i) =>
      session(100 + i, { region: 'eu', shard: 'eu-2', licence: 'premium' }),
    ),
    session(200, { licence: 'standard' }),
  ];
  const plan = planFor(sessions, 52, settings.payingLicences);
  assert.equal(plan.count, 13);
  assert.equal(plan.sample.length, 10);
  assert.deepEqual(plan.sample[0], {
    sessionId: 's-0',
    playerId: 'p-0',
    region: 'na',
    shard: 'na-1',
    licence: 'free',
  });
  assert.deepEqual(plan.byRegion, { na: 9, eu: 4 });
  assert.deepEqual(plan.byShard, { 'na-1': 9, 'eu-2': 4 });
  assert.deepEqual(plan.byLicence, { free: 8, premium: 4, standard: 1 });
  assert.deepEqual(plan.byTier, { paying: 5, free: 8 });
  assert.equal(plan.online, 52);
  assert.equal(plan.shareOfOnline, 13 / 52);
});

test('a plan with nobody online has a share of 0, not NaN', () => {
  const plan = planFor([], 0, settings.payingLicences);
  assert.equal(plan.count, 0);
  assert.equal(plan.shareOfOnline, 0);
  assert.deepEqual(plan.byTier, { paying: 0, free: 0 });
});
