/**
 * What else the machine was doing during a measured window (Linux /proc; empty elsewhere). On a
 * shared 2-core machine another process's test run can take a core away from the server under
 * test; the report says so instead of passing a disturbed figure off as the app's.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** /proc reports CPU time in USER_HZ ticks, 100 a second on Linux. */
const TICKS_PER_SECOND = 100;

export interface CoreTimes {
  cpu: string;
  busy: number;
  steal: number;
  total: number;
}

export interface MachineSample {
  at: number;
  cores: CoreTimes[];
  /** pid -> CPU ticks (all threads) and name. */
  processes: Map<number, { name: string; ticks: number }>;
}

export interface MachineLoad {
  /** Each core's busy and stolen (taken by the hypervisor) share of the window. */
  cores: { cpu: string; busyPercent: number; stealPercent: number }[];
  /** CPU used by processes other than the bench's own (including kernel threads), in % of one core. */
  othersPercent: number;
  /** The biggest of those, e.g. another session's test run. */
  topOthers: { pid: number; name: string; percent: number }[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Each core's busy and total ticks so far. */
export function coreTimes(): CoreTimes[] {
  return (read('/proc/stat') ?? '')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const [cpu, ...f] = l.trim().split(/\s+/);
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
        f.map(Number);
      const busy = user + nice + system + irq + softirq;
      return { cpu: cpu as string, busy, steal, total: busy + idle + iowait + steal };
    });
}

/**
 * The share of the machine's CPU time the hypervisor took between two readings of coreTimes(),
 * all cores together; null off Linux. A shared host's noise shows here, not in the figures.
 */
export function stealPercent(a: CoreTimes[], b: CoreTimes[]): number | null {
  if (a.length === 0 || b.length === 0) return null;
  let steal = 0;
  let total = 0;
  b.forEach((end, i) => {
    const start = a[i] as CoreTimes;
    steal += end.steal - start.steal;
    total += end.total - start.total;
  });
  return Math.round((steal / Math.max(1, total)) * 1000) / 10;
}

function processTimes(): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted after the name.
    out.set(Number(pid), {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  return out;
}

export function sampleMachine(): MachineSample {
  return { at: performance.now(), cores: coreTimes(), processes: processTimes() };
}

function commandOf(pid: number, fallback: string): string {
  const cmd = read(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean).join(' ');
  if (!cmd) return fallback;
  return cmd.length > 70 ? `${cmd.slice(0, 67)}...` : cmd;
}

/** The machine's load between two samples, leaving out the bench's own processes. */
export function machineLoad(
  a: MachineSample,
  b: MachineSample,
  ownPids: readonly number[],
): MachineLoad | null {
  if (a.cores.length === 0 || b.cores.length === 0) return null;
  const cores = b.cores.map((end, i) => {
    const start = a.cores[i] as CoreTimes;
    const total = Math.max(1, end.total - start.total);
    return {
      cpu: end.cpu,
      busyPercent: Math.round(((end.busy - start.busy) / total) * 1000) / 10,
      stealPercent: Math.round(((end.steal - start.steal) / total) * 1000) / 10,
    };
  });
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const own = new Set(ownPids);
  const others: { pid: number; name: string; percent: number }[] = [];
  for (const [pid, end] of b.processes) {
    if (own.has(pid)) continue;
    const used = end.ticks - (a.processes.get(pid)?.ticks ?? 0);
    if (used <= 0) continue;
    others.push({
      pid,
      name: end.name,
      percent: Math.round((used / TICKS_PER_SECOND / seconds) * 1000) / 10,
    });
  }
  others.sort((x, y) => y.percent - x.percent);
  return {
    cores,
    othersPercent: Math.round(others.reduce((sum, o) => sum + o.percent, 0) * 10) / 10,
    topOthers: others.slice(0, 3).map((o) => ({ ...o, name: commandOf(o.pid, o.name) })),
  };
}

/**
 * Waits, up to `maxMs`, for a second in which the whole machine is nearly idle, so a run does not
 * start in the middle of someone else's burst. Resolves to how long it waited and whether the
 * machine got quiet.
 */
export async function waitForQuiet(
  maxMs: number,
  busyCoresBelow = 0.15,
): Promise<{ waitedMs: number; quiet: boolean; busyCores: number }> {
  const started = performance.now();
  let busyCores = 0;
  do {
    const a = coreTimes();
    await new Promise((r) => setTimeout(r, 1_000));
    const b = coreTimes();
    if (a.length === 0) return { waitedMs: 0, quiet: true, busyCores: 0 };
    busyCores = b.reduce((sum, end, i) => {
      const start = a[i] as CoreTimes;
      return sum + (end.busy - start.busy) / Math.max(1, end.total - start.total);
    }, 0);
    if (busyCores < busyCoresBelow)
      return { waitedMs: Math.round(performance.now() - started), quiet: true, busyCores };
  } while (performance.now() - started < maxMs);
  return { waitedMs: Math.round(performance.now() - started), quiet: false, busyCores };
}
