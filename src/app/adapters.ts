/**
 * The adapters of one node, chosen from config here and nowhere else: the record store, live
 * state and its bus, the sealer for secrets at rest, and the identity upstream.
 */
import type { Logger } from 'pino';
import { type Config, sqlitePath } from '../config/index.ts';
import type { Fetch } from '../dns/index.ts';
import { createIdentity, type IdentityProvider } from '../identity/index.ts';
import type { Bus, LiveState } from '../live/index.ts';
import { openLive } from '../live/open.ts';
import { loadKek, Sealer } from '../secrets/index.ts';
import { openRecordStore, prepareDirectory, tightenDataFiles } from '../store/open.ts';
import type { RecordStore } from '../store/index.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface Adapters {
  identity: IdentityProvider;
  sealer: Sealer;
  store: RecordStore;
  live: LiveState;
  bus: Bus;
}

/** The record store alone, for CLI commands that work without a running server. */
export async function openStore(config: Config): Promise<RecordStore> {
  const { store } = config;
  return store.kind === 'postgres'
    ? openRecordStore({ kind: 'postgres', ...store.postgres })
    : openRecordStore({ kind: 'sqlite', path: sqlitePath(config) });
}

/**
 * The sealer for secrets at rest, under the KEK from `secrets.key` or `secrets.keyFile` (created
 * on first start). The server and the CLI's direct commands open it the same way.
 */
export function openSealer(config: Config, logger?: Logger): Sealer {
  const { kek, origin } = loadKek(config.secrets);
  if (origin.from === 'new-file')
    logger?.warn({ keyFile: config.secrets.keyFile }, 'created a new key-encryption key');
  if (origin.repairedMode !== undefined)
    logger?.warn(
      { keyFile: config.secrets.keyFile, was: origin.repairedMode },
      'the key-encryption key file was readable by others; its mode is now 0600',
    );
  return new Sealer(kek);
}

/**
 * The SQLite data directory 0700 and its database files 0600, whatever an older Lifeline or a
 * umask left: a reader of the database file must not be anyone but the service's own user.
 */
function secureDataDir(config: Config, logger: Logger): void {
  if (config.store.kind !== 'sqlite') return;
  const file = sqlitePath(config);
  if (file === ':memory:') return;
  // Created 0700 here, with a coded error (DATA_DIR_PERMISSION, DATA_DIR_CONFLICT) when it cannot be.
  prepareDirectory(file);
  for (const r of tightenDataFiles(config.dataDir, file)) {
    if (r.error === undefined)
      logger.warn(
        { path: r.path, was: r.was },
        'the data directory or a database file was readable by others; tightened',
      );
    else
      logger.warn(
        { path: r.path, was: r.was, err: r.error },
        'the data directory or a database file is readable by others and cannot be tightened',
      );
  }
}

function openLiveState(config: Config, logger: Logger): Promise<{ live: LiveState; bus: Bus }> {
  return config.live.kind === 'redis'
    ? openLive({
        kind: 'redis',
        ...config.live.redis,
        onError: (err) => logger.warn({ err }, 'live state (Redis) connection trouble'),
      })
    : openLive({ kind: 'memory' });
}

/** Opens the adapters; each connection is registered on `life` as soon as it is open. */
export async function openAdapters(
  config: Config,
  logger: Logger,
  life: Lifecycle,
  upstreamFetch?: Fetch,
): Promise<Adapters> {
  const identity = createIdentity(config.identity, config.environment, upstreamFetch);
  // The data directory first: the KEK file is created beside it, so its parent must exist.
  secureDataDir(config, logger);
  const sealer = openSealer(config, logger);
  const store = await openStore(config);
  life.onClose('store', () => store.close());
  const { live, bus } = await openLiveState(config, logger);
  life.onClose('live', () => live.close());
  life.onClose('bus', () => bus.close());
  return { identity, sealer, store, live, bus };
}
