/**
 * An opened anchor with its key and checkpointer: the start-up checks (`guard`, `takeStock`) and
 * the clean stop that `openAnchoring` hands out. See `AuditAnchoring` for what each promises.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LifelineError } from '../errors/index.ts';
import type { Anchor } from './anchor.ts';
import type { ChainHead } from './chain.ts';
import type { Checkpointer } from './checkpointer.ts';
import { type AuditSigner, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './key.ts';
import type { AuditLog } from './log.ts';
import { AUDIT_KEY_ACTION, type AnchoredVerifyResult } from './verify.ts';

/** What the checks need of `openAnchoring`'s options. */
export interface AnchoringNeeds {
  settings: { anchor: { shared: boolean; adoptExisting?: boolean } };
  log: AuditLog;
  node: string;
  logger?: Logger | undefined;
}

/** What `openAnchoring` found and made when it opened the anchor. */
export interface Opened {
  signer: AuditSigner;
  anchor: Anchor;
  checkpointer: Checkpointer;
  /** The key was made just now: over a chain that holds entries, the anchor directory is new. */
  keyIsNew: boolean;
  /** The newest checkpoint's head under this key, and whether it is a node's stop mark. */
  newest: ChainHead | null;
  newestStops: boolean;
  verify: () => Promise<AnchoredVerifyResult>;
}

export class OpenedAnchoring {
  readonly signer: AuditSigner;
  readonly anchor: Anchor;
  readonly checkpointer: Checkpointer;
  /** The newest head anchored when this was opened (any node), for the chain watch. */
  readonly anchoredAtOpen: ChainHead | null;
  readonly verify: () => Promise<AnchoredVerifyResult>;
  readonly #o: AnchoringNeeds;
  readonly #keyIsNew: boolean;
  readonly #newestStops: boolean;
  /** The record of this key in the chain, once this process's first append asked for it. */
  #recording: Promise<void> | undefined;

  constructor(options: AnchoringNeeds, opened: Opened) {
    this.#o = options;
    this.signer = opened.signer;
    this.anchor = opened.anchor;
    this.checkpointer = opened.checkpointer;
    this.anchoredAtOpen = opened.newest;
    this.verify = opened.verify;
    this.#keyIsNew = opened.keyIsNew;
    this.#newestStops = opened.newestStops;
  }

  async guard(): Promise<void> {
    const { settings, log } = this.#o;
    if (this.anchoredAtOpen !== null || (await log.head()) === null) return;
    // A key that was there but has anchored nothing yet and is not recorded: a node that
    // started moments ago and has not checkpointed its first appends (a CLI write racing it).
    // With an anchor per node, a node new to the store starts with an empty one of its own:
    // only a node whose key the chain recorded before is refused.
    const recorded = await this.#recordedKeys();
    if (settings.anchor.shared ? !this.#keyIsNew && !recorded.mine : !recorded.ownNode) return;
    if (settings.anchor.adoptExisting === true) {
      this.#o.logger?.error(
        { dir: this.anchor.dir, key: this.signer.publicKey.id },
        'SECURITY: the audit anchor holds no checkpoint though the audit chain holds entries; adopting the chain as it is because audit.anchor.adoptExisting is set (recorded in the chain as audit.key); unset it now',
      );
      return;
    }
    // Leave the directory as found: a key kept from a refused start would pass the next one.
    if (this.#keyIsNew)
      for (const file of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE])
        rmSync(join(this.anchor.dir, file), { force: true });
    throw new LifelineError(
      'AUDIT_ANCHOR_INVALID',
      `the audit anchor ${this.anchor.dir} holds no checkpoint signed by its key, but the audit chain holds entries: the anchor was replaced, emptied or renamed away (or this store predates anchoring). Put the original anchor back; or, having checked the chain, set audit.anchor.adoptExisting=true for one start (see the operator guide)`,
      { details: { dir: this.anchor.dir, key: this.signer.publicKey.id, reason: 'anchor-lost' } },
    );
  }

  async stop(): Promise<void> {
    await this.#recording;
    await this.checkpointer.stop();
    await this.anchor.close();
  }

  async takeStock(logger?: Logger): Promise<ChainHead | null> {
    const { log, settings } = this.#o;
    const head = await log.head();
    const top = head === null ? null : { seq: head.seq, hash: head.hash };
    const witnessed = await this.#takeStockOfHead(top, logger);
    if (top === null || (await this.#recordedKeys()).mine) return witnessed;
    if (this.anchoredAtOpen === null && settings.anchor.adoptExisting === true) {
      // The override is recorded at once.
      await this.#recordKey(top);
      return witnessed;
    }
    // Otherwise with this process's first append, not before: a start alone changes nothing in
    // the chain (an entry at every start would move every seq after it).
    log.onCommit(() => {
      this.#recording ??= this.#recordKey(top).catch((err: unknown) =>
        logger?.error({ err }, 'could not record the audit key in the audit chain'),
      );
    });
    return witnessed;
  }

  /** Whether the chain records this key, and an audit key of this node. */
  async #recordedKeys(): Promise<{ mine: boolean; ownNode: boolean }> {
    const entries = await this.#o.log.list({ action: AUDIT_KEY_ACTION, limit: 1000 });
    return {
      mine: entries.some((e) => e.details.keyId === this.signer.publicKey.id),
      ownNode: entries.some((e) => e.details.node === this.#o.node),
    };
  }

  /** Appends `audit.key` naming this key (and the adoption, when the override made one). */
  async #recordKey(top: ChainHead): Promise<void> {
    const { node, settings } = this.#o;
    const adopted = this.anchoredAtOpen === null && settings.anchor.adoptExisting === true;
    await this.#o.log.append({
      actor: `system:${node}`,
      action: AUDIT_KEY_ACTION,
      target: `audit-key:${this.signer.publicKey.id}`,
      details: {
        keyId: this.signer.publicKey.id,
        node,
        dir: this.anchor.dir,
        ...(adopted ? { adoptedAtSeq: top.seq } : {}),
      },
      result: 'recorded',
    });
  }

  async #takeStockOfHead(top: ChainHead | null, logger?: Logger): Promise<ChainHead | null> {
    const newest = this.anchoredAtOpen;
    if (newest === null) return top === null ? null : this.#adoptEmpty(top, logger);
    if (top === null || top.seq <= newest.seq) return newest;
    const from = newest.seq + 1;
    if (this.#newestStops && this.#o.settings.anchor.shared) {
      await this.checkpointer.pass(top);
      logger?.error(
        { from, to: top.seq },
        'SECURITY: audit entries were appended after the last node stopped cleanly, while no node ran: written into the store directly; verify names them unwitnessed',
      );
      return top;
    }
    await this.checkpointer.noteFound(top, [[from, top.seq]]);
    logger?.warn(
      { from, to: top.seq },
      'audit entries after the newest checkpoint were vouched for by no one (a crash right after an append, or rows written while no node ran); check them: verify counts them as not anchored',
    );
    return top;
  }

  /** An empty anchor over a chain with entries: adopted by one checkpoint if the chain is sound. */
  async #adoptEmpty(top: ChainHead, logger?: Logger): Promise<ChainHead | null> {
    const verified = await this.#o.log.verify();
    if (!verified.ok) {
      logger?.error({ verified }, 'the audit chain is broken and the anchor is empty; not adopting it');
      return null;
    }
    await this.checkpointer.adopt(top);
    logger?.warn(
      { seq: top.seq, dir: this.anchor.dir },
      'the audit anchor was empty; adopted the chain as it is',
    );
    return top;
  }
}
