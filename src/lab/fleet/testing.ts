/**
 * For the fleet's tests: a plan with small defaults, and a recorder of its seconds that waits on
 * them (an event per second, never a sleep).
 */
import { EventEmitter, once } from 'node:events';
import type { FleetPlan, FleetSecond } from './types.ts';

export function smallPlan(nodes: string[], over: Partial<FleetPlan> = {}): FleetPlan {
  return {
    seed: 7,
    players: 20,
    nodes,
    regions: [
      { region: 'na', shards: ['na-1', 'na-2'], weight: 1 },
      { region: 'eu', shards: ['eu-1'], weight: 1 },
    ],
    arrival: { curve: 'storm', at: 0, overSeconds: 1 },
    thinkSeconds: { min: 1, max: 2 },
    client: 'sdk',
    ownerShare: 1,
    credential: { kind: 'playerId' },
    timeScale: 1,
    durationSeconds: 60,
    ...over,
  };
}

/** Keeps every second and totals; `until(check)` resolves at the first second after which check holds. */
export class Seconds {
  readonly all: FleetSecond[] = [];
  readonly #events = new EventEmitter();

  readonly add = (s: FleetSecond): void => {
    this.all.push(s);
    this.#events.emit('second', s);
  };

  /** The sum of one count family over every second so far, by key. */
  total(family: 'logins' | 'refreshes' | 'rejoins' | 'closes' | 'gameJoins', key: string): number {
    return this.all.reduce((n, s) => n + (s[family]?.[key] ?? 0), 0);
  }

  last(): FleetSecond | undefined {
    return this.all.at(-1);
  }

  async until(check: (s: FleetSecond, all: Seconds) => boolean, maxSeconds = 60): Promise<FleetSecond> {
    const seen = this.last();
    if (seen && check(seen, this)) return seen;
    for (let i = 0; i < maxSeconds; i++) {
      const [s] = (await once(this.#events, 'second')) as [FleetSecond];
      if (check(s, this)) return s;
    }
    throw new Error(`not met within ${maxSeconds} fleet seconds; last ${JSON.stringify(this.last())}`);
  }
}
