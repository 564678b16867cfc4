import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLifelineError } from '../../errors/index.ts';
import { loadScenario, parseScenario, validateScenario } from './index.ts';

/** A valid scenario to break one field at a time: dns-debacle uses faults, flags and outages. */
function base(): Record<string, any> {
  return structuredClone(loadScenario('dns-debacle')) as Record<string, any>;
}

function kicks(): Record<string, any> {
  return structuredClone(loadScenario('runaway-kick')) as Record<string, any>;
}

/** Each case breaks one rule; `path` is the JSON path the error must name first. */
const cases: { name: string; path: string; make: () => unknown; says?: RegExp }[] = [
  { name: 'not an object', path: '(root)', make: () => [] },
  {
    name: 'an unknown top-level field',
    path: 'colour',
    make: () => ({ ...base(), colour: 'red' }),
    says: /not a known field/,
  },
  {
    name: 'a missing field',
    path: 'objectives',
    make: () => {
      const s = base();
      delete s.objectives;
      return s;
    },
    says: /required/,
  },
  {
    name: 'a number as a string (no coercion)',
    path: 'durationSeconds',
    make: () => ({ ...base(), durationSeconds: '600' }),
  },
  { name: 'a bad seed', path: 'seed', make: () => ({ ...base(), seed: '1' }), says: /three-digit/ },
  { name: 'a bad name', path: 'name', make: () => ({ ...base(), name: 'DNS Debacle' }) },
  {
    name: 'no regions',
    path: 'topology.regions',
    make: () => {
      const s = base();
      s.topology.regions = {};
      return s;
    },
  },
  {
    name: 'a bad region name',
    path: 'topology.regions.North',
    make: () => {
      const s = base();
      s.topology.regions.North = { shards: ['n-1'] };
      return s;
    },
    says: /region name/,
  },
  {
    name: 'a shard in two regions',
    path: 'topology.regions.eu.shards',
    make: () => {
      const s = base();
      s.topology.regions.eu.shards = ['na-1'];
      return s;
    },
  },
  {
    name: 'an unknown client mode',
    path: 'players.client',
    make: () => {
      const s = base();
      s.players.client = 'fast';
      return s;
    },
    says: /sdk, naive/,
  },
  {
    name: 'a weight for a region not in the topology',
    path: 'players.regionWeights.mars',
    make: () => {
      const s = base();
      s.players.regionWeights = { mars: 1 };
      return s;
    },
  },
  {
    name: 'think max below min',
    path: 'players.thinkSeconds.max',
    make: () => {
      const s = base();
      s.players.thinkSeconds = { min: 10, max: 5 };
      return s;
    },
  },
  {
    name: 'an unknown arrival curve',
    path: 'players.arrival.curve',
    make: () => {
      const s = base();
      s.players.arrival = { curve: 'flat' };
      return s;
    },
    says: /diurnal, storm/,
  },
  {
    name: 'a storm after the end',
    path: 'players.arrival.at',
    make: () => {
      const s = base();
      s.players.arrival = { curve: 'storm', at: 900, overSeconds: 1 };
      return s;
    },
  },
  {
    name: 'several sqlite nodes',
    path: 'nodes.count',
    make: () => {
      const s = base();
      s.nodes.count = 2;
      return s;
    },
  },
  {
    name: 'a node that does not exist',
    path: 'nodes.events[0].node',
    make: () => {
      const s = base();
      s.nodes.events = [{ at: 1, node: 'node-2', action: 'kill' }];
      return s;
    },
  },
  {
    name: 'a restart of a node that is up',
    path: 'nodes.events[0].action',
    make: () => {
      const s = base();
      s.nodes.events = [{ at: 1, node: 'node-1', action: 'restart' }];
      return s;
    },
  },
  {
    name: 'an unknown fault kind',
    path: 'faults[0].kind',
    make: () => {
      const s = base();
      s.faults[0].kind = 'meteor';
      return s;
    },
    says: /down, error/,
  },
  {
    name: 'a field of another fault kind',
    path: 'faults[1].mode',
    make: () => {
      const s = base();
      s.faults[1].mode = 'unresolvable';
      return s;
    },
  },
  {
    name: 'an unknown fault target',
    path: 'faults[0].target',
    make: () => {
      const s = base();
      s.faults[0].target = 'cdn';
      return s;
    },
    says: /identity, oidc/,
  },
  {
    name: 'an error rate above 1',
    path: 'faults[1].rate',
    make: () => {
      const s = base();
      s.faults[1].rate = 2;
      return s;
    },
  },
  {
    name: 'a 4xx error status',
    path: 'faults[1].status',
    make: () => {
      const s = base();
      s.faults[1].status = 404;
      return s;
    },
  },
  {
    name: 'a fault after the end',
    path: 'faults[2].at',
    make: () => {
      const s = base();
      s.faults[2].at = s.durationSeconds;
      delete s.faults[2].until;
      return s;
    },
    says: /durationSeconds/,
  },
  {
    name: 'until before at',
    path: 'faults[2].until',
    make: () => {
      const s = base();
      s.faults[2].until = 100;
      return s;
    },
    says: /after at/,
  },
  {
    name: 'until past the end',
    path: 'faults[2].until',
    make: () => {
      const s = base();
      s.faults[2].until = s.durationSeconds + 1;
      return s;
    },
  },
  {
    name: 'a capacity fault with both limits',
    path: 'faults[3]',
    make: () => {
      const s = base();
      s.faults[3].inFlight = 10;
      return s;
    },
    says: /exactly one/,
  },
  {
    name: 'an unknown action',
    path: 'actions[0].do',
    make: () => {
      const s = base();
      s.actions[0].do = 'panic';
      return s;
    },
  },
  {
    name: 'an unknown flag',
    path: 'actions[1].key',
    make: () => {
      const s = base();
      s.actions[1].key = 'logins.open';
      return s;
    },
    says: /kicks\.enabled/,
  },
  {
    name: 'a flag value of the wrong type',
    path: 'actions[1].value',
    make: () => {
      const s = base();
      s.actions[1].value = 'no';
      return s;
    },
    says: /boolean/,
  },
  {
    name: 'an out-of-range Retry-After flag',
    path: 'actions[1].value',
    make: () => {
      const s = base();
      s.actions[1] = { do: 'flag', at: 215, key: 'logins.retryAfterSeconds', value: 0 };
      return s;
    },
  },
  {
    name: 'ending an outage never declared',
    path: 'actions[0]',
    make: () => {
      const s = base();
      s.actions = [{ do: 'end-outage', at: 10 }];
      return s;
    },
    says: /no outage/,
  },
  {
    name: 'pausing a restore when none was started',
    path: 'actions[0]',
    make: () => {
      const s = base();
      s.actions = [{ do: 'pause-restore', at: 10, reason: 'backend slow' }];
      return s;
    },
    says: /needs a restore/,
  },
  {
    name: 'resuming a restore never paused',
    path: 'actions[4]',
    make: () => {
      const s = kicks();
      s.actions = s.actions.slice(0, 4);
      s.actions.push({ do: 'resume-restore', at: s.actions[3].at + 5, reason: 'healthy' });
      return s;
    },
    says: /no paused restore/,
  },
  {
    name: 'moving the incident to a status that is not one',
    path: 'actions[0].status',
    make: () => {
      const s = base();
      s.actions = [{ do: 'incident', at: 10, status: 'fixed' }];
      return s;
    },
    says: /identified/,
  },
  {
    name: 'declaring an outage twice',
    path: 'actions[1]',
    make: () => {
      const s = base();
      s.actions[1] = { do: 'declare-outage', at: s.actions[0].at + 40, reason: 'again' };
      return s;
    },
  },
  {
    name: 'a restore naming no kick',
    path: 'actions[3].from.kick',
    make: () => {
      const s = kicks();
      s.actions[3].from.kick = 'other';
      return s;
    },
    says: /script/,
  },
  {
    name: 'a restore before its kick',
    path: 'actions[3].from.kick',
    make: () => {
      const s = kicks();
      s.actions[3].at = 10;
      return s;
    },
  },
  {
    name: 'a restore window that ends before it starts',
    path: 'actions[3].from.to',
    make: () => {
      const s = kicks();
      s.actions[3].from = { source: 'window', from: 100, to: 50 };
      return s;
    },
  },
  {
    name: 'a bad pacing mode',
    path: 'actions[3].pacing.mode',
    make: () => {
      const s = kicks();
      s.actions[3].pacing.mode = 'fast';
      return s;
    },
  },
  {
    name: 'two kicks with one id',
    path: 'actions[1].id',
    make: () => {
      const s = kicks();
      s.actions[1] = { do: 'kick', at: 100, id: 'script', selector: { all: true }, reason: 'again' };
      return s;
    },
  },
  {
    name: 'an empty selector',
    path: 'actions[0].selector',
    make: () => {
      const s = kicks();
      s.actions[0].selector = {};
      return s;
    },
    says: /at least one/,
  },
  {
    name: 'all beside a region',
    path: 'actions[0].selector.all',
    make: () => {
      const s = kicks();
      s.actions[0].selector = { all: true, region: 'na' };
      return s;
    },
  },
  {
    name: 'a shard of another region',
    path: 'actions[0].selector.shard',
    make: () => {
      const s = kicks();
      s.actions[0].selector = { region: 'na', shard: 'eu-1' };
      return s;
    },
  },
  {
    name: 'a runaway kick past the end',
    path: 'actions[0].durationSeconds',
    make: () => {
      const s = kicks();
      s.actions[0].durationSeconds = 1000;
      return s;
    },
  },
  {
    name: 'an unknown objective',
    path: 'objectives.maxFun',
    make: () => {
      const s = base();
      s.objectives.maxFun = 1;
      return s;
    },
  },
  {
    name: 'a load ratio for an upstream without capacity',
    path: 'objectives.maxUpstreamLoadRatio.backend',
    make: () => {
      const s = base();
      s.objectives.maxUpstreamLoadRatio.backend = 1;
      return s;
    },
    says: /capacityPerSecond/,
  },
  {
    name: 'a load ratio for an unknown upstream',
    path: 'objectives.maxUpstreamLoadRatio.cdn',
    make: () => {
      const s = base();
      s.objectives.maxUpstreamLoadRatio.cdn = 1;
      return s;
    },
  },
  {
    name: 'kicked-before-trip with no kick',
    path: 'objectives.maxKickedBeforeTrip',
    make: () => {
      const s = base();
      s.objectives.maxKickedBeforeTrip = 5;
      return s;
    },
  },
  {
    name: 'an RTO with nothing to recover from',
    path: 'objectives.rtoSeconds',
    make: () => {
      const s = base();
      s.faults = [];
      s.objectives = { rtoSeconds: 5 };
      return s;
    },
  },
];

for (const c of cases) {
  test(`SCENARIO_INVALID at ${c.path}: ${c.name}`, () => {
    assert.throws(
      () => validateScenario(c.make(), 'case.json'),
      (e: unknown) => {
        assert.ok(isLifelineError(e, 'SCENARIO_INVALID'), `not SCENARIO_INVALID: ${String(e)}`);
        assert.equal(e.status, 400);
        assert.equal(e.details?.path, c.path, e.message);
        assert.match(e.message, /^case\.json: /);
        if (c.says !== undefined) assert.match(e.message, c.says);
        return true;
      },
    );
  });
}

test('every unknown field is reported, not only the first', () => {
  const s = base();
  s.extra = 1;
  s.players.speed = 2;
  assert.throws(
    () => validateScenario(s),
    (e: unknown) => {
      assert.ok(isLifelineError(e, 'SCENARIO_INVALID'));
      assert.deepEqual(e.details?.problems, [
        'extra: is not a known field',
        'players.speed: is not a known field',
      ]);
      assert.match(e.message, /and 1 more problem/);
      return true;
    },
  );
});

test('text that is not JSON is SCENARIO_INVALID at the root', () => {
  assert.throws(
    () => parseScenario('{"name": ', 'broken.json'),
    (e: unknown) => isLifelineError(e, 'SCENARIO_INVALID') && e.details?.path === '(root)',
  );
});

test('a validated scenario is a copy: editing the input afterwards does not change it', () => {
  const input = base();
  const s = validateScenario(input);
  input.players.count = 1;
  assert.equal(s.players.count, 5000);
});
