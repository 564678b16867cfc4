/** What a drill run is given, and everything it started (so teardown stops exactly that). */
import type { FaultTarget, Scenario } from '../scenario/index.ts';
import type { NodeStore } from './config.ts';
import type { DnsFaults, DrillDns } from './dns.ts';
import type { FleetHandle } from './fleet.ts';
import type { DrillNode } from './nodes.ts';
import type { DrillOperator } from './operators.ts';
import type { DrillMark } from './result.ts';
import type { StoreUrls } from './store.ts';
import type { DrillUpstream } from './upstreams.ts';

export interface DrillOptions {
  /** False for `--unprotected`. @defaultValue true */
  protected?: boolean;
  /** Seeds the fleet's draws and the upstreams' faults. @defaultValue 1 */
  seed?: number;
  store?: StoreUrls;
  env?: Record<string, string | undefined>;
  /** Aborting stops the run and everything it started (Ctrl-C). */
  signal?: AbortSignal;
  /** Called about once a wall second with the scenario second reached. */
  onProgress?: (t: number, durationSeconds: number) => void;
  /**
   * Start the fleet warm: the players its curve wants at second 0 are online before the clock
   * starts (FleetPlan.warmUp), however long a busy machine takes to log them in. @defaultValue false
   */
  warmUp?: boolean;
  /** The adapter for `dns` faults. @defaultValue the drill's lab DNS (dns.ts), when the scenario has a dns fault */
  dns?: DnsFaults;
  /** Lets a caller (a test) watch the run: the nodes once they serve, and each timeline step once played. */
  observer?: DrillObserver;
}

/** Where the drill's nodes listen, an admin's bearer token to read them with, and the drill's clock. */
export interface DrillView {
  nodes: { nodeId: string; playerUrl: string; adminUrl: string }[];
  /** The first operator's (an admin's) token, for `Authorization: Bearer`. */
  adminToken: string;
  /** The scenario second now (fractional). */
  now(): number;
}

/**
 * Lets a caller watch the run. The drill waits for `before` and `step` to resolve, so an observer
 * sees the state a step left, or holds a step until what it needs has happened; a slow one delays
 * the steps after it (their marks keep their scenario second) while the fleet plays on.
 */
export interface DrillObserver {
  /** Once the nodes serve and the fleet has started (scenario second 0). */
  nodes?(view: DrillView): void;
  /** Before each timeline step plays, with its mark. */
  before?(mark: DrillMark): Promise<void> | void;
  /** After each timeline step, with its mark (and the step's note). */
  step?(mark: DrillMark): Promise<void> | void;
}

/** Everything a run started, so that teardown can stop exactly that. */
export interface DrillWorld {
  scenario: Scenario;
  guarded: boolean;
  root: string;
  ups: Map<FaultTarget, DrillUpstream>;
  store: NodeStore;
  nodes: DrillNode[];
  ops: DrillOperator[];
  fleet?: FleetHandle;
  /** The lab's DNS, when the scenario has a dns fault. */
  dns?: DrillDns;
}
