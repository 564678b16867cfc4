import type { Command } from 'commander';
import { createApp } from '../app.ts';
import type { CliContext } from './context.ts';

/** `lifeline serve`: resolves only once a signal has drained the node. */
export function serveCommand(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('[server] run Lifeline: the player and admin listeners on the configured store')
    .action(async () => {
      const app = await createApp({ config: cli.config() });
      let urls: { playerUrl: string; adminUrl: string };
      try {
        urls = await app.listen();
      } catch (err) {
        // Close what was opened so the process exits with the coded error instead of lingering.
        await app.close();
        throw err;
      }
      const { playerUrl, adminUrl } = urls;
      app.logger.info({ playerUrl, adminUrl, store: app.store.kind }, 'Lifeline is serving');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          app.logger.info('draining');
          void app.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
