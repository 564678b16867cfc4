/**
 * The node's trust: its token keys, the audit log with its anchor outside the store and the
 * watch on the chain's head, and the operators who sign in with them.
 */
import { type AuditAnchoring, AuditLog, ChainWatch, openAnchoring } from '../audit/index.ts';
import { OperatorService } from '../operators/index.ts';
import { Tokens } from '../tokens/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';

export interface Trust {
  tokens: Tokens;
  audit: AuditLog;
  auditAnchoring: AuditAnchoring;
  auditWatch: ChainWatch;
  operators: OperatorService;
  /** Starts the checkpointer and the chain watch on their intervals: the node is up. */
  start(): void;
}

/** Refuses to start on an anchor that does not match the store, or a KEK that does not open it. */
export async function buildTrust(ctx: Context, { store, sealer }: Adapters): Promise<Trust> {
  const { config, logger, clock, events, life } = ctx;
  // A KEK that does not open the store's keys throws here, and the lifecycle closes the store.
  const tokens = await Tokens.load(store, sealer, config.tokens, clock, {
    onSignerError: (err) =>
      logger.error({ err }, 'a token-signing worker failed; its tokens were signed in-thread'),
  });
  life.onClose('token signing workers', () => tokens.close());
  const audit = new AuditLog({ store, clock });
  const auditAnchoring = openAnchoring({
    settings: config.audit,
    log: audit,
    sealer,
    node: config.nodeId,
    clock,
    logger,
  });
  let started = false;
  // Only a node that started writes the clean-stop mark (it says all this node appended is
  // anchored): a start refused or cut short leaves the anchor as it found it, only released.
  life.onClose('audit anchoring', () => (started ? auditAnchoring.stop() : auditAnchoring.anchor.close()));
  await auditAnchoring.guard();
  const auditWatch = new ChainWatch({
    log: audit,
    clock,
    anchored: await auditAnchoring.takeStock(logger),
    onAlert: (alert) => {
      logger.error(
        { alert: 'audit-chain-regressed', kind: alert.kind, detail: alert.detail },
        'SECURITY: the audit chain went back or changed under this node; see the operator guide',
      );
      events.emit('audit.regressed', { kind: alert.kind, detail: alert.detail });
    },
  });
  life.onClose('audit watch', () => auditWatch.stop());
  const operators = new OperatorService({
    store,
    audit,
    clock,
    sealer,
    settings: config.operators,
    events,
    logger,
  });
  const sealedTotp = await operators.sealStoredSecrets();
  if (sealedTotp > 0) logger.warn({ operators: sealedTotp }, 'sealed TOTP secrets that were stored plain');
  const start = () => {
    started = true;
    auditAnchoring.checkpointer.start(config.audit.checkpointIntervalSeconds * 1000);
    auditWatch.start(config.audit.witnessIntervalSeconds * 1000);
  };
  return { tokens, audit, auditAnchoring, auditWatch, operators, start };
}
