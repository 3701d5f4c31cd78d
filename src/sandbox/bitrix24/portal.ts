/**
 * The emulated portal without its HTTP clothes: credentials, the leaky bucket, injected faults,
 * the operating limit (per method, batch commands included), method dispatch and `batch`, each
 * answer in the portal's envelope. The server module only moves bytes; tests can drive this
 * directly.
 */
import { runBatch, type CommandOutcome } from './batch.js';
import { bump, newCounters, type PortalCounters } from './counters.js';
import { RestError, systemErrors, timeBlock, type TimeBlock } from './envelope.js';
import { FaultInjector, parseFaultSpec, type FaultSpec } from './faults.js';
import { PortalRateLimit } from './portal-rate-limit.js';
import { isWriteMethod, methods, type Params } from './methods/index.js';
import { OperatingMeter, type OperatingOptions, type OperatingReading } from './operating.js';
import { editAsPerson, personUserFor } from './person.js';
import type { EntityName } from './schema.js';
import { PortalStore } from './store.js';

export interface PortalOptions {
  webhookUser?: string;
  webhookSecret?: string;
  rate?: number;
  burst?: number;
  faults?: string | FaultSpec;
  faultSeed?: number;
  operating?: OperatingOptions;
  store?: PortalStore;
}

export interface PortalCall {
  /** Undefined when the URL carried no credentials (`/rest/<method>`). */
  user?: string;
  secret?: string;
  method: string;
  params: Params;
}

export interface PortalAnswer {
  status: number;
  body: unknown;
  /** `lost`: the call ran, and the transport must drop the connection instead of answering. */
  drop: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Portal {
  readonly store: PortalStore;
  readonly bucket: PortalRateLimit;
  readonly faults: FaultInjector;
  readonly operating: OperatingMeter;
  counters: PortalCounters = newCounters();
  readonly webhookUser: string;
  readonly webhookSecret: string;
  /** The user people's records (a CRM seed, editAsPerson) belong to: never the webhook's. */
  readonly personUserId: string;

  constructor(opts: PortalOptions = {}) {
    this.store = opts.store ?? new PortalStore();
    this.bucket = new PortalRateLimit(opts.rate ?? 2, opts.burst ?? 50);
    const spec = typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : opts.faults;
    this.faults = new FaultInjector(spec, opts.faultSeed);
    this.operating = new OperatingMeter(opts.operating);
    this.webhookUser = opts.webhookUser ?? '1';
    this.webhookSecret = opts.webhookSecret ?? 'sandbox';
    this.personUserId = personUserFor(this.webhookUser);
  }

  /** A person's edit in the UI (tests): see person.ts. Counts as no API request. */
  editAsPerson(entity: EntityName, id: number, fields: Record<string, unknown>, userId = this.personUserId): void {
    editAsPerson(this.store, entity, id, fields, userId);
  }

  /** Changes faults at runtime (tests switch them on and off); a seed restarts the RNG. */
  setFaults(spec: string | FaultSpec, seed?: number): void {
    this.faults.set(spec, seed);
  }

  resetCounters(): void {
    this.counters = newCounters();
  }

  async handle(call: PortalCall): Promise<PortalAnswer> {
    const delay = this.faults.latency();
    if (delay > 0) await sleep(delay);
    const answer = this.decide(call);
    if (!answer.drop) bump(this.counters.byStatus, String(answer.status));
    return answer;
  }

  private fail(e: RestError): PortalAnswer {
    return { status: e.status, body: e.toBody(), drop: false };
  }

  private decide(call: PortalCall): PortalAnswer {
    if (call.user === undefined) return this.unauthorized(systemErrors.noAuth());
    if (call.user !== this.webhookUser || call.secret !== this.webhookSecret) {
      return this.unauthorized(systemErrors.invalidCredentials());
    }
    const fault = this.faults.draw();
    if (fault === '503' || fault === '500' || fault === '429') {
      this.counters.faults[fault]++;
      const e = {
        '503': systemErrors.queryLimit,
        '500': systemErrors.internal,
        '429': systemErrors.operationTimeLimit,
      }[fault]();
      return this.fail(e);
    }
    if (!this.bucket.take()) {
      this.counters.queryLimitExceeded++;
      return this.fail(systemErrors.queryLimit());
    }
    const method = call.method.toLowerCase();
    if (method !== 'batch' && !methods.has(method)) return this.fail(systemErrors.methodNotFound());
    this.counters.requests++;
    bump(this.counters.byMethod, method);
    const batchPays = method === 'batch' && this.operating.batchAccounting === 'batch';
    // The outer batch is not checked itself unless the portal charges batches to `batch`
    // (docs/bitrix24-api-facts.md §5).
    if ((method !== 'batch' || batchPays) && !this.operating.allowed(method)) return this.fail(this.refuseOperating());
    const start = Date.now();
    const outcome =
      method === 'batch' ? this.batch(call.params, start, batchPays) : this.command(method, call.params, true);
    if (fault === 'lost') this.counters.faults.lost++;
    if (!outcome.ok) return { ...this.fail(outcome.error), drop: fault === 'lost' };
    const { result, total, next } = outcome.value;
    const body: Record<string, unknown> = { result };
    if (total !== undefined) body.total = total;
    if (next !== undefined) body.next = next;
    body.time = outcome.time;
    return { status: 200, body, drop: fault === 'lost' };
  }

  private refuseOperating(): RestError {
    this.counters.operationTimeLimit++;
    return systemErrors.operationTimeLimit();
  }

  /**
   * Runs a batch. Charged per command (`nested`), or as one `batch` call whose cost is its own
   * configured cost or else the sum of its commands' costs, every result_time then showing that
   * cumulative `batch` figure (`batch` accounting, as the JSSDK PR #539 measured it).
   */
  private batch(params: Params, start: number, batchPays: boolean): CommandOutcome {
    const times: TimeBlock[] = [];
    let commandsCost = 0;
    const batch = runBatch(params, (m, p) => {
      const out = this.command(m, p, !batchPays);
      if (out.ok) times.push(out.time);
      if (batchPays && out.ok) commandsCost += this.operating.costOf(m, out.time.processing);
      return out;
    });
    const finish = Date.now();
    let reading: OperatingReading | undefined;
    if (batchPays) {
      reading = this.operating.record('batch', this.operating.costOf('batch', commandsCost));
      for (const t of times) Object.assign(t, { operating_reset_at: reading.resetAt, operating: reading.operating });
    }
    return { ok: true, value: { result: batch.result }, time: timeBlock(start, finish, finish - start, reading) };
  }

  /**
   * One method execution (a single call or a batch command). With `charge`, the operating limit
   * is checked first (a blocked command fails with OPERATION_TIME_LIMIT, inside a batch in
   * result_error) and the call is charged to its method, its `time` carrying the new total.
   */
  private command(method: string, params: Params, charge: boolean): CommandOutcome {
    if (charge && methods.has(method) && !this.operating.allowed(method))
      return { ok: false, error: this.refuseOperating() };
    const start = Date.now();
    const outcome = this.execute(method, params);
    if (!charge || !methods.has(method)) return outcome;
    const reading = this.operating.record(method, this.operating.costOf(method, (Date.now() - start) / 1000));
    if (!outcome.ok) return outcome;
    return { ...outcome, time: timeBlock(start, Date.now(), Date.now() - start, reading) };
  }

  private unauthorized(e: RestError): PortalAnswer {
    this.counters.unauthorized++;
    return this.fail(e);
  }

  /** Runs one method (a single call or a batch command); unexpected errors become a 500. */
  private execute(method: string, params: Params): CommandOutcome {
    const handler = methods.get(method);
    if (!handler) return { ok: false, error: systemErrors.methodNotFound() };
    const start = Date.now();
    this.counters.commands++;
    bump(this.counters.commandsByMethod, method);
    try {
      const value = handler(params, { store: this.store, userId: this.webhookUser });
      this.counters.writes += value.writes ?? (isWriteMethod(method) ? 1 : 0);
      return { ok: true, value, time: timeBlock(start, Date.now(), Date.now() - start) };
    } catch (err) {
      if (err instanceof RestError) return { ok: false, error: err };
      return {
        ok: false,
        error: new RestError(500, 'INTERNAL_SERVER_ERROR', err instanceof Error ? err.message : String(err)),
      };
    }
  }
}
