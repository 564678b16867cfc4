import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Topology } from '../sessions/index.ts';
import { describeSelector, toFilter } from './selector.ts';

const topology: Topology = {
  regions: {
    na: { shards: ['na-1', 'na-2'], zones: ['us-east'] },
    eu: { shards: ['eu-1'], zones: ['eu-west', 'eu-north'] },
  },
};

const code = (c: string) => ({ code: c });

test('"all" alone is the empty filter; with any other field it is refused', () => {
  assert.deepEqual(toFilter({ all: true }, topology), {});
  assert.throws(() => toFilter({ all: true, region: 'na' }, topology), code('SELECTOR_ALL_NOT_EXPLICIT'));
});

test('an empty selector is refused: everyone is never implied', () => {
  assert.throws(() => toFilter({}, topology), code('SELECTOR_EMPTY'));
  assert.throws(() => toFilter({ all: false }, topology), code('SELECTOR_EMPTY'));
});

test('a region, shard or zone is checked against the topology', () => {
  assert.throws(() => toFilter({ region: 'ap' }, topology), code('UNKNOWN_REGION'));
  assert.throws(() => toFilter({ region: 'na', shard: 'eu-1' }, topology), code('UNKNOWN_SHARD'));
  assert.throws(() => toFilter({ region: 'na', zone: 'eu-west' }, topology), code('UNKNOWN_ZONE'));
  assert.throws(() => toFilter({ shard: 'ap-1' }, topology), code('UNKNOWN_SHARD'));
  assert.throws(() => toFilter({ zone: 'ap-south' }, topology), code('UNKNOWN_ZONE'));
  assert.throws(
    () => toFilter({ shard: 'na-1', zone: 'eu-west' }, topology),
    code('UNKNOWN_SHARD'),
    'a shard and a zone of different regions match nothing',
  );
  assert.deepEqual(toFilter({ shard: 'eu-1', zone: 'eu-north' }, topology), {
    shard: 'eu-1',
    zone: 'eu-north',
  });
});

test('a clientVersion range needs at least one end', () => {
  assert.throws(() => toFilter({ clientVersion: {} }, topology), code('VALIDATION_FAILED'));
  assert.deepEqual(toFilter({ clientVersion: { max: '2.0.0' } }, topology), {
    clientVersion: { max: '2.0.0' },
  });
});

test('every field carries over to the filter (licence as licences), and nothing else', () => {
  const filter = toFilter(
    {
      region: 'eu',
      shard: 'eu-1',
      zone: 'eu-west',
      playerId: 'p-1',
      sessionId: 's-1',
      playerIds: ['p-1', 'p-2'],
      licence: ['premium'],
      clientVersion: { min: '1.0.0', max: '2.0.0' },
    },
    topology,
  );
  assert.deepEqual(filter, {
    region: 'eu',
    shard: 'eu-1',
    zone: 'eu-west',
    playerId: 'p-1',
    sessionId: 's-1',
    playerIds: ['p-1', 'p-2'],
    licences: ['premium'],
    clientVersion: { min: '1.0.0', max: '2.0.0' },
  });
  assert.deepEqual(toFilter({ playerId: 'p-9' }, topology), { playerId: 'p-9' });
});

test("the filter does not share the selector's clientVersion object", () => {
  const clientVersion = { min: '1.0.0' };
  const filter = toFilter({ clientVersion }, topology);
  clientVersion.min = '9.9.9';
  assert.deepEqual(filter.clientVersion, { min: '1.0.0' });
});

test('a selector is described for audit targets: one session or player by name, else its fields', () => {
  assert.equal(describeSelector({ all: true }), 'sessions:all');
  assert.equal(describeSelector({ sessionId: 's-1' }), 'session:s-1');
  assert.equal(describeSelector({ playerId: 'p-1' }), 'player:p-1');
  assert.equal(
    describeSelector({ region: 'na', playerIds: ['a', 'b', 'c'], clientVersion: { min: '1.0.0' } }),
    'sessions:region=na,playerIds=[3],clientVersion={"min":"1.0.0"}',
  );
});
