/**
 * The audit key, the anchor, the checkpointer and verification, put together the one way the
 * server and the CLI both use them.
 */
import type { Logger } from 'pino';
import { Anchor, CHECKPOINTS_FILE, prepareAnchorDir } from './anchor.ts';
import { readCheckpoints } from './checkpoint.ts';
import { Checkpointer } from './checkpointer.ts';
import type { ChainHead } from './chain.ts';
import { type AuditSigner, openAuditKey, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './key.ts';
import type { AuditLog } from './log.ts';
import { AUDIT_KEY_ACTION, type AnchoredVerifyResult, type AnchorSource, verifyAnchored } from './verify.ts';
import type { Sealer } from '../secrets/index.ts';
import { existsSync, rmSync } from 'node:fs';
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
  /** Whether the chain records this key, and an audit key of this node. */
  const recordedKeys = async () => {
    const entries = await log.list({ action: AUDIT_KEY_ACTION, limit: 1000 });
    return {
      mine: entries.some((e) => e.details.keyId === signer.publicKey.id),
      ownNode: entries.some((e) => e.details.node === options.node),
    };
  };
  let recording: Promise<void> | undefined;
  return {
    signer,
    anchor,
    checkpointer,
    anchoredAtOpen: newest,
    verify: () =>
      verifyWithSettings(log, settings, [{ dir: settings.anchor.dir, publicKey: signer.publicKey }]),
    async guard() {
      if (newest !== null || (await log.head()) === null) return;
      // A key that was there but has anchored nothing yet and is not recorded: a node that
      // started moments ago and has not checkpointed its first appends (a CLI write racing it).
      // With an anchor per node, a node new to the store starts with an empty one of its own:
      // only a node whose key the chain recorded before is refused.
      const recorded = await recordedKeys();
      if (settings.anchor.shared ? !keyIsNew && !recorded.mine : !recorded.ownNode) return;
      if (settings.anchor.adoptExisting === true) {
        options.logger?.error(
          { dir: anchor.dir, key: signer.publicKey.id },
          'SECURITY: the audit anchor holds no checkpoint though the audit chain holds entries; adopting the chain as it is because audit.anchor.adoptExisting is set (recorded in the chain as audit.key); unset it now',
        );
        return;
      }
      // Leave the directory as found: a key kept from a refused start would pass the next one.
      if (keyIsNew)
        for (const file of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE])
          rmSync(join(anchor.dir, file), { force: true });
      throw new LifelineError(
        'AUDIT_ANCHOR_INVALID',
        `the audit anchor ${anchor.dir} holds no checkpoint signed by its key, but the audit chain holds entries: the anchor was replaced, emptied or renamed away (or this store predates anchoring). Put the original anchor back; or, having checked the chain, set audit.anchor.adoptExisting=true for one start (see the operator guide)`,
        { details: { dir: anchor.dir, key: signer.publicKey.id, reason: 'anchor-lost' } },
      );
    },
    async stop() {
      await recording;
      await checkpointer.stop();
      anchor.close();
    },
    async takeStock(logger) {
      const head = await log.head();
      const top = head === null ? null : { seq: head.seq, hash: head.hash };
      const witnessed = await takeStockOfHead(top, logger);
      if (top === null || (await recordedKeys()).mine) return witnessed;
      if (newest === null && settings.anchor.adoptExisting === true) {
        // The override is recorded at once.
        await recordKey(top);
        return witnessed;
      }
      // Otherwise with this process's first append, not before: a start alone changes nothing in
      // the chain (an entry at every start would move every seq after it).
      log.onCommit(() => {
        recording ??= recordKey(top).catch((err: unknown) =>
          logger?.error({ err }, 'could not record the audit key in the audit chain'),
        );
      });
      return witnessed;
    },
  };

  /** Appends `audit.key` naming this key (and the adoption, when the override made one). */
  async function recordKey(top: ChainHead): Promise<void> {
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
      logger?.warn(
        { seq: top.seq, dir: anchor.dir },
        'the audit anchor was empty; adopted the chain as it is',
      );
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
