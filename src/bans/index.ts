/**
 * Bans: players who may not log in, refresh or be restored, with the history of who banned them,
 * why, and who lifted it. Logins and restores read the ban from the record store.
 */
export { type BanOutcome, BanService, type BanServiceDeps } from './service.ts';
