/**
 * /ready's answer. Only what this node cannot serve without makes it unready: draining, or its
 * record store or live state out of reach. Everything else is reported beside it and never a
 * reason to be unready (static stability): a node that cannot reach its identity upstream or
 * resolve a hostname still keeps every session it holds, and an audit alert concerns the store
 * every node shares, so an unready answer would take all of them out at once for nothing the
 * sessions they hold are at fault for.
 */
export interface Readiness {
  ready: boolean;
  /** What readiness rests on: `draining` and each ping, `ok`/`no` when fine. */
  checks: Record<string, string>;
  /** Upstreams and DNS, reported only. */
  dependencies: Record<string, string>;
  /** Security alerts this node holds, reported only. */
  alerts: Record<string, string>;
}

export interface ReadinessSources {
  draining: () => boolean;
  /** Reachability of what the node cannot serve without, by name (`store`, `live`). */
  pings: Record<string, () => Promise<void>>;
  /** The dependency probes' latest results. */
  probes: () => readonly { name: string; kind: string; ok: boolean; error: string | null }[];
  /** Upstream verdicts the capabilities calling them give (admission's, for `identity`). */
  upstreams: () => Record<string, string>;
  alerts: () => Record<string, string>;
}

async function ping(check: () => Promise<void>): Promise<string> {
  try {
    await check();
    return 'ok';
  } catch (err) {
    return `unreachable: ${(err as Error).message}`;
  }
}

/** Builds the readiness check /ready calls on each request. */
export function readinessCheck(sources: ReadinessSources): () => Promise<Readiness> {
  return async () => {
    const draining = sources.draining();
    const checks: Record<string, string> = { draining: draining ? 'yes' : 'no' };
    const names = Object.keys(sources.pings);
    const results = await Promise.all(names.map((name) => ping(sources.pings[name] as () => Promise<void>)));
    names.forEach((name, i) => {
      checks[name] = results[i] as string;
    });
    const ready = !draining && Object.values(checks).every((v) => v === 'ok' || v === 'no');
    const dependencies: Record<string, string> = Object.fromEntries(
      sources.probes().map((r) => [`${r.kind}:${r.name}`, r.ok ? 'ok' : `failing: ${r.error}`]),
    );
    Object.assign(dependencies, sources.upstreams());
    return { ready, checks, dependencies, alerts: sources.alerts() };
  };
}

/**
 * The audit chain watch's alert as /ready shows it: only the kind. /ready is on the public port,
 * and which seqs went missing is for operators (the log, the metric, GET /admin/v1/audit/verify),
 * not for whoever cut them.
 */
export function chainAlert(status: { ok: true } | { ok: false; kind: string }): string {
  return status.ok ? 'ok' : status.kind;
}
