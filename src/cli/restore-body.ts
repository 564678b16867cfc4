/** `lifeline restore` flags to the API's restore body; the server checks the values. */
import { CliError } from './errors.ts';
import { compact, parseDuration, parseWhen } from './parse.ts';

/** Which disruptions a restore brings back: a command's, or a window's, optionally narrowed. */
export interface SourceOptions {
  command?: string;
  from?: string;
  to?: string;
  region?: string;
  shard?: string;
  zone?: string;
}

export interface StartOptions {
  pacing: string;
  batchSize: string;
  interval: string;
  maxRate?: string;
  maxCpu?: string;
  maxConnections?: string;
  maxErrorRate?: string;
  maxP99?: string;
  maxDownstreamP99?: string;
  maxLoopDelay?: string;
  healthUrl?: string;
  totp?: string;
}

export function restoreSource(o: SourceOptions): Record<string, unknown> {
  const selector = { region: o.region, shard: o.shard, zone: o.zone };
  const hasSelector = Object.values(selector).some((v) => v !== undefined);
  return compact({
    commandId: o.command,
    from: o.from === undefined ? undefined : parseWhen(o.from, '--from'),
    to: o.to === undefined ? undefined : parseWhen(o.to, '--to'),
    selector: hasSelector ? selector : undefined,
  });
}

export function pacingFrom(o: StartOptions): Record<string, unknown> {
  if (o.pacing === 'adaptive') {
    if (o.maxRate === undefined)
      throw new CliError('VALIDATION_FAILED', '--pacing adaptive needs --max-rate');
    return { mode: 'adaptive', maxRate: Number(o.maxRate) };
  }
  if (o.pacing !== 'fixed') throw new CliError('VALIDATION_FAILED', '--pacing is fixed or adaptive');
  return {
    mode: 'fixed',
    batchSize: Number(o.batchSize),
    intervalMs: parseDuration(o.interval, '--interval'),
  };
}

export function thresholdsFrom(o: StartOptions): Record<string, unknown> {
  const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return compact({
    cpuPercent: n(o.maxCpu),
    connections: n(o.maxConnections),
    errorRate: n(o.maxErrorRate),
    p99LatencyMs: n(o.maxP99),
    downstreamP99Ms: n(o.maxDownstreamP99),
    eventLoopDelayMs: n(o.maxLoopDelay),
    healthUrl: o.healthUrl,
  });
}
