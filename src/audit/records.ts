/** The hash-chained audit log's records. */

/** One entry of the hash-chained audit log. `hash` covers every other field. */
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  result: string;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  action?: string;
  actor?: string;
  afterSeq?: number;
  limit?: number;
}
