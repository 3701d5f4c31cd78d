import { identity, pipe, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { Envelope } from '../core/envelope.js';
import type { RejectSink } from '../core/rejects.js';
import type { StageHooks } from '../core/stage.js';
import type { CanonicalChange } from '../model/index.js';
import type { PipelineDeps } from './deps.js';
import { loadStage } from './stages/load.stage.js';
import { mapStage, type Mapper } from './stages/map.stage.js';
import { resolveStage, type Resolved } from './stages/resolve.stage.js';
import { verifyStage } from './stages/verify.stage.js';

/**
 * The shared stages, each bound to the deps, metrics and rejects of the phase it runs in: what a
 * topology's chain is made of. Every call returns the stage's OperatorFunction.
 */
export interface Stages {
  /** map → normalize → validate, by the store's mapper. */
  map<Raw>(mapper: Mapper<Raw>): OperatorFunction<Envelope<Raw>, Envelope<CanonicalChange>>;
  /** Companies the register (EGRUL) does not list as active are rejected. */
  verify(): OperatorFunction<Envelope<CanonicalChange>, Envelope<CanonicalChange>>;
  /** Entity resolution into golden records in the state store. */
  resolve(): OperatorFunction<Envelope<CanonicalChange>, Envelope<Resolved>>;
  /** Delivery to the CRM; a record is acked once every company it touched is confirmed. */
  load(): OperatorFunction<Envelope<Resolved>, Envelope<Resolved>>;
}

/**
 * A phase's operator chain, from the records its source reads to the ones the CRM confirmed:
 * `(records, s) => records.pipe(s.map(mapper), s.verify(), s.resolve(), s.load())`.
 */
export type Chain<Raw> = (records: Observable<Envelope<Raw>>, stages: Stages) => Observable<unknown>;

/** A stage as `run --describe` prints it, with what it reads or writes besides the records. */
export interface StageStep {
  stage: keyof Stages;
  /** The mapper's name for `map`. */
  detail?: string;
  uses?: string;
}

const uses: Partial<Record<keyof Stages, string>> = {
  verify: 'the register (EGRUL), cached in the state store',
  resolve: 'the state store (LevelDB): golden records, links, positions',
  load: 'Bitrix24: companies, requisites, bank details, contacts',
};

/** Stages that do nothing but note which were asked for, in order: the chain's description. */
export function describingStages(steps: StageStep[]): Stages {
  const step = (s: StageStep): OperatorFunction<unknown, never> => {
    steps.push(uses[s.stage] ? { ...s, uses: uses[s.stage] } : s);
    return identity as OperatorFunction<unknown, never>;
  };
  return {
    map: (mapper) => step({ stage: 'map', detail: mapper.name || 'mapper' }),
    verify: () => step({ stage: 'verify' }),
    resolve: () => step({ stage: 'resolve' }),
    load: () => step({ stage: 'load' }),
  };
}

export interface PhaseStagesOptions {
  topology: string;
  /** The phase's source name (metric label). */
  source: string;
  deps: PipelineDeps;
  hooks: StageHooks;
  /** The phase's rejects (counted into the summary), for what the CRM refused. */
  rejects: RejectSink;
  /** Every record has reached the load stage (its deliveries may still run). */
  onResolved?: () => void;
}

/** A bounded metric label for an entity ref (`c`, `rq:…`, `bd:…`, `ct:…`). */
const entityOfRef = (ref: string): string =>
  ({ c: 'company', rq: 'requisite', bd: 'bankdetail', ct: 'contact' })[ref.split(':')[0]!] ?? 'other';

/** The stages of one running phase, counting into its metrics and the run's summary. */
export function phaseStages(o: PhaseStagesOptions): Stages {
  const { deps, hooks, topology, source } = o;
  const { metrics, summary } = deps;
  return {
    map: (mapper) =>
      mapStage(mapper, hooks, (_source, warnings) => {
        summary.countWarnings(warnings);
        for (const w of warnings) metrics.warnings.inc({ source, warning: w });
      }),
    verify: () => verifyStage(deps.verifier, hooks, deps.verifyConcurrency),
    resolve: () =>
      pipe(
        resolveStage(deps.resolver, hooks, deps.resolveConcurrency),
        tap((env) => summary.countResolved(env.value.result.outcome)),
      ),
    load: () =>
      pipe(
        loadStage(deps.store, deps.delivery, o.rejects, {
          ...deps.load,
          onInputEnd: o.onResolved,
          onDelivered: (outcomes, seconds) => {
            for (const out of outcomes) {
              summary.delivered[out.status]++;
              summary.delivered.writes += out.writes;
              summary.delivered.adopted += out.adopted?.length ?? 0;
              summary.delivered.conflicts += out.conflicts?.length ?? 0;
              summary.delivered.twins += out.twins?.length ?? 0;
              for (const ref of out.adopted ?? []) metrics.crmAdoptions.inc({ entity: entityOfRef(ref) });
              for (const c of out.conflicts ?? [])
                metrics.crmConflicts.inc({ entity: entityOfRef(c.entity), field: c.field, kept: c.kept });
            }
            metrics.stageSeconds.observe({ topology, stage: 'load' }, seconds);
            metrics.lastProgress.set({ topology }, Date.now() / 1000);
          },
        }),
        tap(() => metrics.records.inc({ topology, source, stage: 'load', outcome: 'ok' })),
      ),
  };
}
