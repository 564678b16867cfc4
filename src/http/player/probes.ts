import type { Tokens } from '../../tokens/index.ts';
import type { TypedApp } from '../typed.ts';

/** /ready's answer: ready, or what is wrong. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
  dependencies: Record<string, string>;
  /** Security alerts this node holds (the audit chain watch); never a reason to be unready. */
  alerts?: Record<string, string>;
}

export interface ProbeRoutesOptions {
  tokens: Pick<Tokens, 'jwks'>;
  readiness: () => Promise<Readiness>;
}

/** What load balancers and game servers read without a token: the JWKS, liveness, readiness. */
export function probeRoutes(app: TypedApp, deps: ProbeRoutesOptions): void {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return deps.tokens.jwks();
  });

  app.get('/health', async () => ({ status: 'alive' }));

  app.get('/ready', async (_request, reply) => {
    const r = await deps.readiness();
    void reply.status(r.ready ? 200 : 503);
    return {
      status: r.ready ? 'ready' : 'not-ready',
      checks: r.checks,
      dependencies: r.dependencies,
      ...(r.alerts === undefined ? {} : { alerts: r.alerts }),
    };
  });
}
