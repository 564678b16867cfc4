/**
 * The hash-chained audit log: sealing and verifying entries (pure), the group-committing log
 * over the record store, and export with a manifest that can be anchored outside.
 */
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
export { type ExportOptions, exportAudit, type Manifest } from './export.ts';
export { AuditLog, type AuditLogOptions } from './log.ts';
