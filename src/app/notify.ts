/**
 * Routing (signals to people) and the SIEM export of the audit stream: both listen to what the
 * node does and write outward, so they start last and stop first.
 */
import { dirname, join } from 'node:path';
import { Routing } from '../routing/index.ts';
import { FileSink, SiemExporter, SyslogSink } from '../siem/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';

export function startRouting({ config, logger, clock, events, life }: Context, adapters: Adapters): Routing {
  const routing = new Routing({
    config: config.routing,
    store: adapters.store,
    leases: adapters.live,
    events,
    nodeId: config.nodeId,
    clock,
    logger: logger.child({ component: 'routing' }),
  });
  routing.start();
  life.onClose('routing', () => routing.stop());
  return routing;
}

/** The SIEM export of the audit stream, if `siem.sink` is not `off`. */
export function startSiem({ config, logger, clock, life }: Context, adapters: Adapters): SiemExporter | null {
  const { siem } = config;
  if (siem.sink === 'off') return null;
  const sink =
    siem.sink === 'file'
      ? new FileSink(siem.file.path, siem.file.maxBytes, siem.file.keep)
      : new SyslogSink(siem.syslog);
  const exporter = new SiemExporter({
    store: adapters.store,
    leases: adapters.live,
    sink,
    cursorFile: join(dirname(siem.file.path), `${siem.sink}.cursor`),
    nodeId: config.nodeId,
    clock,
    logger: logger.child({ component: 'siem' }),
    batch: siem.batch,
    intervalMs: siem.intervalSeconds * 1000,
  });
  exporter.start();
  life.onClose('siem export', () => exporter.stop());
  return exporter;
}
