import { openSealer, openStore } from '../app.ts';
import { type AuditAnchoring, AuditLog, openAnchoring } from '../audit/index.ts';
import { OperatorService } from '../operators/index.ts';
import { sqlitePath } from '../config/index.ts';
import type { RecordStore } from '../store/index.ts';
import type { CliBase } from './base.ts';

/** What a direct command works on: the record store, and the audit log over it. */
export interface DirectStore {
  store: RecordStore;
  audit: AuditLog;
  anchoring: AuditAnchoring | undefined;
}

/** How direct commands (no server needed) reach the record store. */
export interface DirectAccess {
  /**
   * Opens the store for a direct command. Unless `anchored` is false, the audit anchor and key
   * are opened too, and whatever the command appended is checkpointed before it returns: an
   * entry the CLI wrote is vouched for like one a node wrote.
   */
  withStore: <T>(work: (ctx: DirectStore) => Promise<T>, anchored?: boolean) => Promise<T>;
  /** The operator service on the store directly, with the sealer the server uses for TOTP secrets. */
  withOperators: <T>(work: (operators: OperatorService) => Promise<T>) => Promise<T>;
  /** Warns on stderr that a break-glass write happened while admins exist. */
  breakGlassWarning: (what: string) => void;
}

/** A PostgreSQL URL without its password. */
const withoutPassword = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
};

/** The store direct commands open, as `lifeline context` and the trail name it (no password). */
export function storeOf(cli: CliBase): { kind: string; location: string } {
  const cfg = cli.config();
  if (cfg.store.kind === 'postgres')
    return {
      kind: 'postgres',
      location: `${withoutPassword(cfg.store.postgres.url)} schema ${cfg.store.postgres.schema}`,
    };
  return { kind: 'sqlite', location: sqlitePath(cfg) };
}

export function directAccess(cli: CliBase): DirectAccess {
  const withStore = async <T>(work: (ctx: DirectStore) => Promise<T>, anchored = true): Promise<T> => {
    const cfg = cli.config();
    const store = await openStore(cfg);
    const where = storeOf(cli);
    cli.trail.store = `${where.kind} ${where.location}`;
    try {
      const audit = new AuditLog({ store, clock: Date.now });
      const anchoring = anchored
        ? openAnchoring({
            settings: cfg.audit,
            log: audit,
            sealer: openSealer(cfg),
            node: cli.actor(),
            clock: Date.now,
          })
        : undefined;
      try {
        // A direct write must not re-seed an anchor that lost its history (see guard).
        await anchoring?.guard();
        return await work({ store, audit, anchoring });
      } finally {
        await anchoring?.checkpointer.flush();
        await anchoring?.anchor.close();
      }
    } finally {
      await store.close();
    }
  };
  const withOperators = async <T>(work: (operators: OperatorService) => Promise<T>): Promise<T> => {
    const cfg = cli.config();
    const sealer = openSealer(cfg);
    return withStore(({ store, audit }) =>
      work(new OperatorService({ store, audit, clock: Date.now, sealer, settings: cfg.operators })),
    );
  };
  // With --json the answer carries `breakGlass: true` instead, so stdout stays one JSON document.
  const breakGlassWarning = (what: string): void => {
    if (!cli.machine())
      cli.io.err(
        `SECURITY ALERT: break-glass ${what} by ${cli.actor()} while admins exist; audited as operator.break-glass, and every running node raises an alert`,
      );
  };
  return { withStore, withOperators, breakGlassWarning };
}
