/**
 * The record store's ports, by role. Types only: a capability that imports from here reaches no
 * adapter. The adapters (src/store/sqlite, src/store/postgres) are opened by `openRecordStore`
 * (src/store/open.ts), which only the composition root imports.
 */
export type * from './port.ts';
