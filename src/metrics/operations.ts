/** Operator-side metrics: the kick breaker, commands, security alerts and the audit chain. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStream } from '../events/index.ts';

export interface OperationMetricsDeps {
  events: EventStream;
  breakerOpen: () => Promise<boolean>;
  auditRegressed?: () => boolean;
}

/** Registers the operation metrics and subscribes them; returns the unsubscribers. */
export function operationMetrics(registry: Registry, deps: OperationMetricsDeps): (() => void)[] {
  new Gauge({
    name: 'lifeline_kick_breaker_open',
    help: '1 while the kick breaker is open and every kick is refused',
    registers: [registry],
    async collect() {
      this.set((await deps.breakerOpen()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lifeline_audit_chain_regressed',
    help: '1 once this node saw the audit chain head behind, or different from, what it witnessed',
    registers: [registry],
    collect() {
      this.set(deps.auditRegressed?.() ? 1 : 0);
    },
  });
  const trips = new Counter({
    name: 'lifeline_kick_breaker_trips_total',
    help: 'Times the kick breaker tripped on this node',
    registers: [registry],
  });
  const commands = new Counter({
    name: 'lifeline_commands_total',
    help: 'Commands that finished, by final state (done, halted, rejected)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'lifeline_security_alerts_total',
    help: 'Security alerts this node raised, by kind (break-glass, totp-locked)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'lifeline_notification_deliveries_total',
    help: 'Attempts to deliver a notification, by destination and outcome (delivered, throttled, transient, refused)',
    labelNames: ['destination', 'outcome'] as const,
    registers: [registry],
  });
  return [
    deps.events.on('notification.delivery', (e) => deliveries.inc(e)),
    deps.events.on('breaker.changed', (e) => {
      if (e.state === 'open') trips.inc();
    }),
    deps.events.on('command.changed', (e) => commands.inc({ state: e.state })),
    deps.events.on('security.alert', (e) => alerts.inc({ kind: e.kind })),
  ];
}
