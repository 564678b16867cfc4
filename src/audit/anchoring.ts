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
import { AUDIT_KEY_ACTION, type AnchoredVerifyResult, type AnchorSource, verifyAnchored } from './verify.ts';
import type { Sealer } from '../secrets/index.ts';
import { join } from 'node:path';
import { LifelineError } from '../errors/index.ts';

/** The `audit` section of the configuration, as this module needs it. */
export interface AnchoringSettings {
  checkpointIntervalSeconds: number;
  anchor: { dir: string; url: string; shared: boolean; adoptExisting?: boolean };
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
   * Refuses an anchor that lost its history: no checkpoint under this key, while the chain
   * already records an audit key (for this node, or any node when the anchor is shared). That is
   * an anchor directory renamed away or emptied, and adopting the chain as it is would bless
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
   * names them `unwitnessed`. Finally the key's id is recorded in the chain (`audit.key`) if it
   * is not there yet, so that verify can tell a replaced key.
   */
  takeStock(logger?: Logger): Promise<ChainHead | null>;
  /**
   * At a node's clean stop: records the key in the chain if it is not there yet (see takeStock),
   * anchors what is left and writes the stop mark, then closes the anchor.
   */
  stop(): Promise<void>;
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
  // The newest by seq, the last written on a tie: a stop mark counts only if nothing followed it.
  let newestStops = false;
  for (const c of valid)
    if (newest === null || c.seq >= newest.seq) {
      newest = { seq: c.seq, hash: c.hash };
      newestStops = c.stop === true;
    }
  /** The audit.key entries recording this key, and whether one would make an empty anchor a lost one. */
  const recordedKeys = async () => {
    const entries = await log.list({ action: AUDIT_KEY_ACTION, limit: 1000 });
    const mine = entries.some((e) => e.details.keyId === signer.publicKey.id);
    const blocks = entries.some((e) => settings.anchor.shared || e.details.node === options.node);
    return { mine, blocks };
  };
  return {
    signer,
    anchor,
    checkpointer,
    anchoredAtOpen: newest,
    verify: () =>
      verifyWithSettings(log, settings, [{ dir: settings.anchor.dir, publicKey: signer.publicKey }]),
    async guard() {
      if (newest !== null || (await log.head()) === null) return;
      if (!(await recordedKeys()).blocks) return;
      if (settings.anchor.adoptExisting === true) {
        options.logger?.error(
          { dir: anchor.dir, key: signer.publicKey.id },
          'SECURITY: the audit anchor holds no checkpoint though the chain records an audit key; adopting the chain as it is because audit.anchor.adoptExisting is set (recorded in the chain); unset it now',
        );
        return;
      }
      throw new LifelineError(
        'AUDIT_ANCHOR_INVALID',
        `the audit anchor ${anchor.dir} holds no checkpoint signed by its key, but the audit chain records an audit key: the anchor was replaced, emptied or renamed away. Put the original anchor back; or, having checked the chain, set audit.anchor.adoptExisting=true for one start (see the operator guide)`,
        { details: { dir: anchor.dir, key: signer.publicKey.id, reason: 'anchor-lost' } },
      );
    },
    async stop() {
      try {
        await recordKey(await log.head());
      } catch (err) {
        options.logger?.error({ err }, 'could not record the audit key in the chain');
      }
      await checkpointer.stop();
      anchor.close();
    },
    async takeStock(logger) {
      const head = await log.head();
      const top = head === null ? null : { seq: head.seq, hash: head.hash };
      const witnessed = await takeStockOfHead(top, logger);
      if (top !== null) await recordKey(top);
      return witnessed;
    },
  };

  /**
   * Appends `audit.key` naming this key unless the chain already records it. Only once the chain
   * holds entries (at a start, or at a clean stop): a chain that is empty has nothing to protect,
   * and recording then would move every seq after it.
   */
  async function recordKey(top: ChainHead | null): Promise<void> {
    if (top === null || (await recordedKeys()).mine) return;
    await log.append({
      actor: `system:${options.node}`,
      action: AUDIT_KEY_ACTION,
      target: `audit-key:${signer.publicKey.id}`,
      details: {
        keyId: signer.publicKey.id,
        node: options.node,
        dir: anchor.dir,
        ...(newest === null && settings.anchor.adoptExisting === true ? { adoptedAtSeq: top.seq } : {}),
      },
      result: 'recorded',
    });
  }

  async function takeStockOfHead(top: ChainHead | null, logger?: Logger): Promise<ChainHead | null> {
    if (newest === null) {
      if (top === null) return null;
      const verified = await log.verify();
      if (!verified.ok) {
        logger?.error({ verified }, 'the audit chain is broken and the anchor is empty; not adopting it');
        return null;
      }
      await checkpointer.adopt(top);
      logger?.warn({ seq: top.seq, dir: anchor.dir }, 'the audit anchor was empty; adopted the chain as it is');
      return top;
    }
    if (top === null || top.seq <= newest.seq) return newest;
    const from = newest.seq + 1;
    if (newestStops && settings.anchor.shared) {
      await checkpointer.pass(top);
      logger?.error(
        { from, to: top.seq },
        'SECURITY: audit entries were appended after the last node stopped cleanly, while no node ran: written into the store directly; verify names them unwitnessed',
      );
      return top;
    }
    await checkpointer.noteFound(top, [[from, top.seq]]);
    logger?.warn(
      { from, to: top.seq },
      'audit entries after the newest checkpoint were vouched for by no one (a crash right after an append, or rows written while no node ran); check them: verify counts them as not anchored',
    );
    return top;
  }
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
