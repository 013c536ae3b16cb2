/**
 * What `skiff --help`, `skiff COMMAND --help` and `skiff --version` print. Each command's text
 * lists exactly the options it takes (commands.test.ts checks them against the parsers' specs).
 */
import { readFileSync } from 'node:fs';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const USAGE = `skiff ${VERSION} — serve and run WebAssembly components

  skiff up       serve a skiff.toml app (or one component) over HTTP
  skiff run      run a command component: FILE.wasm [ARGS...]
  skiff inspect  what a component imports and exports

  skiff COMMAND --help   the command's options, with examples
  skiff --version
`;

export const COMMAND_HELP: Record<string, string> = {
  up: `skiff up [OPTIONS] — serve an app over HTTP; prints "Serving http://HOST:PORT", then its routes

  --from PATH                 a skiff.toml, or a folder holding one (default ./skiff.toml)
  --component FILE.wasm       serve one component, no manifest; --route ROUTE (default /...)
  --route ROUTE               with --component: the route, e.g. '/api/...'
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

 Examples:
  skiff up --from examples/hello
  skiff up --component app.wasm --route '/api/...' --listen 127.0.0.1:0
  skiff up --from examples/visitors --runtime-config examples/visitors/redis.toml
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
