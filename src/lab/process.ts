/**
 * Runs one lab upstream in a process of its own, so a bench measures Lifeline's process alone:
 *
 *   node src/lab/process.ts game --slots 8 --service-ms 10 [--health-window bucket]
 *   node src/lab/process.ts identity [--seed 7]      (also: entitlements, oidc)
 *   node src/lab/process.ts dns [--ttl-seconds 25]    (the DNS lab: resolver, parent, child)
 *
 * Prints one JSON line `{name, url, controlUrl, ...}` once listening; faults are then switched
 * over the control API. It exits when its parent disconnects or after `--max-seconds`, so a
 * bench that dies leaves no server behind.
 */
import { parseArgs } from 'node:util';
import { DnsLab } from './dns/index.ts';
import { entitlementsUpstream } from './entitlements.ts';
import { gameBackend } from './game.ts';
import { identityUpstream } from './identity.ts';
import { oidcIssuer } from './oidc.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '0' },
    slots: { type: 'string', default: '8' },
    'service-ms': { type: 'string', default: '10' },
    'health-window': { type: 'string', default: 'sliding' },
    'max-seconds': { type: 'string', default: '600' },
    'ttl-seconds': { type: 'string', default: '300' },
  },
});
const common = { seed: Number(values.seed), port: Number(values.port) };

async function start(kind: string | undefined): Promise<Record<string, unknown>> {
  switch (kind) {
    case 'identity': {
      const up = await identityUpstream(common);
      return { name: up.name, url: up.url, controlUrl: up.controlUrl, verifyUrl: up.verifyUrl };
    }
    case 'entitlements': {
      const up = await entitlementsUpstream(common);
      return { name: up.name, url: up.url, controlUrl: up.controlUrl };
    }
    case 'oidc': {
      const up = await oidcIssuer(common);
      return { name: up.name, url: up.url, controlUrl: up.controlUrl, jwksUrl: up.jwksUrl };
    }
    case 'game': {
      const window = values['health-window'] === 'bucket' ? 'bucket' : 'sliding';
      const up = await gameBackend({
        ...common,
        slots: Number(values.slots),
        serviceMs: Number(values['service-ms']),
        healthWindow: window,
      });
      const urls = { joinUrl: up.joinUrl, healthUrl: up.healthUrl, capacity: up.capacityPerSecond };
      return { name: up.name, url: up.url, controlUrl: up.controlUrl, ...urls };
    }
    case 'dns': {
      const lab = await DnsLab.start({ seed: common.seed, ttlSeconds: Number(values['ttl-seconds']) });
      const servers = { resolverServer: lab.resolverServer, parentServer: lab.parentServer };
      return { name: 'dns', controlUrl: lab.controlUrl, ...servers, lifelineConfig: lab.lifelineConfig() };
    }
    default:
      throw new Error(`unknown upstream "${kind}": identity, entitlements, oidc, game or dns`);
  }
}

process.stdout.write(`${JSON.stringify(await start(positionals[0]))}\n`);
setTimeout(() => process.exit(0), Number(values['max-seconds']) * 1000).unref();
process.on('disconnect', () => process.exit(0));
