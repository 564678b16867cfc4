/**
 * The fleet in a process of its own, so that Lifeline's process is measured alone:
 *
 *   fork('src/lab/fleet/process.ts', ['--max-seconds', '900'])
 *
 * It says `ready`, takes `start` (a FleetPlan) and `stop` over IPC (ToFleet / FromFleet), sends a
 * `second` as each scenario second ends and one `summary` after `stop`. It stops (sending its
 * summary if it can) and exits when the parent disconnects or `--max-seconds` pass, and never
 * leaves a socket or a server behind. `spawnFleet` (spawn.ts) is the parent's side.
 */
import { parseArgs } from 'node:util';
import { type RunningFleet, startFleet } from './fleet.ts';
import type { FromFleet, ToFleet } from './types.ts';

const { values } = parseArgs({ options: { 'max-seconds': { type: 'string', default: '3600' } } });
const maxSeconds = Number(values['max-seconds']);

let fleet: RunningFleet | undefined;
let ending = false;

function send(message: FromFleet): void {
  if (process.connected) process.send?.(message);
}

async function end(code: number): Promise<void> {
  if (ending) return;
  ending = true;
  try {
    const summary = await fleet?.stop();
    if (summary) send({ type: 'summary', summary });
  } catch (err) {
    send({ type: 'error', message: String(err) });
  }
  // Let the IPC channel drain before going.
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(code), 100).unref();
}

function onMessage(message: ToFleet): void {
  if (message?.type === 'stop') {
    void end(0);
    return;
  }
  if (message?.type !== 'start' || fleet || ending) return;
  try {
    fleet = startFleet(message.plan, (second) => send({ type: 'second', second }));
  } catch (err) {
    // A coded error keeps its code in front, e.g. "VALIDATION_FAILED: fleet plan: players …".
    const code = (err as { code?: unknown }).code;
    const text = err instanceof Error ? err.message : String(err);
    send({ type: 'error', message: typeof code === 'string' ? `${code}: ${text}` : text });
  }
}

process.on('message', (m) => onMessage(m as ToFleet));
process.on('disconnect', () => void end(0));
setTimeout(
  () => void end(0),
  (Number.isFinite(maxSeconds) && maxSeconds > 0 ? maxSeconds : 3600) * 1000,
).unref();
// Held open by the IPC channel; a fleet without a parent has nothing to do.
if (!process.send) {
  process.stderr.write('src/lab/fleet/process.ts runs as a child (child_process.fork); see spawnFleet\n');
  process.exit(2);
}
send({ type: 'ready' });
