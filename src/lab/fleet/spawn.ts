/**
 * The parent's side of the fleet process: forks `process.ts`, starts the plan, and hands out
 * each second (an EventEmitter, or `for await (const s of fleet.seconds())`) and the summary.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter, on } from 'node:events';
import { join } from 'node:path';
import {
  type FleetPlan,
  type FleetSecond,
  type FleetSummary,
  type FromFleet,
  type ToFleet,
  warmUpMaxSeconds,
} from './types.ts';

export interface FleetProcessEvents {
  second: [FleetSecond];
  summary: [FleetSummary];
  error: [Error];
  exit: [number | null];
}

/** A running fleet process. Emits `second`, `summary`, `error` (a coded plan error, a crash) and `exit`. */
export class FleetProcess extends EventEmitter<FleetProcessEvents> {
  readonly child: ChildProcess;
  /** Wall ms at the fleet's scenario second 0, once it has started (null before, or if it refused the plan). */
  startedAtMs: number | null = null;
  readonly #summary: Promise<FleetSummary>;

  constructor(child: ChildProcess) {
    super();
    this.child = child;
    this.#summary = new Promise((resolve, reject) => {
      child.on('message', (m: FromFleet) => {
        if (m.type === 'second') this.emit('second', m.second);
        else if (m.type === 'started') this.startedAtMs = m.startedAtMs;
        else if (m.type === 'summary') {
          this.emit('summary', m.summary);
          resolve(m.summary);
        } else if (m.type === 'error') {
          const err = new Error(m.message);
          if (this.listenerCount('error') > 0) this.emit('error', err);
          reject(err);
        }
      });
      child.on('exit', (code) => {
        this.emit('exit', code);
        reject(new Error(`the fleet process exited (${code}) without a summary`));
      });
    });
    // A rejection nobody awaited yet must not end the parent.
    this.#summary.catch(() => {});
  }

  /** Each second as it ends, until the summary (or the process's end). */
  async *seconds(): AsyncGenerator<FleetSecond> {
    for await (const [s] of on(this, 'second', { close: ['summary', 'exit'] })) yield s as FleetSecond;
  }

  /** Resolves with the summary once the fleet has stopped (after `stop()`). */
  summary(): Promise<FleetSummary> {
    return this.#summary;
  }

  /** Asks the fleet to stop and resolves with its summary; the process then exits by itself. */
  stop(): Promise<FleetSummary> {
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToFleet);
    return this.#summary;
  }

  /** Ends the process at once (no summary). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Forks the fleet process and starts `plan`. Resolves once the fleet has started (`startedAtMs`
 * is then its scenario second 0 on the wall clock); a plan it refuses rejects, with its code.
 */
export async function spawnFleet(
  plan: FleetPlan,
  options: { maxSeconds?: number } = {},
): Promise<FleetProcess> {
  const warm = plan.warmUp ? warmUpMaxSeconds : 0;
  const maxSeconds = options.maxSeconds ?? Math.ceil(plan.durationSeconds / plan.timeScale) + 120 + warm;
  const child = fork(join(import.meta.dirname, 'process.ts'), ['--max-seconds', String(maxSeconds)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fleet = new FleetProcess(child);
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: FromFleet) => (m.type === 'ready' ? resolve() : reject(new Error(m.type))));
    child.once('exit', (code) => reject(new Error(`the fleet process exited (${code}) before it was ready`)));
  });
  const started = new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromFleet) => {
      if (m.type === 'started') resolve();
      else if (m.type === 'error') reject(new Error(m.message));
      else return;
      child.off('message', onMessage);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`the fleet process exited (${code}) before it started`)));
  });
  child.send({ type: 'start', plan } satisfies ToFleet);
  try {
    await started;
  } catch (err) {
    fleet.kill();
    throw err;
  }
  return fleet;
}
