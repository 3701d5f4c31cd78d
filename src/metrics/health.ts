/**
 * Live/ready state of each source and sink, for /healthz. A component is `connecting` until it
 * first reaches its server, `backing-off` while it cannot (detail: the last error; since: when
 * it went down), `running` when it can, `done` when finished, `failed` when it gave up.
 */
export type ComponentState =
  'starting' | 'connecting' | 'running' | 'backing-off' | 'degraded' | 'draining' | 'done' | 'failed';

export interface ComponentHealth {
  state: ComponentState;
  detail?: string;
  since: string;
}

export interface HealthOptions {
  /** A component that was up may back off this long before the process reports not ready (blips don't flap). */
  graceMs?: number;
  /** Called on every state change (the `component_up` gauge). */
  onChange?: (name: string, state: ComponentState) => void;
  now?: () => number;
}

const upStates: ReadonlySet<ComponentState> = new Set(['running', 'done']);

export class Health {
  private readonly components = new Map<string, ComponentHealth & { at: number; wasUp: boolean }>();

  constructor(private readonly opts: HealthOptions = {}) {}

  /** Components whose server reachability is tracked (see `reach`). */
  private readonly tracked = new Set<string>();

  set(name: string, state: ComponentState, detail?: string): void {
    // A tracked component runs when its tracker says it reached the server, not when it was opened.
    if (state === 'running' && this.tracked.has(name)) return;
    this.apply(name, state, detail);
  }

  /** State from a reachability tracker (core/reachability.ts): connecting, running, backing-off, failed. */
  reach(name: string, state: ComponentState, detail?: string): void {
    this.tracked.add(name);
    this.apply(name, state, detail);
  }

  private apply(name: string, state: ComponentState, detail?: string): void {
    const prev = this.components.get(name);
    if (prev?.state === state && prev.detail === detail) return;
    const now = this.now();
    // A new error while still down updates the detail, not since when the component is down.
    const at = prev?.state === state ? prev.at : now;
    this.components.set(name, {
      state,
      ...(detail === undefined ? {} : { detail }),
      since: new Date(at).toISOString(),
      at,
      wasUp: (prev?.wasUp ?? false) || upStates.has(state),
    });
    if (prev?.state !== state) this.opts.onChange?.(name, state);
  }

  /**
   * Live unless something failed. Ready when every component is up, or was up and has been
   * backing off for less than the grace period.
   */
  report() {
    const now = this.now();
    const grace = this.opts.graceMs ?? 0;
    const all = [...this.components.values()];
    const live = !all.some((c) => c.state === 'failed');
    const ready =
      live &&
      all.length > 0 &&
      all.every((c) => upStates.has(c.state) || (c.state === 'backing-off' && c.wasUp && now - c.at < grace));
    const components = Object.fromEntries(
      [...this.components].map(([name, { state, detail, since }]) => [
        name,
        { state, ...(detail === undefined ? {} : { detail }), since },
      ]),
    );
    return { live, ready, components };
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }
}

/** 1 while a component is up (running or done), 0 otherwise: the `crm_unify_component_up` gauge. */
export function isUp(state: ComponentState): boolean {
  return upStates.has(state);
}
