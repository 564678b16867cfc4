/**
 * Lifeline's own tokens and the keys behind them (sealed in the record store, rotated by
 * `lifeline keys rotate`).
 */
export { KEY_PICKUP_MS, LEGACY_MAC_KID, type TokenKeyStore } from './keys.ts';
export {
  type KeyRotationStore,
  type Rotation,
  type RotateOptions,
  rotateKeys,
} from './rotate.ts';
export { type AccessClaims, type TokenSettings, Tokens, type TokensOptions } from './tokens.ts';
