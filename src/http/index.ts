/** The two listeners: players on the public port, operators on the admin port. */
export { buildAdminApi, parseTime } from './admin.ts';
export { toLifelineError } from './errors.ts';
export { bind, type ListenerName, listenFailure } from './listen.ts';
export { buildPlayerApi } from './player.ts';
