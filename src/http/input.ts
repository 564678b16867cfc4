import type { FastifyInstance } from 'fastify';
import { LifelineError } from '../errors/index.ts';

/**
 * True when a string anywhere in `value` (keys too) holds U+0000. Iterative, so a body nested
 * thousands deep is walked without exhausting the stack.
 */
export function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}

/**
 * Route config for a route whose service refuses control characters in its body itself, with its
 * own code (flags: FLAG_VALUE_INVALID naming the flag); the NUL check then leaves the body alone.
 */
export const textCheckedByService = { textCheckedByService: true } as const;

/**
 * Refuses text holding U+0000 in a path, query or body before any route acts on it. PostgreSQL
 * cannot store or even compare such text: the fuzz suite found it answering 500 or 503 (after
 * writing the audit entry of a ban it then failed to store), where SQLite accepted it silently.
 * A preHandler, so a field's own schema rule (free text refuses every control character) speaks
 * first, naming the field.
 */
export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const config = request.routeOptions.config as { textCheckedByService?: boolean };
    const body = config.textCheckedByService === true ? undefined : request.body;
    if (holdsNul(request.params) || holdsNul(request.query) || holdsNul(body)) {
      throw new LifelineError('VALIDATION_FAILED', 'Text in a request may not contain U+0000 (NUL)');
    }
  });
}
