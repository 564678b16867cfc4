/**
 * Bans: players who may not log in, refresh or be restored, with the history of who banned them,
 * why, and who lifted it. Logins and restores read the ban from the record store.
 */
export { BAN_BATCH, BAN_LIST_MAX, type BanListOutcome, type BanListRequest, checkList } from './list.ts';
export { type BanRequest, banDuration, inputProblem } from './rules.ts';
export { type BanOutcome, BanService, type BanServiceDeps } from './service.ts';
