/** Live/ready state of each source and sink, for /healthz. */
export type ComponentState = 'starting' | 'running' | 'degraded' | 'draining' | 'done' | 'failed';

export interface ComponentHealth {
  state: ComponentState;
  detail?: string;
  since: string;
}

export class Health {
  private readonly components = new Map<string, ComponentHealth>();

  set(name: string, state: ComponentState, detail?: string): void {
    const prev = this.components.get(name);
    if (prev?.state === state && prev.detail === detail) return;
    this.components.set(name, { state, ...(detail === undefined ? {} : { detail }), since: new Date().toISOString() });
  }

  /** Live unless something failed; ready when every component runs (or finished). */
  report() {
    const components = Object.fromEntries(this.components);
    const states = [...this.components.values()].map((c) => c.state);
    const live = !states.includes('failed');
    const ready = live && states.length > 0 && states.every((s) => s === 'running' || s === 'done');
    return { live, ready, components };
  }
}
