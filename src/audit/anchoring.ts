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
