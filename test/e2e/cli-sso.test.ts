/**
 * `lifeline sso login` against a real OpenID provider on loopback (oidc-provider), the browser
 * step done by playwright-core driving Debian's chromium: the CLI gets a token with the role the
 * groups map to, api commands work with it, and a forged state, a non-loopback redirect, the
 * provider's own error, an unknown token and a node without SSO are each refused with their code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { runCli } from '../../src/cli/index.ts';
import { TestClock } from '../clock.ts';
import { addOperatorWithTotp, postJson, runCliCaptured, startLifeline, tempDir } from '../helpers.ts';
import { freePort, IDP_CLIENT, signInAtProvider, startProvider } from '../oidc-provider.ts';
import { requireTool } from '../tools.ts';

const chromiumPath = requireTool('CLI SSO through a browser', '/usr/bin/chromium', 'chromium');

/** Runs `lifeline sso login`; resolves `url` with the provider address it prints on stderr. */
function ssoLogin(adminUrl: string, cwd: string) {
  let stdout = '';
  let stderr = '';
  let seen: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    seen = resolve;
  });
  const done = runCli(['--json', '--admin-url', adminUrl, 'sso', 'login'], {
    env: {},
    cwd,
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += `${s}\n`;
      if (s.startsWith('http://')) seen(s);
    },
  }).then((code) => ({ code, stdout, stderr }));
  return { url, done };
}

if (chromiumPath) {
  test('CLI SSO: a loopback redirect gets a token with the mapped role; forged state, foreign redirect, provider error and unknown token are refused', async (t) => {
    const idpPort = await freePort();
    const idp = await startProvider(
      idpPort,
      ['http://127.0.0.1/callback', 'http://127.0.0.1:1/console/sso/callback'],
      { ada: ['sre-oncall'] },
    );
    t.after(() => idp.close());
    const clock = new TestClock();
    const { app, adminUrl, dataDir, config } = await startLifeline(t, {
      clock: clock.now,
      overrides: {
        console: {
          oidc: {
            issuer: `http://127.0.0.1:${idpPort}`,
            clientId: IDP_CLIENT.id,
            clientSecret: IDP_CLIENT.secret,
            redirectUri: 'http://127.0.0.1:1/console/sso/callback',
            roles: { 'sre-oncall': 'operator' },
          },
        },
      },
    });
    // ada's record says auditor, who may not list sessions: the group (→ operator) is what lets her.
    const ada = await addOperatorWithTotp(app, 'ada', 'auditor');
    const cli = (token: string, ...args: string[]) =>
      runCliCaptured(['--admin-url', adminUrl, ...args], { LIFELINE_TOKEN: token }, dataDir);
    assert.equal(
      (await cli(ada.token, 'sessions')).code,
      1,
      'the record alone (auditor) may not list sessions',
    );

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox'],
    });
    t.after(() => browser.close());
    const login = ssoLogin(adminUrl, tempDir(t));
    const page = await (await browser.newContext()).newPage();
    await page.goto(await login.url);
    await signInAtProvider(page, 'ada');
    const result = await login.done;
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout) as { token: string; expiresAt: string; operator: unknown };
    assert.match(answer.token, /^llsso_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(answer.operator, { name: 'ada', role: 'operator' });
    assert.match(result.stderr, /signed in as ada \(operator, SSO\)/);
    assert.ok(!result.stderr.includes(answer.token), 'the token never goes to stderr');
    await page.getByText('Signed in: you can close this window').waitFor();

    const context = await cli(answer.token, '--json', 'context');
    assert.equal(context.code, 0, context.out);
    assert.deepEqual(context.json.admin, { answers: true, as: 'ada (operator)' });
    const sessions = await cli(answer.token, 'sessions');
    assert.equal(sessions.code, 0, sessions.out);

    // A token the node never issued is refused, not passed on to the operator-token check.
    const unknown = await cli(`llsso_${'A'.repeat(43)}`, 'sessions');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /OPERATOR_UNAUTHENTICATED.*SSO token is unknown or expired/);

    // A forged (or replayed) state is refused with its code.
    const forged = await postJson(`${adminUrl}/console/sso/cli/finish`, {
      query: 'code=x&state=forged',
      finishKey: 'x',
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'SSO_STATE_INVALID');

    // Only a loopback redirect with a port: the code must not leave the operator's machine.
    const foreign = ['http://evil.example/cb', 'https://127.0.0.1:4000/cb', 'http://localhost:4000/cb'];
    const portless = ['http://127.0.0.1/cb', 'http://127.0.0.1.evil.example:4000/cb', 'http://[::1]/cb'];
    for (const redirectUri of [...foreign, ...portless]) {
      const refused = await postJson(`${adminUrl}/console/sso/cli`, { redirectUri });
      assert.equal(refused.status, 400, redirectUri);
      assert.equal(refused.body.error.code, 'SSO_REDIRECT_REFUSED', redirectUri);
    }

    // The provider's own error on the callback (the person declined) comes back as its code.
    const started = await postJson(`${adminUrl}/console/sso/cli`, {
      redirectUri: 'http://127.0.0.1:4000/callback',
    });
    assert.equal(started.status, 200);
    const authorize = new URL(started.body.authorizationUrl);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    const callback = (state: string) =>
      new URLSearchParams({ error: 'access_denied', state, iss: `http://127.0.0.1:${idpPort}` }).toString();
    // Whoever catches the callback on the loopback, but did not start the sign-in, cannot finish it.
    const stolen = await postJson(`${adminUrl}/console/sso/cli/finish`, {
      query: callback(authorize.searchParams.get('state') as string),
      finishKey: 'not-the-key',
    });
    assert.equal(stolen.body.error?.code, 'SSO_STATE_INVALID');
    const again = await postJson(`${adminUrl}/console/sso/cli`, {
      redirectUri: 'http://127.0.0.1:4000/callback',
    });
    const state = new URL(again.body.authorizationUrl).searchParams.get('state') as string;
    const declined = await postJson(`${adminUrl}/console/sso/cli/finish`, {
      query: callback(state),
      finishKey: again.body.finishKey,
    });
    assert.equal(declined.status, 502);
    assert.equal(declined.body.error.code, 'SSO_PROVIDER_ERROR');
    assert.equal(declined.body.error.providerError, 'access_denied');

    // A sign-in left for more than 10 minutes is gone.
    const late = await postJson(`${adminUrl}/console/sso/cli`, {
      redirectUri: 'http://127.0.0.1:4000/callback',
    });
    clock.advance(10 * 60_000 + 1);
    const lateState = new URL(late.body.authorizationUrl).searchParams.get('state') as string;
    const expired = await postJson(`${adminUrl}/console/sso/cli/finish`, {
      query: callback(lateState),
      finishKey: late.body.finishKey,
    });
    assert.equal(expired.body.error?.code, 'SSO_STATE_INVALID');

    // The token ends with console.sessionTtlSeconds, as a console session does.
    assert.equal((await cli(answer.token, 'sessions')).code, 0);
    clock.advance(config.console.sessionTtlSeconds * 1000);
    const afterTtl = await cli(answer.token, 'sessions');
    assert.equal(afterTtl.code, 1);
    assert.match(afterTtl.stderr, /OPERATOR_UNAUTHENTICATED/);
  });
}

test('CLI SSO on a node without SSO configured: CONSOLE_SSO_DISABLED', async (t) => {
  const { adminUrl } = await startLifeline(t);
  const result = await runCliCaptured(['--admin-url', adminUrl, 'sso', 'login'], {}, tempDir(t));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /CONSOLE_SSO_DISABLED/);
});
