/**
 * The fleet in a process of its own, so that Lifeline's process is measured alone:
 *
 *   fork('src/lab/fleet/process.ts', ['--max-seconds', '900'])
 *
 * It says `ready`, takes `start` (a FleetPlan) and `stop` over IPC (ToFleet / FromFleet), says
 * `started` (with the wall clock at scenario second 0), sends a `second` as each scenario second ends and one `summary` after `stop`. It stops (sending its
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

/** Resolves once the message is handed to the IPC channel (a large summary takes a while). */
function send(message: FromFleet): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

async function end(code: number): Promise<void> {
  if (ending) return;
  ending = true;
  try {
    const summary = await fleet?.stop();
    if (summary) await send({ type: 'summary', summary });
  } catch (err) {
    await send({ type: 'error', message: String(err) });
  }
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
    const started = startFleet(message.plan, (second) => void send({ type: 'second', second }));
    fleet = started;
    // After a warm-up (plan.warmUp), scenario second 0 is when it ended.
    void started.ready.then(() => send({ type: 'started', startedAtMs: started.startedAtMs }));
  } catch (err) {
    // A coded error keeps its code in front, e.g. "VALIDATION_FAILED: fleet plan: players …".
    const code = (err as { code?: unknown }).code;
    const text = err instanceof Error ? err.message : String(err);
    void send({ type: 'error', message: typeof code === 'string' ? `${code}: ${text}` : text });
  }
}

process.on('message', (m) => onMessage(m as ToFleet));
// One player's bug must not end a drill's fleet: it is said, once per kind, and the run goes on.
const said = new Set<string>();
process.on('unhandledRejection', (err) => {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (said.has(text)) return;
  said.add(text);
  process.stderr.write(`fleet: unhandled rejection: ${text}\n`);
});
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
void send({ type: 'ready' });
