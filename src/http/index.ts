/** The two listeners: players on the public port, operators on the admin port. */
export { buildAdminApi } from './admin/index.ts';
export { toLifelineError } from './errors.ts';
export { bind, type ListenerName, listenFailure } from './listen.ts';
export { buildPlayerApi } from './player/index.ts';
export { parseTime } from './query.ts';
