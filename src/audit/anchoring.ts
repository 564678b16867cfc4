/**
 * The audit key, the anchor, the checkpointer and verification, put together the one way the
 * server and the CLI both use them.
 */
import type { Logger } from 'pino';
import { Anchor, CHECKPOINTS_FILE, prepareAnchorDir } from './anchor.ts';
import { readCheckpoints } from './checkpoint.ts';
import { Checkpointer } from './checkpointer.ts';
import type { ChainHead } from './chain.ts';
import { type AuditSigner, openAuditKey } from './key.ts';
import type { AuditLog } from './log.ts';
import { type AnchoredVerifyResult, type AnchorSource, verifyAnchored } from './verify.ts';
import type { Sealer } from '../secrets/index.ts';
import { join } from 'node:path';

/** The `audit` section of the configuration, as this module needs it. */
export interface AnchoringSettings {
  checkpointIntervalSeconds: number;
  anchor: { dir: string; url: string; shared: boolean };
}

export interface AuditAnchoring {
  readonly signer: AuditSigner;
  readonly anchor: Anchor;
  readonly checkpointer: Checkpointer;
  /** The newest head anchored when this was opened (any node), for the chain watch. */
  readonly anchoredAtOpen: ChainHead | null;
  /** Verifies the chain against this anchor. */
  verify(): Promise<AnchoredVerifyResult>;
  /**
   * At a node's start: the head it may take as witnessed. With an empty anchor, a chain that
   * already holds entries (written before anchoring existed) is verified and, if sound, adopted
   * by one checkpoint; a broken one is not. Entries after the newest checkpoint were vouched for
   * by no one (the appends of a node that died within a second of making them, or rows written
   * while no node ran; nothing tells which): a checkpoint records that they were found, so
   * verify counts them as not anchored instead of calling a crash's entries forged.
   */
  takeStock(logger?: Logger): Promise<ChainHead | null>;
}

/**
 * Opens (creating on first use) the anchor directory and the audit key, and a checkpointer for
 * `log`'s appends. Starts no timers: the server calls `checkpointer.start`, the CLI flushes.
 */
export function openAnchoring(options: {
  settings: AnchoringSettings;
  log: AuditLog;
  sealer: Sealer;
  node: string;
  clock: () => number;
  logger?: Logger;
}): AuditAnchoring {
  const { settings, log } = options;
  prepareAnchorDir(settings.anchor.dir);
  const signer = openAuditKey(settings.anchor.dir, options.sealer);
  const anchor = new Anchor({ dir: settings.anchor.dir, url: settings.anchor.url, logger: options.logger });
  const checkpointer = new Checkpointer({
    log,
    signer,
    anchor,
    node: options.node,
    clock: options.clock,
    logger: options.logger,
  });
  const { valid } = readCheckpoints(join(settings.anchor.dir, CHECKPOINTS_FILE), signer.publicKey);
  let newest: ChainHead | null = null;
  for (const c of valid) if (newest === null || c.seq > newest.seq) newest = { seq: c.seq, hash: c.hash };
  return {
    signer,
    anchor,
    checkpointer,
    anchoredAtOpen: newest,
    verify: () =>
      verifyWithSettings(log, settings, [{ dir: settings.anchor.dir, publicKey: signer.publicKey }]),
    async takeStock(logger) {
      const head = await log.head();
      const top = head === null ? null : { seq: head.seq, hash: head.hash };
      if (newest === null) {
        if (top === null) return null;
        const verified = await log.verify();
        if (!verified.ok) {
          logger?.error({ verified }, 'the audit chain is broken and the anchor is empty; not adopting it');
          return null;
        }
        await checkpointer.adopt(top);
        logger?.warn(
          { seq: top.seq, dir: anchor.dir },
          'the audit anchor was empty; adopted the chain as it is',
        );
        return top;
      }
      if (top === null || top.seq <= newest.seq) return newest;
      const from = newest.seq + 1;
      await checkpointer.noteFound(top, [[from, top.seq]]);
      logger?.warn(
        { from, to: top.seq },
        'audit entries after the newest checkpoint were vouched for by no one (a crash right after an append, or rows written while no node ran); check them: verify counts them as not anchored',
      );
      return top;
    },
  };
}

/**
 * Verifies against `anchors` with the coverage rule and grace the settings imply. Needs no key
 * but public ones: an auditor without the KEK runs this (the CLI's `audit verify`).
 */
export function verifyWithSettings(
  log: AuditLog,
  settings: AnchoringSettings,
  anchors: readonly AnchorSource[],
  checkpoint?: ChainHead,
): Promise<AnchoredVerifyResult> {
  return verifyAnchored(log, {
    anchors,
    coverage: settings.anchor.shared,
    graceMs: 2 * settings.checkpointIntervalSeconds * 1000,
    ...(checkpoint === undefined ? {} : { checkpoint }),
  });
}
