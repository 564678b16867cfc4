/**
 * Public messages about incidents (src/comms) into the outbox: one per chat and webhook
 * destination, sent by routing's senders like any notification. Kept apart from `Routing` so that
 * the messages can be queued by whoever tells them, before routing's timer starts.
 */
import type { RoutingConfig } from '../config/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { OutboxRecords } from '../store/index.ts';
import { type Announcement, announcementPayload } from './payloads.ts';

export interface AnnounceDeps {
  destinations: RoutingConfig['destinations'];
  store: Pick<OutboxRecords, 'enqueueOutbox'>;
  clock: () => number;
}

/**
 * Stores the message for every chat and webhook destination marked `announcements: true` (an
 * operators' alert channel is not the public; PagerDuty pages people about signals and takes no
 * public message); returns how many it was queued for. The message's id is
 * the dedup key, so queueing it again while it waits queues it once.
 */
export async function queueAnnouncement(d: AnnounceDeps, a: Announcement): Promise<number> {
  let queued = 0;
  for (const dest of d.destinations) {
    if (dest.announcements !== true) continue;
    const payload = announcementPayload(dest.kind, a);
    if (payload === null) continue;
    const now = d.clock();
    await d.store.enqueueOutbox({
      id: uuid7(now),
      destination: dest.name,
      dedupKey: `comms:${a.id}`,
      payload,
      createdAt: now,
      version: 1,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      sentAt: null,
      deadAt: null,
    });
    queued++;
  }
  return queued;
}
