import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { silentSocketPolicy } from './outage.ts';

test('a silent socket ends its session as a heartbeat-loss disruption only while an outage is declared', async () => {
  let declared = false;
  const disrupted: { ids: readonly string[]; reason: string }[] = [];
  const onSilent = silentSocketPolicy({
    flags: { enabled: () => declared },
    sessions: {
      disrupt: async (ids, reason) => {
        disrupted.push({ ids, reason });
        return ids.length;
      },
    },
    logger: pino({ level: 'silent' }),
  });
  onSilent('s-1');
  assert.deepEqual(disrupted, []);
  declared = true;
  onSilent('s-2');
  assert.deepEqual(disrupted, [{ ids: ['s-2'], reason: 'heartbeat-loss' }]);
});
