/**
 * The capabilities of one served app, configured: each capability's state (backends, resolved
 * variables) made once from the runtime config, then what each component's instances get.
 */
import type { App, ComponentSpec } from '../manifest/app.ts';
import type { Capability, Prepared } from './capability.ts';
import { CAPABILITIES, RUNTIME_CONFIG_TABLES } from './registry.ts';
import { RuntimeConfig } from './runtime-config.ts';

export class AppRuntime {
  readonly #app: App;
  readonly #states: Map<Capability, unknown>;

  private constructor(app: App, states: Map<Capability, unknown>) {
    this.#app = app;
    this.#states = states;
  }

  /** Throws CapabilityConfigError for a bad runtime config or a missing required variable. */
  static async start(app: App, runtimeConfigPath?: string): Promise<AppRuntime> {
    const config = runtimeConfigPath
      ? RuntimeConfig.load(runtimeConfigPath, RUNTIME_CONFIG_TABLES)
      : RuntimeConfig.none(app.baseDir);
    const states = new Map<Capability, unknown>();
    try {
      for (const capability of CAPABILITIES)
        if (capability.configure) states.set(capability, await capability.configure(app, config));
    } catch (e) {
      await closeAll(states);
      throw e;
    }
    return new AppRuntime(app, states);
  }

  /** What the instances of `spec` get from each capability; throws CapabilityConfigError. */
  prepare(spec: ComponentSpec): Prepared[] {
    return CAPABILITIES.flatMap((c) => (c.prepare ? [c.prepare(spec, this.#states.get(c), this.#app)] : []));
  }

  async close(): Promise<void> {
    await closeAll(this.#states);
  }
}

async function closeAll(states: Map<Capability, unknown>): Promise<void> {
  await Promise.allSettled([...states].map(([c, state]) => c.close?.(state)));
}
