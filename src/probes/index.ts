/**
 * Dependency probes (seed 001): a cleanup task deleted an NS delegation record, and logins failed
 * everywhere a little at a time while monitoring saw only a dip. Lifeline resolves the hostnames
 * it depends on, and checks that the zones it names still delegate to their name servers, on an
 * interval; what fails shows in /ready's detail and in metrics, named by its DNS error code.
 */
export { DependencyProbes, type ProbeResult, type ProbeSettings, upstreamHostnames } from './dns.ts';

/** DNS failures an upstream client reports as such, rather than as a generic 5xx. */
export function isDnsFailure(err: unknown): boolean {
  const codes = new Set([
    'ENOTFOUND',
    'EAI_AGAIN',
    'EAI_NONAME',
    'ESERVFAIL',
    'ENODATA',
    'UPSTREAM_DNS_FAILURE',
  ]);
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (codes.has((e as { code?: string }).code ?? '')) return true;
  }
  return false;
}

export { chainAlert, type Readiness, type ReadinessSources, readinessCheck } from './readiness.ts';
