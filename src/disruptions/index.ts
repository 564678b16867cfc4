/** Disruptions: the record a session leaves when it ends without the player choosing it. */
export { disruptionOf } from './record.ts';
