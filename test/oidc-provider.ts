/**
 * The studio's identity provider on loopback for the SSO tests (oidc-provider with its
 * development login forms: any login name, any password), and the steps a browser takes there.
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

export const IDP_CLIENT = { id: 'lifeline-console', secret: 'console-test-secret-0123456789' };

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A provider on `port` whose one client may redirect to `redirectUris`. A native client, so a
 * loopback redirect matches on any port (RFC 8252 §7.3), as the CLI's sign-in needs.
 */
export async function startProvider(port: number, redirectUris: string[], groups: Record<string, string[]>) {
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      {
        client_id: IDP_CLIENT.id,
        client_secret: IDP_CLIENT.secret,
        application_type: 'native',
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'groups'],
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: id, groups: groups[id] ?? [] }),
    }),
  });
  const server = provider.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

/** Signs `login` in on the provider's page the browser is on, and consents. */
export async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}
