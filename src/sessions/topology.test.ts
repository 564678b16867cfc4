import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlacement, shardRegions, type Topology } from './topology.ts';

const topology: Topology = {
  regions: {
    na: { shards: ['na-1', 'na-2'], zones: ['us-east'] },
    eu: { shards: ['eu-1'], zones: [] },
  },
};

test('a placement inside the topology passes, with or without a zone', () => {
  checkPlacement(topology, { region: 'na', shard: 'na-2', zone: 'us-east' });
  checkPlacement(topology, { region: 'eu', shard: 'eu-1' });
  checkPlacement(topology, { region: 'eu', shard: 'eu-1', zone: null });
});

test('a placement outside it is refused with the code of the part that is wrong, and the known values', () => {
  assert.throws(() => checkPlacement(topology, { region: 'ap', shard: 'ap-1' }), {
    code: 'UNKNOWN_REGION',
    details: { known: ['na', 'eu'] },
  });
  assert.throws(() => checkPlacement(topology, { region: 'na', shard: 'eu-1' }), {
    code: 'UNKNOWN_SHARD',
    details: { known: ['na-1', 'na-2'] },
  });
  assert.throws(() => checkPlacement(topology, { region: 'eu', shard: 'eu-1', zone: 'us-east' }), {
    code: 'UNKNOWN_ZONE',
  });
});

test('a region named like an Object.prototype member is not a region', () => {
  for (const region of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
    assert.throws(() => checkPlacement(topology, { region, shard: 'x' }), { code: 'UNKNOWN_REGION' });
});

test('shardRegions maps every shard to its region', () => {
  assert.deepEqual(
    [...shardRegions(topology)],
    [
      ['na-1', 'na'],
      ['na-2', 'na'],
      ['eu-1', 'eu'],
    ],
  );
});
