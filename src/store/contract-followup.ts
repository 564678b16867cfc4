/**
 * The record-store contract for `IncidentFollowUpRecords`: a player is granted once per incident
 * whatever the runs; a post-mortem and action items round-trip and are replaced in place.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionItem, CompensationGrant, Postmortem } from '../incidents/records.ts';
import type { RecordStore } from './index.ts';

type WithStore = (t: { after: (fn: () => Promise<void>) => void }) => Promise<RecordStore>;

const grant = (incidentId: string, playerId: string, runId: string): CompensationGrant => ({
  id: `${runId}-${playerId}`,
  incidentId,
  playerId,
  grant: '7 days',
  seconds: 604_800,
  licence: 'premium',
  region: 'eu',
  runId,
  grantedBy: 'alice',
  grantedAt: 1_000,
});

export function incidentFollowUpContract(withStore: WithStore): void {
  grantsContract(withStore);
  postmortemContract(withStore);
}

function grantsContract(withStore: WithStore): void {
  test('compensation: a second run grants only the players the first did not; per incident', async (t) => {
    const store = await withStore(t);
    const first = await store.recordGrants([grant('i1', 'p1', 'r1'), grant('i1', 'p2', 'r1')]);
    assert.deepEqual(
      first.map((g) => g.playerId),
      ['p1', 'p2'],
    );
    const second = await store.recordGrants([grant('i1', 'p2', 'r2'), grant('i1', 'p3', 'r2')]);
    assert.deepEqual(
      second.map((g) => g.playerId),
      ['p3'],
    );
    assert.equal(
      (await store.recordGrants([grant('i2', 'p1', 'r3')])).length,
      1,
      'another incident grants again',
    );
    const listed = await store.listGrants('i1');
    assert.deepEqual(listed, [grant('i1', 'p1', 'r1'), grant('i1', 'p2', 'r1'), grant('i1', 'p3', 'r2')]);
  });
}

function postmortemContract(withStore: WithStore): void {
  test('post-mortem and action items round-trip and are replaced in place', async (t) => {
    const store = await withStore(t);
    assert.equal(await store.getPostmortem('i1'), null);
    const pm: Postmortem = {
      incidentId: 'i1',
      summary: null,
      whys: ['a', 'b'],
      rootCause: 'c',
      lessons: { wentWell: ['x'], wentBadly: [] },
      writtenAt: null,
      updatedAt: 5,
      updatedBy: 'alice',
    };
    await store.savePostmortem(pm);
    assert.deepEqual(await store.getPostmortem('i1'), pm);
    await store.savePostmortem({ ...pm, rootCause: 'd', writtenAt: 9, updatedAt: 9 });
    assert.deepEqual(await store.getPostmortem('i1'), { ...pm, rootCause: 'd', writtenAt: 9, updatedAt: 9 });
    const action = (id: string, incidentId: string, dueAt: number): ActionItem => ({
      id,
      incidentId,
      title: `do ${id}`,
      kind: 'preventive',
      owner: 'bob',
      dueAt,
      status: 'open',
      createdAt: 1,
      updatedAt: 1,
    });
    await store.saveAction(action('a2', 'i1', 20));
    await store.saveAction(action('a1', 'i1', 10));
    await store.saveAction(action('a3', 'i2', 5));
    await store.saveAction({ ...action('a2', 'i1', 20), status: 'done', updatedAt: 3 });
    assert.deepEqual(
      (await store.listActions({ incidentId: 'i1' })).map((a) => [a.id, a.status]),
      [
        ['a1', 'open'],
        ['a2', 'done'],
      ],
    );
    assert.deepEqual(
      (await store.listActions({ status: 'open' })).map((a) => a.id),
      ['a3', 'a1'],
    );
    assert.equal(await store.deleteAction('a1'), true);
    assert.equal(await store.deleteAction('a1'), false);
    assert.deepEqual(
      (await store.listActions({})).map((a) => a.id),
      ['a3', 'a2'],
    );
  });
}
