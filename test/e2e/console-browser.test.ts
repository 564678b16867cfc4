/**
 * The console in a real browser (playwright-core driving Debian's chromium, headless): an admin
 * signs in through a loopback OpenID provider (oidc-provider), watches the online chart move as
 * players join, requests a bulk kick with TOTP; a second admin, signed in with a token, approves
 * it with TOTP; the waves run; a third starts a restore and the page shows it reach 100% as the
 * players rejoin. A screenshot at each step goes to test-output/console/ (kept), and axe-core checks
 * every view for serious or critical violations.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { LifelineClient } from '../../src/sdk/index.ts';
import { addOperatorWithTotp, Client, login, startLifeline } from '../helpers.ts';
import { freePort, IDP_CLIENT, signInAtProvider, startProvider } from '../oidc-provider.ts';
import { requireTool } from '../tools.ts';

const chromiumPath = requireTool('console in a browser', '/usr/bin/chromium', 'chromium');
const shots = path.resolve(import.meta.dirname, '../../test-output/console');

async function axe(page: Page, view: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `axe on ${view}`,
  );
}

let step = 0;
async function shot(page: Page, name: string): Promise<void> {
  step += 1;
  await page.screenshot({
    path: path.join(shots, `${String(step).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}

async function tokenSignIn(browser: Browser, adminUrl: string, token: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${adminUrl}/console/`);
  await page.getByLabel('Operator token').fill(token);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.locator('#who').getByText('Signed in as').waitFor();
  return page;
}

async function giveTotp(page: Page, code: string): Promise<void> {
  const input = page.getByLabel(/TOTP code/);
  await input.fill(code);
  await page.getByRole('button', { name: 'Confirm' }).click();
}

if (chromiumPath) {
  test('the console: SSO sign-in, live chart, bulk kick approved with TOTP, waves, restore to 100%', async (t) => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    const [adminPort, idpPort] = [await freePort(), await freePort()];
    const adminBase = `http://127.0.0.1:${adminPort}`;
    const idp = await startProvider(idpPort, [`${adminBase}/console/sso/callback`], { ada: ['sre-admins'] });
    t.after(() => idp.close());
    const { app, adminUrl, playerUrl } = await startLifeline(t, {
      overrides: {
        admin: { port: adminPort, rateLimit: { perSecond: 100, burst: 200 } },
        commands: { smallMaxSessions: 3, holdSeconds: 3 },
        console: {
          streamIntervalMs: 200,
          oidc: {
            issuer: `http://127.0.0.1:${idpPort}`,
            clientId: IDP_CLIENT.id,
            clientSecret: IDP_CLIENT.secret,
            redirectUri: `${adminBase}/console/sso/callback`,
            roles: { 'sre-admins': 'admin', support: 'viewer' },
          },
        },
      },
    });
    // ada's record says viewer: the SSO group (sre-admins → admin) is what makes her an admin here.
    const ada = await addOperatorWithTotp(app, 'ada', 'viewer');
    const bob = await addOperatorWithTotp(app, 'bob', 'admin');
    const cy = await addOperatorWithTotp(app, 'cy', 'admin');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox'],
    });
    t.after(() => browser.close());

    // 1. Sign in through the provider.
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${adminUrl}/console/`);
    await axe(page, 'sign-in');
    await shot(page, 'sign-in');
    await page.getByRole('link', { name: "Sign in with the studio's SSO" }).click();
    await signInAtProvider(page, 'ada');
    await page.locator('#who').getByText('Signed in as ada (admin, SSO)').waitFor();
    await page.locator('#status[data-stream="open"]').waitFor({ state: 'attached' });
    await shot(page, 'signed-in-sso');

    // A callback for a sign-in another browser started is refused (login CSRF).
    const started = await fetch(`${adminUrl}/console/sso/login`, { redirect: 'manual' });
    const state = new URL(started.headers.get('location') as string).searchParams.get('state');
    assert.match(
      started.headers.get('set-cookie') ?? '',
      new RegExp(`lifeline_console_sso=${state}; .*SameSite=Lax`),
    );
    const forged = await fetch(`${adminUrl}/console/sso/callback?code=x&state=${state}`, {
      redirect: 'manual',
    });
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'CONSOLE_SSO_FAILED');
    assert.equal(forged.headers.get('set-cookie'), null);

    // 2. The chart moves as players join.
    const chart = page.locator('#online-chart');
    await page.locator('#online-chart[data-total="0"]').waitFor();
    const clients: Client[] = [];
    t.after(() => {
      for (const c of clients) c.close();
    });
    for (let i = 0; i < 8; i++) {
      const p = await login(playerUrl, `eu-p-${i}`, 'eu', `eu-${(i % 3) + 1}`);
      clients.push(new Client(playerUrl, p.accessToken));
      if (i === 3) await page.locator('#online-chart[data-total="4"]').waitFor();
    }
    await Promise.all(clients.map((c) => c.welcomed));
    await page.locator('#online-chart[data-total="8"]').waitFor();
    assert.equal(await chart.getAttribute('data-total'), '8');
    await page.getByText('8 players online').waitFor();
    await axe(page, 'overview');
    await shot(page, 'online-chart');

    // 3. A bulk kick, planned, then requested with ada's TOTP.
    await page.getByRole('link', { name: 'Commands' }).click();
    await page.getByLabel('Region').fill('eu');
    await page.getByLabel(/^Reason \(3/).fill('exploit wave on eu');
    await page.getByRole('button', { name: 'Plan and request' }).click();
    await page.getByText(/Plan: 8 sessions of 8 online; tier bulk/).waitFor();
    await giveTotp(page, await ada.totp());
    const card = page.locator('article[data-command]');
    await card.first().waitFor();
    await page.locator('article[data-state="awaiting-approval"]').waitFor();
    const commandId = (await card.first().getAttribute('data-command')) as string;
    // ada may not approve her own command: the page offers her no approve button.
    assert.equal(await page.getByRole('button', { name: `Approve ${commandId}` }).count(), 0);
    await axe(page, 'commands');
    await shot(page, 'kick-requested');

    // 4. bob approves with his TOTP.
    const bobPage = await tokenSignIn(browser, adminUrl, bob.token);
    await bobPage.getByRole('link', { name: 'Commands' }).click();
    await bobPage.getByText('Pending approvals (1)').waitFor();
    await bobPage.getByRole('button', { name: `Approve ${commandId}` }).click();
    await giveTotp(bobPage, await bob.totp());
    await shot(bobPage, 'approved-by-bob');

    // 5. ada's page follows the waves to the end.
    await page.locator(`article[data-command="${commandId}"][data-state="running"]`).waitFor();
    await shot(page, 'waves-running');
    await page
      .locator(`article[data-command="${commandId}"][data-state="done"]`)
      .waitFor({ timeout: 30_000 });
    await page.getByText(/Waves: 2; ended 8 of 8/).waitFor();
    await shot(page, 'waves-done');
    await Promise.all(clients.map((c) => c.closed));
    const resumeTokens = clients.map((c) => c.messages.at(-1).resumeToken as string);

    // 6. cy starts a restore; the players rejoin; the page shows 100%.
    const cyPage = await tokenSignIn(browser, adminUrl, cy.token);
    await cyPage.getByRole('link', { name: 'Restores' }).click();
    await cyPage.getByLabel('Command id to restore').fill(commandId);
    await cyPage.getByLabel('Batch size').fill('4');
    await cyPage.getByLabel('Interval (ms)').fill('200');
    await cyPage.getByRole('button', { name: 'Plan and start' }).click();
    await giveTotp(cyPage, await cy.totp());
    await cyPage.locator('article[data-restore]').first().waitFor();
    // Players come back as a client does: the SDK waits as long as each 202's Retry-After says,
    // however long the paced restore takes on a busy machine.
    const rejoins = resumeTokens.map(async (resumeToken) => {
      const tokens = await new LifelineClient({ baseUrl: playerUrl }).rejoin(resumeToken);
      return typeof tokens.accessToken === 'string';
    });
    assert.deepEqual(
      await Promise.all(rejoins),
      resumeTokens.map(() => true),
    );
    await cyPage.locator('article[data-restore][data-percent="100"]').waitFor({ timeout: 30_000 });
    await cyPage.getByText(/restored 8/).waitFor();
    await axe(cyPage, 'restores');
    await shot(cyPage, 'restore-100');

    // 7. The other views, each checked by axe.
    for (const [link, view] of [
      ['Breaker and flags', 'safety'],
      ['Disruptions', 'disruptions'],
      ['Audit', 'audit'],
      ['Signals', 'signals'],
      ['Bans', 'bans'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.locator(`#main[data-view="${view}"]`).waitFor();
      await page.locator(`#${view}-body > *`).first().waitFor();
      await axe(page, view);
      await shot(page, view);
    }
    // The audit view showed the chain as verified.
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.locator('#audit-verify[data-ok="true"]').waitFor();

    // 8. A flag switch: outage.declared on from the page, as the API then reads it.
    await page.getByRole('link', { name: 'Breaker and flags' }).click();
    await page.getByRole('switch', { name: 'outage.declared' }).check();
    await page.getByText('outage.declared is now true.').waitFor();
    const flags = await fetch(`${adminUrl}/admin/v1/flags`, { headers: bob.auth });
    const body = (await flags.json()) as { flags: { key: string; value: unknown; updatedBy: string }[] };
    const outage = body.flags.find((f) => f.key === 'outage.declared');
    assert.deepEqual([outage?.value, outage?.updatedBy], [true, 'ada']);
    await shot(page, 'flag-switched');
  });
}
