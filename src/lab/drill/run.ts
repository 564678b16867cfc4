/**
 * `lifeline drill run`: starts the world a scenario needs (lab upstreams, Lifeline nodes as
 * processes, operators, the fleet), plays the timeline on the scaled clock, measures, and stops
 * everything it started (by PID) whatever happens. Returns a DrillResult (result.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifelineError } from '../../errors/index.ts';
import type { Scenario } from '../scenario/index.ts';
import { removeTree } from './cleanup.ts';
import { startDrillDns } from './dns.ts';
import { killFleet } from './fleet.ts';
import { measure } from './measure.ts';
import { planNodes, startNode, stopNode } from './nodes.ts';
import { bootstrapOperators } from './operators.ts';
import { play } from './play.ts';
import type { DrillResult } from './result.ts';
import { drillStore, dropStore } from './store.ts';
import { errorText } from './timeline.ts';
import { closeUpstreams, startUpstreams } from './upstreams.ts';
import type { DrillOptions, DrillWorld } from './world.ts';

async function setUp(s: Scenario, o: DrillOptions, world: DrillWorld): Promise<void> {
  const seed = o.seed ?? 1;
  world.ups = await startUpstreams(s, seed);
  world.dns = await startDrillDns(s, seed);
  const input = {
    scenario: s,
    upstreams: world.ups,
    store: world.store,
    kek: randomBytes(32).toString('base64'),
    protected: world.guarded,
    ...(world.dns ? { dns: world.dns } : {}),
  };
  world.nodes = await planNodes(input, world.root, s.nodes.count);
  const first = world.nodes[0];
  if (first === undefined) throw new Error('a drill needs a node');
  world.ops = await bootstrapOperators(first, 4);
  for (const node of world.nodes) await startNode(node);
}

async function tearDown(world: DrillWorld): Promise<string[]> {
  killFleet(world.fleet);
  await Promise.allSettled(world.nodes.map((n) => stopNode(n, 'SIGTERM')));
  await closeUpstreams(world.ups);
  await world.dns?.lab.close();
  const problems = await dropStore(world.store);
  removeTree(world.root);
  return problems;
}

/** Runs a scenario from start to measurement; always stops what it started. */
export async function runDrill(s: Scenario, o: DrillOptions = {}): Promise<DrillResult> {
  const startedAt = new Date();
  const world: DrillWorld = {
    scenario: s,
    guarded: o.protected ?? true,
    root: mkdtempSync(join(tmpdir(), `lifeline-drill-${s.name}-`)),
    ups: new Map(),
    store: drillStore(s.nodes.kind, o.store ?? {}, o.env ?? process.env),
    nodes: [],
    ops: [],
  };
  let step = 'starting the upstreams, nodes and fleet';
  try {
    await setUp(s, o, world);
    step = 'playing the timeline';
    const played = await play(world, o);
    step = 'measuring';
    const result = await measure(world, played);
    return {
      ...result,
      startedAt: startedAt.toISOString(),
      wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machine(),
    };
  } catch (cause) {
    throw new LifelineError('DRILL_FAILED', `Drill ${s.name} failed while ${step}: ${errorText(cause)}`, {
      cause,
      details: { step },
    });
  } finally {
    await tearDown(world);
  }
}

function machine(): DrillResult['machine'] {
  const list = cpus();
  return { cpus: list.length, model: list[0]?.model ?? 'unknown', node: process.version };
}
