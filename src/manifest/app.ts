/**
 * The normalized application: the only thing the runtime reads.
 * Produced from skiff.toml (or from CLI flags for `skiff up --component`); every path is absolute.
 */

/** Where a value came from, for error messages: `skiff.toml:12`. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface App {
  /** Absolute path of the manifest, or undefined when the app was built from CLI flags. */
  manifestPath: string | undefined;
  /** Folder that relative paths in the manifest are resolved against. */
  baseDir: string;
  name: string;
  version: string | undefined;
  description: string | undefined;
  /** Keyed by component id, in manifest order. */
  components: Map<string, ComponentSpec>;
  /**
   * Every trigger, in manifest order, each tagged with its type (`http` so far; messaging and cron
   * fit beside it). For HTTP the router decides precedence.
   */
  triggers: TriggerSpec[];
  /** The app's variables (`[variables]`), by name; components see them through templates. */
  variables?: Record<string, VariableSpec> | undefined;
}

/** `name = { default = "…", required = true, secret = true }` in `[variables]`. */
export interface VariableSpec {
  default?: string;
  /** Must come from a provider (environment, `.env`): `skiff up` refuses to start without it. */
  required: boolean;
  /** Never written to logs, errors or `inspect` output. */
  secret: boolean;
  where: SourceLocation | undefined;
}

export interface ComponentSpec {
  id: string;
  /** Absolute path of the component's .wasm file. */
  source: string;
  description: string | undefined;
  /** The only environment variables the guest sees. */
  environment: Record<string, string>;
  /** Host folders or files mounted into the guest. */
  files: FileMount[];
  /** Outbound destinations the guest may reach, e.g. `https://example.com:443`, `http://127.0.0.1:*`. */
  allowedOutboundHosts: string[];
  /** Local addresses wasi:sockets may bind, e.g. `tcp://127.0.0.1:8080`, `udp://[::1]:*`; none when absent. */
  allowedBindAddresses?: string[] | undefined;
  /** Key-value store labels the component may open (`key_value_stores`); none when absent. */
  keyValueStores?: string[] | undefined;
  /** Its variables (`variables = { name = "{{ app_var }}" }`): templates over the app's variables. */
  variables?: Record<string, string> | undefined;
  build: BuildSpec | undefined;
  /** How instances are made and kept; undefined means the default (fresh, pre-warmed). */
  lifecycle?: LifecycleSpec | undefined;
  /** What the manifest asks for this component; the host's flags override, defaults fill the rest. */
  limits?: ComponentLimits | undefined;
  /**
   * WASI 0.3 HTTP middleware in front of this component, outermost first: ids of components that
   * import and export `wasi:http/handler`, each calling the next, the last calling this one.
   */
  middleware?: string[] | undefined;
  where: SourceLocation | undefined;
}

/**
 * `fresh`: every request gets a brand-new instance (isolation first), made ahead of time by a
 * pre-warmed pool. `reuse`: an instance serves up to `maxRequests` requests one after another
 * (guest state survives between them), and is dropped after `idleTimeoutMs` without work.
 */
export type LifecycleSpec =
  | { mode: 'fresh'; prewarm: number }
  | {
      mode: 'reuse';
      maxRequests: number;
      idleTimeoutMs: number;
      /** Requests one WASI 0.3 instance serves at once (0.2 instances serve one at a time). */
      concurrency?: number;
    };

/** Spin 4's defaults for reused instances: 128 requests, 1 s idle (and 16 at once for WASI 0.3). */
export const DEFAULT_REUSE = {
  mode: 'reuse',
  maxRequests: 128,
  idleTimeoutMs: 1000,
} as const satisfies LifecycleSpec;
/** Enough ready instances to absorb a burst on one core without instantiating on the request path. */
export const DEFAULT_FRESH = { mode: 'fresh', prewarm: 4 } as const satisfies LifecycleSpec;

/**
 * Per-component limits, named as the CLI flags are (`timeout` / `--timeout`, `max_cpu` /
 * `--max-cpu`, `max_memory` /
 * `--max-memory`, `max_concurrent` / `--max-concurrent`). Unset fields take the host's value.
 */
export interface ComponentLimits {
  /** Wall-clock limit of one request, streaming included. */
  timeoutMs?: number;
  /** Guest CPU time of one request (time suspended on I/O not counted). */
  maxCpuMs?: number;
  /** Cap of each linear memory of an instance. */
  maxMemoryBytes?: number;
  /** Requests handled at once (per worker) before 503. */
  maxConcurrent?: number;
}

export interface FileMount {
  /** Absolute host path (a folder or a single file). */
  hostPath: string;
  /** Absolute path inside the guest, e.g. `/static`. */
  guestPath: string;
  /** Read-only unless the manifest says `read_only = false` / the CLI says `HOST::GUEST::rw`. */
  readOnly: boolean;
}

export interface BuildSpec {
  command: string;
  /** Absolute working directory. */
  workdir: string;
  watch: string[];
}

/** What makes a component run: one entry per `[[trigger.<type>]]` table. */
export type TriggerSpec = HttpRouteSpec;

/** The HTTP triggers of `app`, in manifest order. */
export const httpRoutesOf = (app: Pick<App, 'triggers'>): HttpRouteSpec[] =>
  app.triggers.filter((t): t is HttpRouteSpec => t.type === 'http');

export type HttpRouteSpec = {
  type: 'http';
  /** A public route such as `/`, `/cart`, `/users/:id`, `/static/...`, or `private` for no public route. */
  route: string | { private: true };
  component: string;
  where: SourceLocation | undefined;
};
