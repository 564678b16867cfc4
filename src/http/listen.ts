import type { FastifyInstance } from 'fastify';
import { type ErrorCode, LifelineError } from '../errors/index.ts';

/** Which of the two listeners, for the message an operator reads. */
export type ListenerName = 'player' | 'admin';

/** The errno of a failed bind, mapped to what the operator must fix. */
const bindCodes: Record<string, ErrorCode> = {
  EADDRINUSE: 'LISTEN_ADDRESS_IN_USE',
  EADDRNOTAVAIL: 'LISTEN_ADDRESS_INVALID',
  ENOTFOUND: 'LISTEN_ADDRESS_INVALID',
  EAI_AGAIN: 'LISTEN_ADDRESS_INVALID',
  EAI_FAIL: 'LISTEN_ADDRESS_INVALID',
  EINVAL: 'LISTEN_ADDRESS_INVALID',
  EAFNOSUPPORT: 'LISTEN_ADDRESS_INVALID',
  EACCES: 'LISTEN_PERMISSION',
  EPERM: 'LISTEN_PERMISSION',
};

/**
 * A bind failure as a coded error naming the listener, its address and the config keys to change;
 * anything else is passed through untouched, so an unexpected failure still surfaces as itself.
 */
export function listenFailure(err: unknown, listener: ListenerName, host: string, port: number): unknown {
  const errno = (err as { code?: unknown } | null)?.code;
  const code = typeof errno === 'string' ? bindCodes[errno] : undefined;
  if (code === undefined) return err;
  const at = `${host}:${port}`;
  const keys = `${listener}.host / ${listener}.port`;
  const advice: Record<string, string> = {
    LISTEN_ADDRESS_IN_USE: `another process already listens on ${at}; stop it or change ${keys}`,
    LISTEN_ADDRESS_INVALID: `${host} is not an address of this machine or does not resolve; fix ${listener}.host`,
    LISTEN_PERMISSION: `this user may not bind port ${port} (below 1024 needs privileges); use a higher ${listener}.port or grant CAP_NET_BIND_SERVICE`,
  };
  return new LifelineError(code, `The ${listener} listener cannot bind ${at} (${errno}): ${advice[code]}`, {
    cause: err,
    details: { listener, host, port, errno },
  });
}

/**
 * Binds one listener; a bind failure becomes a coded error (see `listenFailure`). `backlog` is
 * the kernel's queue of connections not yet accepted (Node's default is 511, capped by
 * net.core.somaxconn): see `player.backlog` in docs/CONFIGURATION.md.
 */
export async function bind(
  app: FastifyInstance,
  listener: ListenerName,
  address: { host: string; port: number; backlog?: number },
): Promise<string> {
  try {
    return await app.listen({
      host: address.host,
      port: address.port,
      ...(address.backlog !== undefined && { backlog: address.backlog }),
    });
  } catch (err) {
    throw listenFailure(err, listener, address.host, address.port);
  }
}
