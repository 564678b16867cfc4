/**
 * Live state's ports, by role, and the bus. Types only: a capability that imports from here
 * reaches no adapter. The adapters (in this process, or Redis shared by nodes) are opened by
 * `openLive` (src/live/open.ts), which only the composition root imports.
 */
export type * from './port.ts';
export type { SessionKey } from './page.ts';
