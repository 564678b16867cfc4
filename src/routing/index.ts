/**
 * Routing (issue 15, item 5): signals to PagerDuty, Discord, Slack and signed webhooks, grouped
 * and quietened after Alertmanager's timers, through a durable outbox per destination. See
 * docs/ROUTING.md.
 */
export { type AnnounceDeps, queueAnnouncement } from './announce.ts';
export { request, retryAfterMs, signatureHeader, timestampHeader, webhookSignature } from './deliver.ts';
export {
  type Announcement,
  announcementPayload,
  clip,
  discordMessage,
  pagerDutyEvent,
  pagerDutySeverity,
  slackMessage,
  webhookDocument,
} from './payloads.ts';
export { backoffMs, publishedLimits, TokenBucket } from './pace.ts';
export { atLeast, type Note, type Notification, NotificationPolicy, type Timers } from './policy.ts';
export type { OutboxMessage, OutboxQuery, OutboxState } from './records.ts';
export { outboxStates } from './records.ts';
export type { RoundResult } from './sender.ts';
export { Routing, type RoutingDeps } from './service.ts';
