/** The two listeners: players on the public port, operators on the admin port. */
export { buildAdminApi, parseTime } from './admin.ts';
export { toLifelineError } from './errors.ts';
export { buildPlayerApi } from './player.ts';
