import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deadline } from './deadline.ts';

test('a call Redis never answers fails once a PING goes unanswered too', async () => {
  let pings = 0;
  const deadline = new Deadline(20, () => {
    pings++;
    return new Promise(() => {});
  });
  await assert.rejects(deadline.run(new Promise(() => {})), /within 20 ms/);
  assert.equal(pings, 1, 'one PING decided it');
  deadline.stop();
});

test('a slow call is left alone while Redis answers PINGs', async () => {
  const { promise: work, resolve } = Promise.withResolvers<string>();
  let pings = 0;
  const deadline = new Deadline(20, async () => {
    // The call finishes only after Redis has been asked, and has answered, three times.
    if (++pings === 3) resolve('done');
  });
  assert.equal(await deadline.run(work), 'done');
  deadline.stop();
});

test('what the work rejects with is what the caller gets', async () => {
  const deadline = new Deadline(1_000, async () => {});
  await assert.rejects(deadline.run(Promise.reject(new Error('NOSCRIPT'))), /NOSCRIPT/);
  deadline.stop();
});
