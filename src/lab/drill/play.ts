/**
 * Playing a drill: the fleet starts (t0), the timeline runs on the scaled clock (faults over the
 * control API, node kills and restarts, operator actions), upstream stats are sampled before their
 * history rolls over, and at the end the fleet hands over its summary.
 */
import type { FleetSummary } from '../fleet/types.ts';
import type { FaultTarget } from '../scenario/index.ts';
import type { LabSecond } from '../stats.ts';
import { type ActionContext, type KickTally, newTally, playAction } from './actions.ts';
import { adminApi } from './admin.ts';
import { type DrillClock, drillClock, untilScenarioSecond } from './clock.ts';
import { unavailableDns } from './dns.ts';
import { FaultSwitch } from './faults.ts';
import { fleetPlan, launchFleet } from './fleet.ts';
import { ownersPlayedBefore } from './history.ts';
import { startNode, stopNode } from './nodes.ts';
import type { DrillMark } from './result.ts';
import type { DrillOptions, DrillWorld } from './world.ts';
import { mergeSeconds } from './series.ts';
import { SignalWatch } from './signals.ts';
import { buildSteps, errorText, playTimeline } from './timeline.ts';
import type { DrillUpstream } from './upstreams.ts';

export interface Played {
  clock: DrillClock;
  faults: FaultSwitch;
  marks: DrillMark[];
  tally: KickTally;
  summary: FleetSummary;
  wall: { from: number; to: number };
  upstreamSeconds: Map<FaultTarget, Map<number, LabSecond>>;
  /** Owners logged in once before t0 (null: no entitlements upstream, no history needed). */
  history: number | null;
  /** Signals the nodes listed during the run (time to detect). */
  signals: SignalWatch;
  /** Each kick action's commands and first request (RTO's onset). */
  kicks: ActionContext['kicks'];
  /** The restores the operators started, which RPO waits on. */
  restores: readonly string[];
}

async function sampleStats(ups: ReadonlyMap<FaultTarget, DrillUpstream>, into: Played['upstreamSeconds']) {
  await Promise.all(
    [...ups.values()].map(async (up) => {
      const res = await fetch(`${up.controlUrl}/_lab/stats`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { seconds: LabSecond[] };
      const seconds = into.get(up.target) ?? new Map<number, LabSecond>();
      into.set(up.target, seconds);
      mergeSeconds(seconds, body.seconds);
    }),
  );
}

function actionContext(world: DrillWorld, clock: DrillClock, signal: AbortSignal): ActionContext {
  const backend = world.ups.get('backend');
  return {
    admin: adminApi(world.nodes),
    ops: world.ops,
    clock,
    signal,
    healthUrl: backend?.serviceUrl,
    tally: newTally(),
    kicks: new Map(),
    restores: [],
    background: [],
  };
}

/**
 * A kill is done when the process is gone. A restart goes on in the background until the node
 * serves: on a busy machine a node takes many wall seconds to start, and waiting for it here would
 * hold back every later step (a kill due 60 s after the restart came a minute late at ×5). A
 * restart that fails is marked when the timeline is over.
 */
async function nodeStep(
  world: DrillWorld,
  ctx: ActionContext,
  failed: DrillMark[],
  id: string,
  action: 'kill' | 'restart',
  at: number,
): Promise<undefined> {
  const node = world.nodes.find((n) => n.nodeId === id);
  if (!node) throw new Error(`no ${id} in this drill`);
  if (action === 'kill') await stopNode(node, 'SIGKILL');
  else
    ctx.background.push(
      startNode(node).catch((err: unknown) => {
        failed.push({ t: at, kind: 'node', label: `restart ${id}: failed: ${errorText(err)}` });
      }),
    );
  return undefined;
}

function nextWallSecond(): Promise<number> {
  const at = (Math.floor(Date.now() / 1000) + 1) * 1000;
  return new Promise((resolve) => setTimeout(() => resolve(at), at - Date.now() + 1));
}

function planFleet(world: DrillWorld, o: DrillOptions) {
  const oidc = world.ups.get('oidc');
  const joinUrl = world.ups.get('backend')?.joinUrl;
  return fleetPlan(
    world.scenario,
    world.nodes.map((n) => n.playerUrl),
    {
      seed: o.seed ?? 1,
      protected: world.guarded,
      ...(oidc ? { oidcControlUrl: oidc.controlUrl } : {}),
      ...(joinUrl ? { gameJoinUrl: joinUrl } : {}),
      ...(o.warmUp ? { warmUp: true } : {}),
    },
  );
}

/** Tells the observer, if any, where the nodes listen, with an admin token and the drill's clock. */
function showNodes(world: DrillWorld, o: DrillOptions, clock: DrillClock): void {
  const admin = world.ops[0];
  if (!admin) return;
  o.observer?.nodes?.({
    nodes: world.nodes.map((n) => ({ nodeId: n.nodeId, playerUrl: n.playerUrl, adminUrl: n.adminUrl })),
    adminToken: admin.token,
    now: () => clock.now(),
  });
}

export async function play(world: DrillWorld, o: DrillOptions): Promise<Played> {
  const s = world.scenario;
  const faults = new FaultSwitch(world.ups, o.dns ?? world.dns?.faults ?? unavailableDns);
  const plan = planFleet(world, o);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const firstNode = world.nodes[0];
  const history =
    world.ups.has('entitlements') && firstNode
      ? await ownersPlayedBefore(plan, firstNode.playerUrl, abort.signal)
      : null;
  // The upstreams count by whole wall seconds: the history ends in a second of its own, so that
  // the run's first second (counted whole) holds none of it.
  const from = history === null ? null : await nextWallSecond();
  const fleet = await launchFleet(plan);
  world.fleet = fleet;
  const clock = drillClock(s.timeScale, fleet.t0);
  const ctx = actionContext(world, clock, abort.signal);
  showNodes(world, o, clock);
  const signals = new SignalWatch(world.nodes, world.ops[0]);
  signals.start();
  const upstreamSeconds: Played['upstreamSeconds'] = new Map();
  const ticker = setInterval(() => {
    o.onProgress?.(clock.now(), s.durationSeconds);
    // The upstreams keep 600 s of history; sampling twice a minute keeps all of it.
    if (Math.floor((Date.now() - clock.t0) / 1000) % 30 === 0)
      void sampleStats(world.ups, upstreamSeconds).catch(() => {});
  }, 1000);
  let marks: DrillMark[];
  const failedRestarts: DrillMark[] = [];
  try {
    marks = await playTimeline(
      buildSteps(s),
      {
        fault: (f, on, at) => faults.set(f, on, at),
        node: (id, action) => nodeStep(world, ctx, failedRestarts, id, action, clock.now()),
        action: (a) => playAction(ctx, a),
      },
      clock,
      abort.signal,
      o.observer,
    );
    await untilScenarioSecond(clock, s.durationSeconds, abort.signal);
    await Promise.allSettled(ctx.background);
    marks.push(...failedRestarts);
  } finally {
    clearInterval(ticker);
    await signals.stop();
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (abort.signal.aborted) throw new Error('interrupted');
  const to = Date.now();
  const summary = await fleet.fleet.stop();
  await sampleStats(world.ups, upstreamSeconds);
  return {
    clock,
    faults,
    marks,
    tally: ctx.tally,
    summary,
    wall: { from: from ?? Math.floor(clock.t0 / 1000) * 1000, to },
    upstreamSeconds,
    history,
    signals,
    kicks: ctx.kicks,
    restores: ctx.restores,
  };
}
