/** A feature flag as stored: its value and who set it, why. */

export interface FlagRecord {
  key: string;
  value: boolean | string | number;
  updatedAt: number;
  updatedBy: string;
  reason: string;
}
