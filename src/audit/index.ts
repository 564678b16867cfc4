/**
 * The hash-chained audit log: sealing and verifying entries (pure), the group-committing log
 * over the record store, signed checkpoints of its head written to an anchor outside the store,
 * verification against that anchor, and export with a signed manifest.
 */
export { Anchor, CHECKPOINTS_FILE } from './anchor.ts';
export {
  type AnchoringSettings,
  type AuditAnchoring,
  openAnchoring,
  verifyWithSettings,
} from './anchoring.ts';
export {
  type AuditDraft,
  type ChainHead,
  ChainVerifier,
  canonicalEncode,
  GENESIS_HASH,
  hashEntry,
  seal,
  type VerifyFailureReason,
  type VerifyResult,
} from './chain.ts';
export { type Checkpoint, readCheckpoints, signedText } from './checkpoint.ts';
export { Checkpointer } from './checkpointer.ts';
export {
  type ExportOptions,
  type ExportVerifyResult,
  exportAudit,
  type Manifest,
  manifestSignedText,
  verifyExport,
} from './export.ts';
export {
  type AuditPublicKey,
  type AuditSigner,
  openAuditKey,
  PUBLIC_KEY_FILE,
  readPublicKeyFile,
} from './key.ts';
export { AuditLog, type AuditLogOptions } from './log.ts';
export {
  type AnchoredFailureReason,
  type AnchoredVerifyResult,
  type AnchorReport,
  type AnchorSource,
  verifyAnchored,
} from './verify.ts';
export { ChainWatch, type WitnessStatus } from './watch.ts';
