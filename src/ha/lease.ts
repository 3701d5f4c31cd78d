import { EventEmitter } from 'node:events';
import type { Consumer, Kafka } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { HeartbeatFence, monotonicNow, type MonotonicClock } from './fence.js';
import { LEASE_PARTITION, leaseAssigner } from './lease-assigner.js';

export interface LeaseOptions {
  kafka: Kafka;
  /** One partition (created when missing); nothing is ever written to it. */
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** The fence trips this long before the coordinator would give the lease away. */
  fenceMarginMs: number;
  logger: Logger;
  clock?: MonotonicClock;
}

interface LeaseEvents {
  acquired: [];
  lost: [reason: string];
}

/** Group requests whose success renews our session at the coordinator. */
const renewingRequests = new Set(['Heartbeat', 'SyncGroup']);

/**
 * The HA lease: membership of a consumer group on a one-partition topic; the member that owns
 * partition 0 is the active instance. The assignment is sticky (lease-assigner.ts): a standby
 * joining never takes it from a live holder. The consumer reads nothing; kafkajs heartbeats from
 * its fetch loop, which idles `heartbeatIntervalMs` per turn when there is nothing to fetch.
 *
 * `acquired` is emitted once; `lost` once, when a rebalance takes the partition away, the
 * consumer crashes, or the fence finds the session stale. A lost lease is never taken again by
 * this process: it must stop (a supervisor starts it again, as a standby).
 */
export class Lease extends EventEmitter<LeaseEvents> {
  readonly fence: HeartbeatFence;
  private state: 'waiting' | 'holding' | 'lost' = 'waiting';
  private readonly consumer: Consumer;
  private readonly clock: MonotonicClock;
  /** When the lease was acquired (monotonic ms): where a takeover's time starts. */
  acquiredAt: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Our member id when we acquired the lease. */
  private memberId: string | undefined;
  /** When each renewing request last went out (monotonic ms), read back when it succeeds. */
  private readonly sentAt = new Map<string, number>();

  private constructor(private readonly o: LeaseOptions) {
    super();
    this.clock = o.clock ?? monotonicNow;
    this.fence = new HeartbeatFence({
      sessionTimeoutMs: o.sessionTimeoutMs,
      marginMs: o.fenceMarginMs,
      clock: this.clock,
    });
    this.fence.onTrip((err) => this.lose(err.message));
    this.consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      // A member slow to rejoin is dropped as soon as a silent one would be: no longer rebalances than sessions.
      rebalanceTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [leaseAssigner(() => ({ holding: this.state === 'holding' && this.fence.fresh() }))],
    });
    this.watch();
  }

  /** Creates the topic when missing, joins the group and starts heartbeating. */
  static async join(o: LeaseOptions): Promise<Lease> {
    await ensureLeaseTopic(o.kafka, o.topic);
    const lease = new Lease(o);
    try {
      await lease.consumer.connect();
      await lease.consumer.subscribe({ topics: [o.topic], fromBeginning: false });
      await lease.consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    } catch (err) {
      await lease.consumer.disconnect().catch(() => undefined);
      throw new CrmUnifyError(
        'SERVICE_UNAVAILABLE',
        `cannot join the HA lease group ${o.groupId}: ${errorMessage(err)}`,
        {
          cause: err,
          retriable: true,
        },
      );
    }
    return lease;
  }

  get holding(): boolean {
    return this.state === 'holding';
  }

  /** Resolves true once the lease is held, false if `signal` aborts first. */
  whenAcquired(signal: AbortSignal): Promise<boolean> {
    if (this.holding) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (held: boolean) => {
        this.off('acquired', onAcquired);
        signal.removeEventListener('abort', onAbort);
        resolve(held);
      };
      const onAcquired = () => done(true);
      const onAbort = () => done(false);
      this.once('acquired', onAcquired);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  /** Leaves the group: a holder that leaves hands the lease over at once, without a session timeout. */
  async leave(): Promise<void> {
    if (this.state === 'holding') this.lose('left the group', { handedOver: true });
    await this.consumer.disconnect().catch(() => undefined);
  }

  private watch(): void {
    const { REQUEST, HEARTBEAT, GROUP_JOIN, CRASH, REBALANCING } = this.consumer.events;
    this.consumer.on(REQUEST, ({ payload }) => {
      if (renewingRequests.has(payload.apiName))
        this.sentAt.set(payload.apiName, this.clock() - Math.max(0, Date.now() - payload.sentAt));
    });
    this.consumer.on(HEARTBEAT, () => this.renewedBy('Heartbeat'));
    this.consumer.on(REBALANCING, () => this.fence.rejoining());
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.renewedBy('SyncGroup');
      this.fence.rejoined();
      const owns = Object.values(payload.memberAssignment).some((ps) => ps.includes(LEASE_PARTITION));
      if (owns && this.state === 'waiting') this.acquire(payload.memberId);
      else if (this.state !== 'holding') return;
      else if (!owns) this.lose('a rebalance gave the lease to another member');
      // Back under a new member id: our session ended, and another member may have held the lease meanwhile.
      else if (payload.memberId !== this.memberId) this.lose('the session ended: rejoined as a new member');
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.fence.rejoined();
      if (this.state === 'holding') this.lose(`the lease consumer crashed: ${errorMessage(payload.error)}`);
    });
  }

  private renewedBy(apiName: string): void {
    const at = this.sentAt.get(apiName);
    if (at === undefined) return;
    // A long silence before this renewal came close to fencing (a blocked event loop, a slow broker).
    const silence = this.fence.silenceMs();
    if (this.state === 'holding' && silence !== undefined && silence > this.fence.limitMs / 2)
      this.o.logger.warn(
        { silenceMs: Math.round(silence), fencesAtMs: this.fence.limitMs },
        'HA lease: a long silence before the last heartbeat',
      );
    this.fence.contact(at);
  }

  private acquire(memberId: string): void {
    this.state = 'holding';
    this.acquiredAt = this.clock();
    this.memberId = memberId;
    this.fence.hold();
    // The fence is also checked by timer, not only before CRM requests: a holder resumed after a
    // stop, or idle while its heartbeats lapse, learns it at the first tick (timers run first
    // after a SIGCONT) and stops before doing anything else (Kafka sends, commits).
    this.watchdog = setInterval(
      () => {
        this.fence.tick();
        try {
          this.fence.assertActive();
        } catch {
          // tripped: lose() has run through the fence's listener
        }
      },
      Math.max(50, Math.min(500, this.o.fenceMarginMs / 4)),
    );
    this.watchdog.unref();
    this.o.logger.info({ group: this.o.groupId }, 'HA lease acquired: this instance is active');
    this.emit('acquired');
  }

  /** `handedOver`: a clean stop gives the lease up on purpose, which is no error. */
  private lose(reason: string, opts: { handedOver?: boolean } = {}): void {
    if (this.state === 'lost') return;
    const was = this.state;
    this.state = 'lost';
    clearInterval(this.watchdog);
    this.fence.trip(reason);
    if (was === 'holding' && opts.handedOver) this.o.logger.info({ group: this.o.groupId }, 'HA lease handed over');
    else if (was === 'holding') this.o.logger.error({ group: this.o.groupId, reason }, 'HA lease lost');
    this.emit('lost', reason);
  }
}

/** The lease topic: one partition, nothing written to it, so its settings do not matter. */
async function ensureLeaseTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) {
      await admin
        .createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] })
        .catch((err: unknown) => {
          // Two instances starting at once both try: the loser finds it made.
          if (!/already exists/i.test(errorMessage(err))) throw err;
        });
    }
  } catch (err) {
    throw new CrmUnifyError('SERVICE_UNAVAILABLE', `cannot create the HA lease topic ${topic}: ${errorMessage(err)}`, {
      cause: err,
      retriable: true,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
