import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Disruption } from '../disruptions/records.ts';
import { type ImpactSettings, impactOf } from './impact.ts';
import { seedPhases } from './lifecycle.ts';
import type { Incident } from './records.ts';

const HOUR = 3_600_000;
const settings: ImpactSettings = {
  thresholds: {
    P0: { players: 100, payingPlayers: 50, regions: 3 },
    P1: { players: 10, payingPlayers: 5, regions: 2 },
    P2: { players: 1, payingPlayers: 1, regions: 1 },
  },
  payingLicences: ['standard', 'premium'],
  revenuePerPayingPlayerHour: 2,
  currency: 'EUR',
  rtoObjectiveSeconds: 3600,
  rpoObjectiveRecords: 0,
};

const incident = {
  id: 'i1',
  startedAt: 0,
  resolvedAt: 4 * HOUR,
  phases: seedPhases(),
  signals: [],
  roles: [],
  notes: [],
} as unknown as Incident;

let n = 0;
function record(
  player: string,
  region: string,
  licence: string,
  outcome: Disruption['outcome'],
  settledAt: number | null,
): Disruption {
  n += 1;
  return {
    id: `d${n}`,
    sessionId: `s${n}`,
    playerId: player,
    cause: 'kick',
    commandId: 'c1',
    incidentId: 'i1',
    at: 0,
    snapshot: { region, shard: `${region}-1`, zone: null, clientVersion: null, licence, provisional: false },
    outcome,
    outcomeReason: null,
    settledAt,
  };
}

test('players by region, shard and licence; paying players; hours out priced; RTO and RPO against objectives', () => {
  const records = [
    record('p1', 'eu', 'premium', 'restored', HOUR),
    record('p1', 'eu', 'premium', 'restored', HOUR / 2), // the same player's second session
    record('p2', 'na', 'free', 'restored', 2 * HOUR),
    record('p3', 'na', 'standard', 'expired', HOUR),
  ];
  const impact = impactOf(incident, records, settings, 10 * HOUR);
  assert.equal(impact.players.affected, 3);
  assert.equal(impact.players.records, 4);
  assert.equal(impact.players.paying, 2);
  assert.deepEqual(impact.players.byRegion, { eu: 1, na: 2 });
  assert.deepEqual(impact.players.byShard, { 'eu-1': 1, 'na-1': 2 });
  assert.deepEqual(impact.players.byLicence, { free: 1, premium: 1, standard: 1 });
  assert.equal(impact.downtime.incidentMs, 4 * HOUR);
  assert.equal(impact.downtime.payingSessionHours, 2.5);
  assert.equal(impact.revenue.estimate, 5);
  assert.equal(impact.rto.ms, 2 * HOUR, 'onset to the last player back');
  assert.equal(impact.rto.met, false, 'two hours against an objective of one');
  assert.equal(impact.rto.notRestored, 1);
  assert.equal(impact.rpo.recordsNotFinal, 0);
  assert.equal(impact.rpo.met, true);
  assert.equal(impact.classification.severity, 'P1', 'two regions');
  assert.equal(impact.players.failedLogins, null, 'not counted, and said so');
  assert.match(impact.notCounted.failedLogins, /not counted/);
});

test('while a player is still out there is no RTO yet and the RPO objective is missed', () => {
  const records = [
    record('p1', 'eu', 'premium', 'restored', HOUR),
    record('p2', 'eu', 'premium', 'pending', null),
  ];
  const impact = impactOf(incident, records, settings, 5 * HOUR);
  assert.equal(impact.rto.ms, null);
  assert.equal(impact.rto.met, null);
  assert.equal(impact.rto.stillOut, 1);
  assert.equal(impact.rpo.recordsNotFinal, 1);
  assert.equal(impact.rpo.met, false);
  assert.equal(impact.downtime.payingSessionHours, 6, 'the pending one is out until now');
});
