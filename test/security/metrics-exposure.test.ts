/**
 * Issue 12, finding 7: `/metrics` was served to anyone on the public player port, telling the
 * internet how many players sit on each shard, how many kicks and commands ran, and when the
 * breaker is open. It is served on the admin listener; on the player listener only to a scraper
 * with `metrics.token`, and otherwise it answers as an unknown route does.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { isLifelineError } from '../../src/errors/index.ts';
import { login, startLifeline, tempDir, testConfig } from '../helpers.ts';

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
};

test('by default /metrics is not on the player port (404 as any unknown route) and is on the admin listener', async (t) => {
  const { playerUrl, adminUrl } = await startLifeline(t);
  await login(playerUrl, 'p1', 'na', 'na-1');
  const publicScrape = await scrape(playerUrl);
  assert.equal(publicScrape.status, 404);
  assert.equal(JSON.parse(publicScrape.text).error.code, 'NOT_FOUND');
  assert.doesNotMatch(publicScrape.text, /lifeline_/);
  const adminScrape = await scrape(adminUrl);
  assert.equal(adminScrape.status, 200, 'Prometheus scrapes the admin listener without an operator token');
  assert.match(adminScrape.text, /^lifeline_sessions_active\{region="na",shard="na-1"\} 1$/m);
});

test('with metrics.token the player port serves /metrics to that bearer only; the token is never logged', async (t) => {
  const token = 'scrape-me-7f3a9c1e5b2d4f60';
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = testConfig(tempDir(t), { metrics: { token } });
  const app = await createApp({ config, logger: pino({ level: 'trace' }, sink) });
  t.after(() => app.close());
  const { playerUrl, adminUrl } = await app.listen();

  const attempts: Record<string, string>[] = [
    {},
    { authorization: 'Bearer wrong-token-of-some-length' },
    { authorization: `Bearer ${token}x` },
    { authorization: token },
    { authorization: `Basic ${token}` },
  ];
  for (const headers of attempts) {
    const res = await scrape(playerUrl, headers);
    assert.equal(res.status, 404, JSON.stringify(headers));
    assert.doesNotMatch(res.text, /lifeline_/);
  }
  const allowed = await scrape(playerUrl, { authorization: `Bearer ${token}` });
  assert.equal(allowed.status, 200);
  assert.match(allowed.text, /^lifeline_kick_breaker_open 0$/m);
  assert.equal((await scrape(adminUrl)).status, 200);
  assert.ok(lines.length > 0, 'the requests were logged');
  assert.ok(!lines.some((line) => line.includes(token)), 'no log line carries the metrics token');
});

test('a metrics.token shorter than 16 characters is a configuration error naming the key', (t) => {
  assert.throws(
    () => testConfig(tempDir(t), { metrics: { token: 'short' } }),
    (err) => isLifelineError(err, 'CONFIG_INVALID') && err.details?.key === 'metrics.token',
  );
});
