import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exports, named in one place. Labels are bounded by construction:
 * topology, source, stage, outcome, reason, API method and status — never an INN, phone or e-mail.
 */
export function createMetrics(registry = new Registry(), opts: { defaultMetrics?: boolean } = {}) {
  const p = 'crm_unify_';
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  const metrics = {
    registry,
    records: new Counter({
      name: `${p}records_total`,
      help: 'Records leaving a stage, by outcome (ok, rejected, merged, unchanged, failed)',
      labelNames: ['topology', 'source', 'stage', 'outcome'] as const,
      registers,
    }),
    rejects: new Counter({
      name: `${p}rejects_total`,
      help: 'Records rejected, by source and reason',
      labelNames: ['source', 'reason'] as const,
      registers,
    }),
    warnings: new Counter({
      name: `${p}cleaning_warnings_total`,
      help: 'Values dropped while cleaning (record kept), by kind',
      labelNames: ['source', 'warning'] as const,
      registers,
    }),
    stageSeconds: new Histogram({
      name: `${p}stage_duration_seconds`,
      help: 'Time a record (or batch) spends in a stage',
      labelNames: ['topology', 'stage'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    inFlight: new Gauge({
      name: `${p}in_flight_records`,
      help: 'Records read and not yet settled',
      labelNames: ['topology', 'source'] as const,
      registers,
    }),
    lagMessages: new Gauge({
      name: `${p}source_lag_messages`,
      help: 'Kafka consumer lag (end offset minus committed)',
      labelNames: ['source', 'partition'] as const,
      registers,
    }),
    lagSeconds: new Gauge({
      name: `${p}source_lag_seconds`,
      help: "How far Shop A's committed position is behind the server clock: the delta's watermark (source shop-a.delta), or the event time of the oldest binlog row not yet acked (shop-a.binlog); 0 when caught up",
      labelNames: ['source'] as const,
      registers,
    }),
    sourceProgress: new Gauge({
      name: `${p}source_progress_ratio`,
      help: 'Share of a finite source read (full extract, dump bytes)',
      labelNames: ['source'] as const,
      registers,
    }),
    apiRequests: new Counter({
      name: `${p}api_requests_total`,
      help: 'External API requests by API, method and status',
      labelNames: ['api', 'method', 'status'] as const,
      registers,
    }),
    apiSeconds: new Histogram({
      name: `${p}api_request_duration_seconds`,
      help: 'External API request latency',
      labelNames: ['api', 'method'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    throttled: new Counter({
      name: `${p}api_throttled_total`,
      help: 'Throttling events: local bucket waits and remote limits (503/429)',
      labelNames: ['api', 'kind'] as const,
      registers,
    }),
    cache: new Counter({
      name: `${p}cache_requests_total`,
      help: 'Register cache look-ups by result',
      labelNames: ['cache', 'result'] as const,
      registers,
    }),
    entities: new Gauge({
      name: `${p}state_entities`,
      help: 'Golden records in the state store by entity and delivery status',
      labelNames: ['entity', 'status'] as const,
      registers,
    }),
    componentUp: new Gauge({
      name: `${p}component_up`,
      help: 'Whether a source or sink reaches its server (1) or not (0: connecting, backing off, failed)',
      labelNames: ['component'] as const,
      registers,
    }),
    crmConflicts: new Counter({
      name: `${p}crm_conflicts_total`,
      help: 'Managed CRM fields people changed since the last write (kept or overwritten per crm.conflicts)',
      labelNames: ['entity', 'field', 'kept'] as const,
      registers,
    }),
    registerChanges: new Counter({
      name: `${p}register_changes_total`,
      help: 'Register statuses that changed when loaded or rejected companies were checked again, by the new status',
      labelNames: ['status'] as const,
      registers,
    }),
    registerSweep: new Counter({
      name: `${p}register_sweep_companies_total`,
      help: 'Companies the register sweep checked: loaded ones past the cache TTL (expired), not-found rejects on their back-off (not_found), of those the ones now registered (found), and loaded ones whose CRM status field did not show their unchanged status, set right (corrected)',
      labelNames: ['kind'] as const,
      registers,
    }),
    crmAdoptions: new Counter({
      name: `${p}crm_adoptions_total`,
      help: 'CRM entities people entered, adopted instead of created',
      labelNames: ['entity'] as const,
      registers,
    }),
    role: new Gauge({
      name: `${p}role`,
      help: 'HA role of this instance: 1 on the role it has (active or standby), 0 on the other; one instance without HA is active',
      labelNames: ['role'] as const,
      registers,
    }),
    takeovers: new Counter({
      name: `${p}takeovers_total`,
      help: 'Times this instance took the HA lease over and resumed the sources',
      registers,
    }),
    takeoverSeconds: new Gauge({
      name: `${p}takeover_duration_seconds`,
      help: "This instance's last takeover: from the lease acquired to the sources resumed (0: none)",
      registers,
    }),
    changelogLag: new Gauge({
      name: `${p}changelog_lag_messages`,
      help: 'State changelog messages the standby has not applied yet (0 on the active instance)',
      registers,
    }),
    lastProgress: new Gauge({
      name: `${p}last_progress_timestamp_seconds`,
      help: 'When a record last settled, per topology',
      labelNames: ['topology'] as const,
      registers,
    }),
  };
  // Every status at 0 from the start, so the dashboard and alert see a series before the first change.
  for (const status of registerStatuses) metrics.registerChanges.labels(status).inc(0);
  for (const kind of ['expired', 'not_found', 'found', 'corrected']) metrics.registerSweep.labels(kind).inc(0);
  return metrics;
}

/** The register statuses a change can end in (egrul/status.ts), a closed label set. */
const registerStatuses = [
  'ACTIVE',
  'REORGANIZING',
  'LIQUIDATING',
  'LIQUIDATED',
  'BANKRUPT',
  'NOT_FOUND',
  'UNKNOWN',
] as const;

export type Metrics = ReturnType<typeof createMetrics>;

/** The HA role gauge: 1 on the role held, 0 on the other, so panels and alerts see both series. */
export function setRole(m: Metrics, role: 'active' | 'standby'): void {
  m.role.set({ role: 'active' }, role === 'active' ? 1 : 0);
  m.role.set({ role: 'standby' }, role === 'standby' ? 1 : 0);
}
