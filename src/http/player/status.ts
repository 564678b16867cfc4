import type { ComponentState } from '../../comms/index.ts';
import type { TypedApp } from '../typed.ts';

export interface StatusRoutesOptions {
  board: {
    readonly cacheSeconds: number;
    summary(): Promise<Record<string, unknown>>;
    worst(): Promise<ComponentState>;
  };
  /** Renders the HTML page from the summary. */
  page: (summary: never) => string;
}

/**
 * The public status page (docs/API.md, Status page): HTML, Statuspage-shaped JSON, and the worst
 * state alone for a game client's banner. Served from the board's cache, so polling costs little.
 */
export function statusRoutes(app: TypedApp, deps: StatusRoutesOptions): void {
  const cache = `public, max-age=${deps.board.cacheSeconds}`;
  app.get('/status/summary.json', async (_request, reply) => {
    void reply.header('cache-control', cache);
    return deps.board.summary();
  });

  app.get('/status/worst', async (_request, reply) => {
    void reply.header('cache-control', cache);
    return { status: await deps.board.worst() };
  });

  app.get('/status', async (_request, reply) => {
    const summary = await deps.board.summary();
    void reply
      .header('cache-control', cache)
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .header('x-content-type-options', 'nosniff')
      .type('text/html; charset=utf-8');
    return deps.page(summary as never);
  });
}
