/**
 * Communication about incidents (issue 16, item 5): templates rendered from the incident, public
 * updates stored once per state, delivered to the alerting destinations and as in-game notices,
 * and the public status page's model. docs/INCIDENTS.md (Communication) says the rules.
 */
export type * from './records.ts';
export { updateKinds } from './records.ts';
export { Communications, type CommsDeps, type CommsSettings, type PostInput } from './service.ts';
export {
  defaultTemplates,
  render,
  type TemplateFields,
  type Templates,
  templateFieldNames,
  unknownPlaceholders,
} from './templates.ts';
export { StatusBoard, type StatusBoardDeps } from './board.ts';
export { statusPage } from './page.ts';
export {
  type ComponentState,
  componentStates,
  componentStatesOf,
  publicTitle,
  type StatusInputs,
  statusSummary,
  worstState,
} from './status.ts';
