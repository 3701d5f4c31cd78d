import { CrmUnifyError } from '../core/errors.js';

/** What the CRM client asks before each request: throws INSTANCE_FENCED when this instance must not write. */
export interface Fence {
  assertActive(): void;
}

/** A monotonic clock in ms (it keeps counting while the process is stopped, as SIGSTOP does). */
export type MonotonicClock = () => number;

export const monotonicNow: MonotonicClock = () => performance.now();

/**
 * The active instance's right to call the CRM, judged by clock at every call: the lease is held,
 * and the group coordinator confirmed our session less than `sessionTimeoutMs - marginMs` ago.
 * The portal cannot check a fencing token, so an instance that cannot prove it still holds the
 * lease stops itself, before the coordinator (after `sessionTimeoutMs`) hands the lease to the
 * standby. A process resumed after SIGSTOP fails its first check, before any heartbeat could
 * tell it. Once tripped it stays tripped: the process is on its way out.
 */
export class HeartbeatFence implements Fence {
  private lastContact: number | undefined;
  private held = false;
  private tripped: CrmUnifyError | undefined;
  private readonly listeners = new Set<(err: CrmUnifyError) => void>();

  constructor(private readonly opts: { sessionTimeoutMs: number; marginMs: number; clock?: MonotonicClock }) {}

  /** How long without contact before the instance fences itself. */
  get limitMs(): number {
    return this.opts.sessionTimeoutMs - this.opts.marginMs;
  }

  /**
   * The coordinator confirmed our membership in a request sent at `sentAt` (monotonic ms). The
   * time it was sent, not answered: the session was renewed no later than that, and an answer
   * read after a SIGCONT must not make a stale session look fresh.
   */
  contact(sentAt: number): void {
    if (this.lastContact === undefined || sentAt > this.lastContact) this.lastContact = sentAt;
  }

  /** The lease was acquired: from now on the clock decides. */
  hold(): void {
    this.held = true;
  }

  /** Whether the session is fresh by clock (and never tripped): what a rejoining member claims. */
  fresh(): boolean {
    if (this.tripped || this.lastContact === undefined) return false;
    return this.now() - this.lastContact < this.limitMs;
  }

  /** Ms since the last confirmed contact (undefined before the first). */
  silenceMs(): number | undefined {
    return this.lastContact === undefined ? undefined : this.now() - this.lastContact;
  }

  assertActive(): void {
    if (this.tripped) throw this.tripped;
    if (!this.held) throw new CrmUnifyError('INSTANCE_FENCED', 'this instance does not hold the lease (standby)');
    const silence = this.silenceMs();
    if (silence === undefined || silence >= this.limitMs) {
      this.trip(
        silence === undefined
          ? 'the lease was never confirmed'
          : `no heartbeat confirmed for ${Math.round(silence)} ms (limit ${this.limitMs} ms: session timeout minus margin)`,
      );
    }
    if (this.tripped) throw this.tripped;
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

  private now(): number {
    return (this.opts.clock ?? monotonicNow)();
  }
}
