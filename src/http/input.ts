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
 * Refuses text holding U+0000 in a path, query or body before any route acts on it. PostgreSQL
 * cannot store or even compare such text: the fuzz suite found it answering 500 or 503 (after
 * writing the audit entry of a ban it then failed to store), where SQLite accepted it silently.
 */
export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.params) || holdsNul(request.query) || holdsNul(request.body)) {
      throw new LifelineError('VALIDATION_FAILED', 'Text in a request may not contain U+0000 (NUL)');
    }
  });
}
