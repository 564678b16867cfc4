import { LifelineError } from '../errors/index.ts';
import type { Credential, IdentityProvider } from './port.ts';

/** Accepts any player id: for local runs and demos. Refuses to exist in production. */
export class DevIdentity implements IdentityProvider {
  readonly kind = 'dev';

  constructor(environment: string) {
    if (environment === 'production') throw new LifelineError('DEV_IDENTITY_IN_PRODUCTION');
  }

  async verify(credential: Credential): Promise<{ playerId: string }> {
    if (credential.playerId === undefined) {
      throw new LifelineError(
        'IDENTITY_REJECTED',
        'The dev identity provider takes a playerId, not an idToken',
      );
    }
    return { playerId: credential.playerId };
  }
}
