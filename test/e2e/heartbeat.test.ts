import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeCodes } from '../../src/sessions/index.ts';
import { Client, login, startLifeline } from '../helpers.ts';

test('a client that stops pinging is dropped after the heartbeat timeout; one that pings stays', async (t) => {
  const { playerUrl } = await startLifeline(t, {
    overrides: { session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 2 } },
  });
  const quietLogin = await login(playerUrl, 'quiet');
  const quiet = new Client(playerUrl, quietLogin.accessToken);
  const chatty = new Client(playerUrl, (await login(playerUrl, 'chatty')).accessToken);
  t.after(() => chatty.close());
  const welcome = await quiet.welcomed;
  await chatty.welcomed;
  assert.equal(welcome.heartbeatIntervalSeconds, 1);
  assert.equal(welcome.heartbeatTimeoutSeconds, 2);

  const pinging = setInterval(() => void chatty.ping().catch(() => {}), 500);
  t.after(() => clearInterval(pinging));
  assert.equal(await quiet.closed, closeCodes.heartbeatTimeout);
  assert.equal(chatty.closeCode, undefined);

  // The session itself survives a dropped socket: the client reconnects with the same token.
  const back = new Client(playerUrl, quietLogin.accessToken);
  t.after(() => back.close());
  assert.equal((await back.welcomed).sessionId, quietLogin.sessionId);
});
