/**
 * The audit key, the anchor, the checkpointer and verification, put together the one way the
 * server and the CLI both use them.
 */
import type { Logger } from 'pino';
import { Anchor, CHECKPOINTS_FILE, prepareAnchorDir } from './anchor.ts';
import { readCheckpoints } from './checkpoint.ts';
import { Checkpointer } from './checkpointer.ts';
import type { ChainHead } from './chain.ts';
import { type AuditSigner, openAuditKey, PRIVATE_KEY_FILE } from './key.ts';
import { OpenedAnchoring } from './opened-anchoring.ts';
import type { AuditLog } from './log.ts';
import { type AnchoredVerifyResult, type AnchorSource, verifyAnchored } from './verify.ts';
import type { Sealer } from '../secrets/index.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The `audit` section of the configuration, as this module needs it. */
export interface AnchoringSettings {
  checkpointIntervalSeconds: number;
  anchor: { dir: string; url: string; shared: boolean; adoptExisting?: boolean };
}

export interface AnchoringOptions {
  settings: AnchoringSettings;
  log: AuditLog;
  sealer: Sealer;
  node: string;
  clock: () => number;
  logger?: Logger;
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
   * Refuses an anchor that lost its history: no checkpoint under this key, while the chain holds
   * entries, and the key was made just now or the chain records it (with an anchor per node:
   * the chain records an audit key of this node). That is an anchor directory renamed away or
   * emptied (or a store from before anchoring), and adopting the chain as it is would bless
   * whatever was cut or rewritten meanwhile. `audit.anchor.adoptExisting` lets an operator who
   * checked the chain adopt it anyway (recorded in the chain). Run before anything is appended.
   *
   * @throws LifelineError `AUDIT_ANCHOR_INVALID` (`details.reason: 'anchor-lost'`).
   */
  guard(): Promise<void>;
  /**
   * At a node's start (after {@link guard}): the head it may take as witnessed. With an empty
   * anchor, a chain that already holds entries is verified and, if sound, adopted by one
   * checkpoint; a broken one is not. Entries after the newest checkpoint were vouched for by no
   * one. After an unclean stop (a node that died within a second of an append) nothing tells a
   * crash's entries from rows written while no node ran: a checkpoint records that they were
   * found, so verify counts them as not anchored instead of calling them forged. After a clean
   * stop (the newest checkpoint is a node's stop mark, and the anchor is shared) they can only
   * have been written while no node ran: a checkpoint passes them vouching for none, so verify
   * names them `unwitnessed`. Finally, when the chain held entries at start but does not record
   * this key, its id is recorded (`audit.key`) with this process's first append (at once after
   * an adoption by the override), so that verify can tell a replaced key.
   */
  takeStock(logger?: Logger): Promise<ChainHead | null>;
  /**
   * At a node's clean stop: waits for the key's record (see takeStock), anchors what is left and
   * writes the stop mark, then closes the anchor.
   */
  stop(): Promise<void>;
}

/**
 * Opens (creating on first use) the anchor directory and the audit key, and a checkpointer for
 * `log`'s appends. Starts no timers: the server calls `checkpointer.start`, the CLI flushes.
 */
export function openAnchoring(options: AnchoringOptions): AuditAnchoring {
  const { settings, log } = options;
  prepareAnchorDir(settings.anchor.dir);
  // A key made just now, over a chain that holds entries, means the anchor directory is new.
  const keyIsNew = !existsSync(join(settings.anchor.dir, PRIVATE_KEY_FILE));
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
  // The newest by seq, the last written on a tie: a stop mark counts only if nothing followed it.
  let newestStops = false;
  for (const c of valid)
    if (newest === null || c.seq >= newest.seq) {
      newest = { seq: c.seq, hash: c.hash };
      newestStops = c.stop === true;
    }
  const verify = () =>
    verifyWithSettings(log, settings, [{ dir: settings.anchor.dir, publicKey: signer.publicKey }]);
  return new OpenedAnchoring(options, {
    signer,
    anchor,
    checkpointer,
    keyIsNew,
    newest,
    newestStops,
    verify,
  });
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
