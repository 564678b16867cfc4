import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Timers } from './timers.ts';

const pending = () => new Promise((r) => setImmediate(() => r('pending')));

test("a player's waits end with its abort signal: its own reject, a client's never settle (no unhandled rejection), and clear() cancels all", async () => {
  const timers = new Timers();
  const abort = new AbortController();
  const own = timers.sleep(60_000, abort.signal);
  const clients = timers.pause(60_000, abort.signal);
  const other = timers.sleep(60_000);
  assert.equal(timers.size, 3);
  abort.abort();
  await assert.rejects(own, /stopped/);
  assert.equal(await Promise.race([clients.then(() => 'settled'), pending()]), 'pending');
  assert.equal(timers.size, 1);
  timers.clear();
  await assert.rejects(other, /stopped/);
  assert.equal(timers.size, 0);
  await assert.rejects(timers.sleep(1), /stopped/, 'no new waits once the fleet stopped');
  assert.equal(await Promise.race([timers.pause(1).then(() => 'settled'), pending()]), 'pending');
});
