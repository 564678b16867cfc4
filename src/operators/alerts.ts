/**
 * Break-glass alerts on a running node. The CLI's break-glass write goes straight to the record
 * store, where no node sees it happen; the audit entry it leaves is what a node watches for, so
 * every node raises the alert (an error log line, a `security.alert` event, the
 * `lifeline_security_alerts_total` metric) within one poll of the write.
 */
import type { AuditRecords } from '../store/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { EventStream } from '../events/index.ts';

export interface BreakGlassWatchDeps {
  store: Pick<AuditRecords, 'auditHead'>;
  audit: Pick<AuditLog, 'list'>;
  events: EventStream;
  logger: Logger;
  intervalMs: number;
}

/**
 * Starts watching from the chain's head now (older break-glass entries were alerted by the
 * nodes running then, and stay in the audit log); returns a stop function.
 */
export async function watchBreakGlass(deps: BreakGlassWatchDeps): Promise<() => void> {
  let after = (await deps.store.auditHead())?.seq ?? 0;
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const found = await deps.audit.list({ action: 'operator.break-glass', afterSeq: after, limit: 100 });
        for (const e of found) {
          after = e.seq;
          const detail = `${String(e.details.write ?? 'write')} ${e.target} (audit seq ${e.seq})`;
          deps.logger.error(
            { alert: 'break-glass', actor: e.actor, seq: e.seq, detail },
            'security alert: break-glass',
          );
          deps.events.emit('security.alert', { kind: 'break-glass', actor: e.actor, detail });
        }
        if (found.length < 100) break;
      }
    } catch (err) {
      deps.logger.warn({ err }, 'could not read the audit log for break-glass entries');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), deps.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
