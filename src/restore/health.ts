import { monitorEventLoopDelay } from 'node:perf_hooks';
import { build, type Histogram } from 'hdr-histogram-js';
import type { Fetch } from '../dns/index.ts';
import type { Thresholds } from './records.ts';

/** What a restore watches, read once a tick. */
export interface HealthReading {
  cpuPercent: number;
  connections: number;
  /** Rejoins that failed (refused or errored) over all rejoins, since the last reading. */
  errorRate: number;
  /** p99 of the rejoins answered here since the last reading, in ms. */
  p99LatencyMs: number;
  /** The p99 the health URL reports, in ms; 0 when it reports none. */
  downstreamP99Ms: number;
  eventLoopDelayMs: number;
  /** null when no health URL is configured. */
  downstreamHealthy: boolean | null;
}

/** What a restore needs of the probe: its readings, and the rejoins it is told of. */
export type HealthReader = Pick<HealthProbe, 'read' | 'recordRejoin'>;

/** The first threshold a reading breaks, as `name value > limit`, or null when all hold. */
export function breach(reading: HealthReading, t: Thresholds): string | null {
  const checks: [keyof Thresholds & keyof HealthReading, number | undefined][] = [
    ['cpuPercent', t.cpuPercent],
    ['connections', t.connections],
    ['errorRate', t.errorRate],
    ['p99LatencyMs', t.p99LatencyMs],
    ['eventLoopDelayMs', t.eventLoopDelayMs],
    ['downstreamP99Ms', t.downstreamP99Ms],
  ];
  for (const [name, limit] of checks) {
    const value = reading[name] as number;
    if (limit !== undefined && value > limit) return `${name} ${round(value)} > ${limit}`;
  }
  if (t.healthUrl !== undefined && reading.downstreamHealthy === false)
    return `healthUrl ${t.healthUrl} unhealthy`;
  return null;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Samples the signals restores pace on: this process's CPU and event-loop delay, open sockets,
 * rejoin latency and failures (fed by the rejoin path), and an optional downstream health URL
 * that answers 2xx when healthy, optionally with JSON `{"p99Ms": n}`.
 */
export class HealthProbe {
  readonly #connections: () => number;
  readonly #latency: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 2,
  });
  readonly #loop = monitorEventLoopDelay({ resolution: 10 });
  #rejoins = 0;
  #failures = 0;
  #cpu = process.cpuUsage();
  #at = performance.now();

  readonly #fetch: Fetch;

  /** `fetchImpl` fetches the health URL, resolving its host as `dns` in the config says. @defaultValue the global fetch */
  constructor(connections: () => number, fetchImpl: Fetch = fetch) {
    this.#connections = connections;
    this.#fetch = fetchImpl;
    this.#loop.enable();
  }

  /** Called by the rejoin path for each answered rejoin. */
  recordRejoin(ms: number, ok: boolean): void {
    this.#rejoins++;
    if (!ok) this.#failures++;
    this.#latency.recordValue(Math.max(1, Math.round(ms)));
  }

  /** Reads every signal and starts a new window. */
  async read(healthUrl: string | undefined): Promise<HealthReading> {
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const elapsedUs = Math.max(1, (now - this.#at) * 1000);
    const downstream = healthUrl === undefined ? null : await probe(healthUrl, this.#fetch);
    const reading: HealthReading = {
      cpuPercent: ((cpu.user + cpu.system) / elapsedUs) * 100,
      connections: this.#connections(),
      // Below 20 rejoins a window, one failure is noise, not a rate.
      errorRate: this.#rejoins < 20 ? 0 : this.#failures / this.#rejoins,
      p99LatencyMs: this.#rejoins === 0 ? 0 : this.#latency.getValueAtPercentile(99),
      downstreamP99Ms: downstream?.p99Ms ?? 0,
      eventLoopDelayMs: this.#loop.percentile(99) / 1e6,
      downstreamHealthy: downstream === null ? null : downstream.healthy,
    };
    this.#cpu = process.cpuUsage();
    this.#at = now;
    this.#rejoins = 0;
    this.#failures = 0;
    this.#latency.reset();
    this.#loop.reset();
    return reading;
  }

  stop(): void {
    this.#loop.disable();
    this.#latency.destroy();
  }
}

/**
 * Whether the server may fetch this health URL: its host must be on `restore.healthUrlHosts`.
 * The URL comes from an operator's request and is fetched by the server, from inside the network:
 * left open it reaches anything the server can (cloud metadata, internal admin ports), an SSRF.
 */
export function healthUrlAllowed(url: string, hosts: readonly string[]): boolean {
  let hostname: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
    if (parsed.username !== '' || parsed.password !== '') return false;
    hostname = parsed.hostname
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '')
      .toLowerCase();
  } catch {
    return false;
  }
  return hosts.some(
    (h) =>
      h
        .replace(/^\[(.*)\]$/, '$1')
        .replace(/\.$/, '')
        .toLowerCase() === hostname,
  );
}

async function probe(url: string, fetch: Fetch): Promise<{ healthy: boolean; p99Ms: number | undefined }> {
  try {
    // A redirect is not followed (it would lead off the allow-list): a 3xx counts as unhealthy.
    const res = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
    const body = (await res.json().catch(() => ({}))) as { p99Ms?: unknown };
    return { healthy: res.ok, p99Ms: typeof body.p99Ms === 'number' ? body.p99Ms : undefined };
  } catch {
    return { healthy: false, p99Ms: undefined };
  }
}
