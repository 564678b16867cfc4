/**
 * Disruptions: the record a session leaves when it ends without the player choosing it, and the
 * one factory that builds it. The ledger that keeps them is the store's `DisruptionLedger` role.
 */
export { disruptionOf } from './record.ts';
export type * from './records.ts';
