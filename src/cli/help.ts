/**
 * What `skiff --help`, `skiff COMMAND --help` and `skiff --version` print. Each command's text
 * lists exactly the options it takes (commands.test.ts checks them against the parsers' specs).
 */
import { readFileSync } from 'node:fs';
import { TEMPLATES } from './templates.ts';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const TEMPLATE_IDS = TEMPLATES.map((t) => t.id).join(', ');

export const USAGE = `skiff ${VERSION} — serve and run WebAssembly components

  skiff new      start an app from a template: TEMPLATE NAME (--list shows them)
  skiff build    run the build commands of an app's components
  skiff up       serve a skiff.toml app (or one component) over HTTP
  skiff run      run a command component: FILE.wasm [ARGS...]
  skiff inspect  what a component imports and exports
  skiff types    TypeScript declarations of a component's exports, for loadComponent
  skiff profile  a guest CPU flame graph of a component in a running skiff up

  skiff COMMAND --help   the command's options, with examples
  skiff --version
`;

export const COMMAND_HELP: Record<string, string> = {
  new: `skiff new TEMPLATE NAME — create the folder NAME holding an app made from TEMPLATE: its
skiff.toml, the handler's source and its build setup (NAME must not exist, or be empty)

  --list                      the templates, with the tools each needs

 Templates: ${TEMPLATE_IDS}

 Example:
  skiff new http-rust hello && skiff build --from hello && skiff up --from hello
`,
  build: `skiff build [--from PATH] — run each component's [component.ID.build] command, in manifest
order, in the manifest's folder (or the build's workdir); one line per component with its time. A
failed build prints the tool's output and exits 1; a missing tool is named with how to install it

  --from PATH                 a skiff.toml, or a folder holding one (default ./skiff.toml)

 Examples:
  skiff build --from hello
  skiff up --from hello --build          (builds, then serves)
`,
  up: `skiff up [OPTIONS] — serve an app over HTTP; prints "Serving http://HOST:PORT", then its routes

  --from PATH                 a skiff.toml, or a folder holding one (default ./skiff.toml)
  --component FILE.wasm       serve one component, no manifest; --route ROUTE (default /...)
  --route ROUTE               with --component: the route, e.g. '/api/...'
  --build                     run the components' build commands first (as skiff build)
  --watch                     rebuild and swap in a component when its build's watch files
                              (or its .wasm) change; in-flight requests finish on the old one
  --listen HOST:PORT          default 127.0.0.1:3000; port 0 picks a free port
  --runtime-config FILE       where key-value stores live (Redis, NATS); default SQLite in .skiff/

 Grants (added to every component):
  --env K=V                   an environment variable the guest sees (repeatable)
  --dir HOST::GUEST[::rw]     mount a host folder, read-only unless ::rw (repeatable)
  --allow-outbound URL        a host the guest may call, e.g. https://example.com:443 (repeatable)
  --allow-bind tcp://IP:PORT  an address a WASI 0.3 guest may bind (repeatable)

 Limits (each overrides the manifest's):
  --timeout 30s               wall-clock time per request
  --max-cpu 5s                guest CPU per request (time suspended on I/O not counted)
  --max-memory 128MiB         per linear memory of an instance
  --max-concurrent N          requests at once per component and worker, then 503
  --host-max-concurrent N     requests at once per worker, all components
  --max-body 1MiB             request body size, then 413
  --time-slice 2ms|off        how long a guest computes before others on its worker run

 Instances and workers:
  --lifecycle fresh|reuse     a new instance per request, or instances that serve many
  --prewarm N                 (fresh) instances made ahead of requests
  --max-requests N            (reuse) requests per instance
  --idle-timeout 1s           (reuse) how long an idle instance is kept
  --instance-concurrency N    (reuse, WASI 0.3) requests one instance serves at once
  --workers N                 processes serving the port (default: one per core)
  --binder skiff|jco          which component binder runs the guests
  --log-requests              one log line per request, with wall and CPU time
  --log-format json|pretty    JSON lines (default when stdout is not a terminal) or text;
                              also SKIFF_LOG_FORMAT. Traces: set OTEL_EXPORTER_OTLP_ENDPOINT

 Admin listener (metrics at /metrics, the dashboard at /; printed as "Admin http://HOST:PORT"):
  --admin-listen HOST:PORT    default 127.0.0.1:0 (loopback, a free port); off turns it off
  --admin-token TOKEN         required as Authorization: Bearer TOKEN (or set SKIFF_ADMIN_TOKEN);
                              needed to listen on any address but loopback

 Examples:
  skiff up --from examples/hello
  skiff up --from hello --build --watch
  skiff up --component app.wasm --route '/api/...' --listen 127.0.0.1:0
  skiff up --from examples/visitors --runtime-config examples/visitors/redis.toml
  SKIFF_ADMIN_TOKEN=$(openssl rand -hex 24) skiff up --from examples/hello --admin-listen 0.0.0.0:9090
`,
  run: `skiff run [OPTIONS] FILE.wasm [ARGS...] — run a command component; exits with its exit code

  Options go before the file; everything after it goes to the guest.
  --env K=V                   an environment variable the guest sees (repeatable)
  --dir HOST::GUEST[::rw]     mount a host folder, read-only unless ::rw (repeatable)
  --allow-outbound URL        a host the guest may call (repeatable)
  --allow-bind tcp://IP:PORT  an address a WASI 0.3 guest may bind (repeatable)
  --timeout 2s                wall-clock limit (none by default)
  --max-cpu 1s                CPU limit; past it the exit code is 152 (none by default)
  --max-memory 64MiB          per linear memory
  --time-slice 2ms|off        time slicing of the guest's computation
  --binder skiff|jco          which component binder runs the guest
  --log-format json|pretty    the host's own lines on stderr (a trap, a limit) as JSON or text

 Example:
  skiff run --dir .::/work fixtures/rust/cli/cli.wasm --cat /work/README.md
`,
  inspect: `skiff inspect [--json] FILE.wasm — a component's imports and exports (as WIT), size and
producers, and whether Skiff provides every interface it imports (naming what would provide the rest)

  --json                      the same as one JSON object on stdout:
                                file, kind ("component" | "core-module"), size (bytes),
                                producers { field: [{ name, version }] },
                                imports [{ name, interface, version, kind, provided,
                                           providedBy, grant, hint }],
                                exports [{ name, interface, version, kind }],
                                skiffProvidesAllImports, unprovidedImports [{ name, hint }],
                                wit (the world as WIT text; null for a core module)
                              a core module's imports and exports are [{ module, name, kind }]

 Examples:
  skiff inspect fixtures/rust/hello/hello.wasm
  skiff inspect --json fixtures/rust/spin-kv/spin-kv.wasm
`,
  profile: `skiff profile --component ID [OPTIONS] — sample a component's guest code in a running
skiff up (every worker) and write its flame graph: the guest's own functions by name, host work
grouped. The server is found by itself when one running skiff up serves the component

  --component ID              the component to profile (required)
  --seconds 5                 how long to sample, 1 to 60
  --out FILE, -o FILE         where to write it (default profile-ID.html)
  --format html|folded|json   a flame-graph page, folded stacks (flamegraph.pl, speedscope) or JSON
  --admin URL                 the server's admin address (the "Admin http://…" line of skiff up)
  --admin-token TOKEN         when the admin listener asks for one (or set SKIFF_ADMIN_TOKEN)

 Example:
  skiff profile --component hello-rust --seconds 5 -o profile.html
`,
  types: `skiff types FILE.wasm [-o OUT.d.ts] — TypeScript declarations of a component's exports as
loadComponent (import { loadComponent } from 'skiff-wasm') shows them: each exported interface,
function and resource class, with jco's mapping of WIT values to JS; on stdout unless -o is given

  --out FILE, -o FILE         write the declarations to FILE (e.g. plugin.d.ts)

 Example:
  skiff types fixtures/rust/plugin/plugin.wasm -o plugin.d.ts
  then: const plugin = await loadComponent<Exports>('plugin.wasm', { timeout: '50ms' })
`,
};

/** `--help` or `-h` where it is the command's own (for \`run\`, only before the file). */
export function asksForHelp(command: string, argv: readonly string[]): boolean {
  const isHelp = (a: string) => a === '--help' || a === '-h';
  if (command !== 'run') return argv.some(isHelp);
  for (const arg of argv) {
    if (isHelp(arg)) return true;
    if (!arg.startsWith('-')) return false;
  }
  return false;
}
