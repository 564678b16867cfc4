/**
 * The admin API as a drill's operators use it: bearer tokens, coded errors, and the first node
 * still running (a killed node's admin listener is gone with it).
 */
import type { DrillNode } from './nodes.ts';
import { isRunning } from './nodes.ts';
import type { DrillOperator } from './operators.ts';

/** An admin API refusal, with Lifeline's error code. */
export class AdminError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export interface AdminApi {
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    op: DrillOperator,
    body?: unknown,
  ): Promise<T>;
}

export function adminApi(nodes: readonly DrillNode[]): AdminApi {
  return {
    async call(method, path, op, body) {
      const node = nodes.find(isRunning);
      if (!node) throw new AdminError('NODE_UNAVAILABLE', 503, 'no Lifeline node is running');
      const res = await fetch(`${node.adminUrl}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${op.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status >= 400) {
        const error = (parsed.error ?? {}) as { code?: string; message?: string };
        throw new AdminError(error.code ?? 'HTTP_ERROR', res.status, error.message ?? `HTTP ${res.status}`);
      }
      return parsed as never;
    },
  };
}
