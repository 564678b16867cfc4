/**
 * Admission: logins pass one controller that calls the identity upstream at the rate it can take,
 * and queues the rest with a place in line and a time to come back (seed 001: restarting auth
 * under a retry storm made it worse; re-opening to everyone at once collapsed what sat behind it).
 *
 * The limit on calls in flight is AIMD, as in Netflix's concurrency-limits: each success within
 * the latency target adds 1/limit (about +1 per round of calls), a slow success takes 10% off,
 * and an upstream failure halves it, down to `minLimit`, never above `maxLimit` (the concurrency
 * the upstream is known to take). While the upstream fails, the queue waits out a backoff before
 * its next try: a failing upstream gets one probe at a time, not a stampede.
 *
 * The limit and the calls in flight are not this node's: they are permits in live state, so with
 * several nodes on Redis the upstream sees one limit, whichever node a login lands on. The queue
 * stays with the node that holds the waiting client's ticket.
 *
 * A queued login is told its place, an ETA and a Retry-After of half the ETA (pace.ts): the rate
 * its line drains at, measured only from calls made under load (their throughput while logins
 * wait, and their pace), never from a trickle of calls served one at a time, which says the
 * upstream's latency and not its capacity. A poll for a login due within 2 s is held until it is
 * done, so the client is not sent away for a whole second more.
 *
 * Only logins are admitted: a refresh or a rejoin never calls the identity upstream, and a
 * restore paces its rejoins itself (its batches and Retry-After), so there is one line.
 */
export {
  type AdmissionLane,
  AdmissionController,
  type AdmissionSnapshot,
  type Permits,
} from './controller.ts';
export type { Admitted, AdmissionSettings, IsUpstreamFailure, Work } from './settings.ts';
