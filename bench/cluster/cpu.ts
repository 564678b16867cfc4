/**
 * Where the machine's CPU went between two samples (Linux /proc, via bench/login/machine.ts):
 * each of the bench's processes by pid, PostgreSQL and Redis by process name, and everything
 * else. On 2 cores the nodes, the load generator, PostgreSQL and Redis all compete; this is
 * what says which of them had the cores.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { coreTimes, type MachineSample } from '../login/machine.ts';

/** /proc reports CPU time in USER_HZ ticks, 100 a second on Linux. */
const TICKS_PER_SECOND = 100;

export interface CpuGroup {
  name: string;
  /** Processes by pid (the bench's own children). */
  pids?: readonly number[];
  /** Processes by name (`postgres` backends, `redis-server`), not already claimed by pid. */
  comm?: string;
}

export interface CpuUse {
  name: string;
  /** CPU time over the window, all threads, in ms. */
  ms: number;
  /** The same in % of one core (the machine has 100% per core). */
  percent: number;
}

export interface CpuSplit {
  windowMs: number;
  groups: CpuUse[];
  /** Every other process (other sessions' work, kernel threads). */
  others: CpuUse;
  /** The biggest of those, by command line. */
  topOthers: CpuUse[];
  /** Each core's busy share of the window, and the share the hypervisor took (steal). */
  cores: { cpu: string; busyPercent: number; stealPercent: number }[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function cpuBetween(a: MachineSample, b: MachineSample, groups: readonly CpuGroup[]): CpuSplit {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const used = (pid: number): number => {
    const end = b.processes.get(pid);
    if (!end) return 0;
    return Math.max(0, end.ticks - (a.processes.get(pid)?.ticks ?? 0));
  };
  const claimed = new Set<number>();
  const ticks = groups.map((g) => {
    let sum = 0;
    for (const pid of g.pids ?? []) {
      claimed.add(pid);
      sum += used(pid);
    }
    return sum;
  });
  groups.forEach((g, i) => {
    if (g.comm === undefined) return;
    for (const [pid, p] of b.processes) {
      if (p.name !== g.comm || claimed.has(pid)) continue;
      claimed.add(pid);
      ticks[i] = (ticks[i] as number) + used(pid);
    }
  });
  let otherTicks = 0;
  const others: { pid: number; name: string; ticks: number }[] = [];
  for (const [pid, p] of b.processes) {
    if (claimed.has(pid)) continue;
    const t = used(pid);
    otherTicks += t;
    if (t > 0) others.push({ pid, name: p.name, ticks: t });
  }
  others.sort((x, y) => y.ticks - x.ticks);
  const use = (name: string, t: number): CpuUse => ({
    name,
    ms: (t / TICKS_PER_SECOND) * 1000,
    percent: round1((t / TICKS_PER_SECOND / seconds) * 100),
  });
  const cores = b.cores.map((end, i) => {
    const start = a.cores[i] ?? end;
    const total = Math.max(1, end.total - start.total);
    return {
      cpu: end.cpu,
      busyPercent: round1(((end.busy - start.busy) / total) * 100),
      stealPercent: round1(((end.steal - start.steal) / total) * 100),
    };
  });
  return {
    windowMs: Math.round(b.at - a.at),
    groups: groups.map((g, i) => use(g.name, ticks[i] as number)),
    others: use('other processes', otherTicks),
    topOthers: others.slice(0, 3).map((o) => use(commandOf(o.pid, o.name), o.ticks)),
    cores,
  };
}

function commandOf(pid: number, fallback: string): string {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    // The process has gone since the sample.
  }
  if (!cmd) return fallback;
  return cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd;
}

/** The pids of the processes with this name now (PostgreSQL's backends, Redis). */
export function pidsNamed(name: string): number[] {
  const out: number[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const stat = statOf(Number(pid));
    if (stat?.name === name) out.push(Number(pid));
  }
  return out;
}

function statOf(pid: number): { name: string; ticks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * Samples the cores and a few known processes every `everyMs` (a handful of /proc reads, cheap
 * enough for 100 ms), so a window can be split into phases afterwards. Its samples know only those
 * processes: `others` between two of them is always 0.
 */
export class CpuRecorder {
  readonly samples: MachineSample[] = [];
  readonly #pids: readonly number[];
  readonly #timer: NodeJS.Timeout;

  constructor(pids: readonly number[], everyMs = 100) {
    this.#pids = pids;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    const processes = new Map<number, { name: string; ticks: number }>();
    for (const pid of this.#pids) {
      const s = statOf(pid);
      if (s) processes.set(pid, s);
    }
    this.samples.push({ at: performance.now(), cores: coreTimes(), processes });
  }

  stop(): MachineSample[] {
    clearInterval(this.#timer);
    this.#sample();
    return this.samples;
  }
}

/**
 * The split between the last sample at or before `fromEpochMs` and the first at or after
 * `toEpochMs` (epoch ms, as another process measured them), or null without such samples.
 */
export function cpuDuring(
  samples: readonly MachineSample[],
  fromEpochMs: number,
  toEpochMs: number,
  groups: readonly CpuGroup[],
): CpuSplit | null {
  const epoch = (s: MachineSample) => performance.timeOrigin + s.at;
  const a = samples.filter((s) => epoch(s) <= fromEpochMs).at(-1);
  const b = samples.find((s) => epoch(s) >= toEpochMs);
  return a && b && b.at > a.at ? cpuBetween(a, b, groups) : null;
}
