import { CrmUnifyError } from '../core/errors.js';

/** What the CRM client asks before each request: throws INSTANCE_FENCED when this instance must not write. */
export interface Fence {
  assertActive(): void;
}

/** A monotonic clock in ms (it keeps counting while the process is stopped, as SIGSTOP does). */
export type MonotonicClock = () => number;

export const monotonicNow: MonotonicClock = () => performance.now();

/**
 * The active instance's right to call the CRM, judged by clock at every call. The portal cannot
 * check a fencing token, so an instance that cannot prove it still holds the lease stops itself
 * before the group coordinator (after `sessionTimeoutMs`) could hand the lease to the standby.
 * Proof is one of:
 *
 * - a confirmed contact less than `sessionTimeoutMs - marginMs` ago: a heartbeat or group request
 *   that succeeded, counted from when it was *sent* (the session was renewed no earlier; an answer
 *   read after a SIGCONT must not make a stale session look fresh);
 * - a rejoin in progress (the group is rebalancing), sent while the session was fresh: the
 *   coordinator keeps a member that is waiting to join alive until the join completes, which may
 *   take until a dead member's session ends. Trusted while the event loop kept turning (else the
 *   answer may be sitting unread) and for at most a session timeout.
 *
 * A process resumed after SIGSTOP fails its first check, before any heartbeat could tell it.
 * Once tripped it stays tripped: the process is on its way out.
 */
export class HeartbeatFence implements Fence {
  private lastContact: number | undefined;
  private held = false;
  private tripped: CrmUnifyError | undefined;
  private rejoinSince: number | undefined;
  private lastTick: number | undefined;
  /** The longest the event loop went without a tick since the rejoin started. */
  private rejoinMaxGap = 0;
  private readonly listeners = new Set<(err: CrmUnifyError) => void>();

  constructor(private readonly opts: { sessionTimeoutMs: number; marginMs: number; clock?: MonotonicClock }) {}

  /** How long without contact before the instance fences itself. */
  get limitMs(): number {
    return this.opts.sessionTimeoutMs - this.opts.marginMs;
  }

  /** The lease was acquired: from now on the clock decides. */
  hold(): void {
    this.held = true;
  }

  /** The coordinator confirmed our membership in a request sent at `sentAt` (monotonic ms). */
  contact(sentAt: number): void {
    if (this.lastContact === undefined || sentAt > this.lastContact) this.lastContact = sentAt;
  }

  /** The group is rebalancing and this member is rejoining (its JoinGroup about to go out). */
  rejoining(): void {
    this.rejoinSince = this.now();
    this.rejoinMaxGap = 0;
  }

  /** The rejoin was answered (or abandoned): contacts alone count again. */
  rejoined(): void {
    this.rejoinSince = undefined;
  }

  /** Called every few hundred ms (the lease's watchdog): how the fence knows the event loop turns. */
  tick(): void {
    const now = this.now();
    if (this.rejoinSince !== undefined && this.lastTick !== undefined)
      this.rejoinMaxGap = Math.max(this.rejoinMaxGap, now - Math.max(this.lastTick, this.rejoinSince));
    this.lastTick = now;
  }

  /** Whether the session is provably alive now (and the fence never tripped): what a rejoining member claims. */
  fresh(): boolean {
    if (this.tripped || this.lastContact === undefined) return false;
    const now = this.now();
    return now - this.lastContact < this.limitMs || this.rejoinCovers(now);
  }

  /** Ms since the last confirmed contact (undefined before the first). */
  silenceMs(): number | undefined {
    return this.lastContact === undefined ? undefined : this.now() - this.lastContact;
  }

  assertActive(): void {
    if (this.tripped) throw this.tripped;
    if (!this.held) throw new CrmUnifyError('INSTANCE_FENCED', 'this instance does not hold the lease (standby)');
    if (this.fresh()) return;
    const silence = this.silenceMs();
    this.trip(
      silence === undefined
        ? 'the lease was never confirmed'
        : `no heartbeat confirmed for ${Math.round(silence)} ms (limit ${this.limitMs} ms: session timeout minus margin)`,
    );
    throw this.tripped!;
  }

  /** Fences for good (the lease was lost, or the changelog writer was fenced). Idempotent. */
  trip(reason: string): void {
    if (this.tripped) return;
    this.tripped = new CrmUnifyError('INSTANCE_FENCED', `this instance no longer holds the lease: ${reason}`);
    for (const l of this.listeners) l(this.tripped);
  }

  get fenced(): CrmUnifyError | undefined {
    return this.tripped;
  }

  /** Called once, when the fence trips (at once if it already has). */
  onTrip(listener: (err: CrmUnifyError) => void): () => void {
    if (this.tripped) {
      listener(this.tripped);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A rejoin sent while the session was fresh keeps us a member until the join completes, and
   * for a session after; within `limitMs` of its start that holds whatever else happened. Past
   * that, only while the join is still pending, which we know only if the event loop kept
   * turning (a completed join's answer would have been read), and never past a session timeout:
   * the coordinator ends a join phase within the rebalance timeout (the session timeout here).
   */
  private rejoinCovers(now: number): boolean {
    const since = this.rejoinSince;
    if (since === undefined || this.lastContact === undefined) return false;
    if (since - this.lastContact >= this.limitMs) return false;
    const pending = now - since;
    if (pending < this.limitMs) return true;
    const turning = Math.max(this.rejoinMaxGap, now - (this.lastTick ?? since)) < this.opts.marginMs / 2;
    return turning && pending < this.opts.sessionTimeoutMs;
  }

  private now(): number {
    return (this.opts.clock ?? monotonicNow)();
  }
}
