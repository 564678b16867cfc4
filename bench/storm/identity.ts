/**
 * The simulated identity upstream for bench:storm, in its own process: `slots` verifications at
 * once, `serviceMs` each, so its capacity is C = slots × 1000 / serviceMs per second. Requests
 * beyond the slots wait in an unbounded FIFO, and the upstream finishes the work even for callers
 * that gave up: the retry storm of seed 001, where goodput collapses while the CPU stays busy.
 * GET /stats returns per-second completions, the peak concurrency (in service plus queued), when
 * the last answer went out, and (for bench:storm's trace) how long slots sat idle between calls.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { slots: { type: 'string', default: '10' }, 'service-ms': { type: 'string', default: '10' } },
});
const slots = Number(values.slots);
const serviceMs = Number(values['service-ms']);
/** Requests arrived and not yet answered: in service plus waiting. */
let outstanding = 0;
let peak = 0;
let peakInService = 0;
let done = 0;
let abandoned = 0;
/** Calls, and of those the ones that found their slot idle, with the idle time in all. */
let calls = 0;
let idleCalls = 0;
let idleMs = 0;
/** How late the answers' timers fired, in all: part of the slots' idle time is this process's. */
let lateMs = 0;
/** Wall-clock (epoch ms, comparable with the clients' process) of the last answer. */
let lastAnsweredAt: number | null = null;
const seconds: { done: number; abandoned: number }[] = [];
setInterval(() => {
  seconds.push({ done, abandoned });
  done = 0;
  abandoned = 0;
}, 1000).unref();

// Each slot keeps its own clock: a verification starts when it arrives or when its slot's previous
// one ends, whichever is later, and ends serviceMs after. A late timer delays that one answer, not
// the slot's next verification, so the capacity is exactly C however busy the machine is (with
// setTimeout chaining, every timer's lateness was capacity lost). FIFO: the earliest free slot.
const freeAt: number[] = Array.from({ length: slots }, () => 0);
function serve(finish: () => void): void {
  outstanding++;
  peak = Math.max(peak, outstanding);
  peakInService = Math.max(peakInService, Math.min(slots, outstanding));
  const now = performance.now();
  let slot = 0;
  for (let i = 1; i < slots; i++) if ((freeAt[i] as number) < (freeAt[slot] as number)) slot = i;
  // A slot that was free before this call arrived sat idle meanwhile: with callers queued, that
  // is the round trip between its last answer and its next call (bench:storm's trace prints it).
  if ((freeAt[slot] as number) > 0 && now > (freeAt[slot] as number)) {
    idleMs += now - (freeAt[slot] as number);
    idleCalls++;
  }
  calls++;
  const end = Math.max(now, freeAt[slot] as number) + serviceMs;
  freeAt[slot] = end;
  setTimeout(() => {
    lateMs += performance.now() - end;
    outstanding--;
    finish();
  }, end - now);
}

const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        seconds: seconds.splice(0),
        peak,
        peakInService,
        lastAnsweredAt,
        idleMs,
        lateMs,
        idleCalls,
        calls,
      }),
    );
    peak = 0;
    peakInService = 0;
    return;
  }
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const finish = () => {
      if (res.destroyed || req.socket.destroyed) {
        abandoned++;
        return;
      }
      done++;
      lastAnsweredAt = Date.now();
      const { playerId } = JSON.parse(body) as { playerId: string };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ playerId }));
    };
    serve(finish);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`),
);
setTimeout(() => process.exit(0), 600_000).unref();
process.on('disconnect', () => process.exit(0));
