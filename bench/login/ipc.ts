/**
 * Parent/child plumbing for the login bench: every process under test is a child on its own
 * core, driven over the IPC channel, and none of them can outlive the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A message from a child: an answer to a request (`id`) or an event it announces (`type`). */
export interface ChildMessage {
  id?: number;
  type: string;
  [key: string]: unknown;
}

const tasksetPath = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** Whether children can be pinned to a core (taskset is present). */
export const canPin = tasksetPath !== undefined;

export interface SpawnOptions {
  /** Script to run (a `.ts` file, by type stripping). */
  script: string;
  args?: string[];
  /** Extra node flags, e.g. `--expose-gc`, `--cpu-prof`. */
  nodeFlags?: string[];
  /** Core (or taskset list of cores, `0,1`) to pin the child to; ignored without taskset. */
  cpu?: number | string;
  label: string;
}

const live = new Set<Child>();

/** One child process, spoken to by request/reply over IPC. */
export class Child {
  readonly label: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(m: ChildMessage) => void>();
  #exitCode: number | null | undefined;

  constructor(options: SpawnOptions) {
    this.label = options.label;
    const nodeArgs = [...(options.nodeFlags ?? []), options.script, ...(options.args ?? [])];
    const pin = canPin && options.cpu !== undefined;
    const command = pin ? (tasksetPath as string) : process.execPath;
    const args = pin ? ['-c', String(options.cpu), process.execPath, ...nodeArgs] : nodeArgs;
    this.process = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(this);
    this.process.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.id !== undefined) {
        const w = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.type === 'error') w?.reject(new Error(`${this.label}: ${String(m.message)}`));
        else w?.resolve(m);
        return;
      }
      for (const l of this.#listeners) l(m);
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.#exitCode = code;
        live.delete(this);
        const why = new Error(`${this.label} exited (code ${code}, signal ${signal})`);
        for (const w of this.#waiting.values()) w.reject(why);
        this.#waiting.clear();
        for (const l of this.#listeners) l({ type: 'exit', code, signal });
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Sends a command and resolves with the child's answer to it. */
  request(cmd: string, payload: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<ChildMessage> {
    if (this.#exitCode !== undefined) return Promise.reject(new Error(`${this.label} has exited`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.label}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.process.send({ id, cmd, ...payload });
    });
  }

  /** Resolves with the next unsolicited message of this type (rejects if the child exits first). */
  next(type: string, timeoutMs = 60_000): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`${this.label}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (m: ChildMessage) => {
        if (m.type !== type && m.type !== 'exit' && m.type !== 'fatal') return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        if (m.type === type) resolve(m);
        else
          reject(
            new Error(`${this.label}: ${m.type === 'fatal' ? String(m.message) : `exited (code ${m.code})`}`),
          );
      };
      this.#listeners.add(listener);
    });
  }

  /** Calls `listener` for every unsolicited message; returns the way to stop. */
  on(listener: (m: ChildMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks the child to stop, then kills it if it has not exited within the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exitCode !== undefined) return;
    try {
      this.process.send({ id: 0, cmd: 'stop' });
    } catch {
      // The channel is already gone; the kill below settles it.
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills every child still running: the bench's last word on exit or error. */
export function killAll(): void {
  for (const c of live) c.process.kill('SIGKILL');
  live.clear();
}

/**
 * The child side: answers requests with `handle`, and exits when the parent goes away or after
 * `maxLifetimeMs`, so no child can outlive a crashed bench.
 */
export function serveParent(
  handle: (cmd: string, message: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>,
  maxLifetimeMs: number,
): void {
  const send = (m: ChildMessage) => {
    if (process.connected) process.send?.(m);
  };
  process.on('message', (raw) => {
    const m = raw as { id: number; cmd: string } & Record<string, unknown>;
    handle(m.cmd, m).then(
      (answer) => send({ id: m.id, type: 'ok', ...answer }),
      (err: unknown) =>
        send({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => {
    console.error(`bench child ${process.argv[2] ?? ''} ran past ${maxLifetimeMs} ms; exiting`);
    process.exit(3);
  }, maxLifetimeMs).unref();
}

/** Announces an event to the parent. */
export function announce(type: string, payload: Record<string, unknown> = {}): void {
  if (process.connected) process.send?.({ type, ...payload });
}
