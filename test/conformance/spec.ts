/**
 * A conformance test's JSON specification, in either of the suite's two forms (its README.md and
 * the upstream runner, test-runner/wasi_test_runner/test_case.py, are the reference):
 * - legacy: `{ args, env, root, exit_code, stdout, stderr }`, every preview1 test and the WASI 0.3
 *   filesystem tests;
 * - operations: `{ proposals, world, servers, operations }`, executed in order.
 * Both become one list of operations: a legacy spec is `run`, `read stdout`, `read stderr`, `wait`,
 * as the upstream runner reads it. A spec the runner cannot read is an error, not a failing test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

/** The legacy test specification. */
export interface TestSpec {
  args: string[];
  env: Record<string, string>;
  /** Folder relative to the test's folder, preopened as the guest's `/`. */
  root: string | undefined;
  exitCode: number;
  stdout: string | undefined;
  stderr: string | undefined;
}

export type World = 'wasi:cli/command' | 'wasi:http/service';

export interface RunOperation {
  type: 'run';
  args: string[];
  env: Record<string, string>;
  /** Absolute path of the folder preopened as the guest's `/` (a private copy of it is). */
  root: string | undefined;
}
export interface WaitOperation {
  type: 'wait';
  exitCode: number;
}
/** Reads exactly as many bytes as `payload` has from a stream of the guest and compares them. */
export interface ReadOperation {
  type: 'read';
  id: string;
  payload: string;
}
export interface WriteOperation {
  type: 'write';
  id: string;
  payload: string;
}
export interface ConnectOperation {
  type: 'connect';
  id: string;
  protocol: 'tcp' | 'udp' | 'http';
}
export interface SendOperation {
  type: 'send';
  id: string;
  payload: string;
}
export interface RecvOperation {
  type: 'recv';
  id: string;
  payload: string;
}
export interface ExpectedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
export interface RequestOperation {
  type: 'request';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  response: ExpectedResponse;
}
export interface KillOperation {
  type: 'kill';
  signal: NodeJS.Signals;
}

export type Operation =
  | RunOperation
  | WaitOperation
  | ReadOperation
  | WriteOperation
  | ConnectOperation
  | SendOperation
  | RecvOperation
  | RequestOperation
  | KillOperation;

export type EndpointMode = 'static' | 'echo-body' | 'echo-headers';

export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** A chunked reply (`body` is then unused), optionally with trailers. */
  chunks: string[] | undefined;
  trailers: Record<string, string>;
}

export interface Endpoint {
  method: string;
  /** The request target as sent, query included. */
  path: string;
  mode: EndpointMode;
  /** Only for `static`. */
  response: EndpointResponse | undefined;
}

export interface ServerSpec {
  /** Reaches the guest as `HTTP_SERVER_<NAME>` (upper-cased). */
  name: string;
  /** `closed`: an address where nothing listens. */
  kind: 'listening' | 'closed';
  endpoints: Endpoint[];
}

export interface TestConfig {
  format: 'legacy' | 'operations';
  operations: Operation[];
  /** What the host must enable: `http`, `sockets`. */
  proposals: string[];
  world: World;
  servers: ServerSpec[];
}

const LEGACY_KEYS = new Set(['args', 'env', 'root', 'exit_code', 'stdout', 'stderr']);
const OPERATIONS_KEYS = new Set(['operations', 'proposals', 'world', 'servers']);
const WORLDS = new Set<string>(['wasi:cli/command', 'wasi:http/service']);
const PROPOSALS = new Set(['http', 'sockets']);
const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

type Json = Record<string, unknown>;

class SpecError extends Error {
  override name = 'SpecError';
}

/** Reads `X.json` beside `X.wasm` in the legacy form; no file means no arguments and exit 0. */
export function readSpec(jsonPath: string): TestSpec {
  const raw: Json = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
  const unknown = Object.keys(raw).filter((k) => !LEGACY_KEYS.has(k));
  if (unknown.length > 0) throw new SpecError(`${jsonPath}: not a legacy spec (keys ${unknown.join(', ')})`);
  return {
    args: stringList(raw.args, 'args') ?? [],
    env: stringMap(raw.env, 'env') ?? {},
    root: (raw.root as string | null | undefined) ?? undefined,
    exitCode: (raw.exit_code as number | undefined) ?? 0,
    stdout: (raw.stdout as string | null | undefined) ?? undefined,
    stderr: (raw.stderr as string | null | undefined) ?? undefined,
  };
}

/** Reads `X.json` beside `X.wasm` in either form. */
export function readConfig(jsonPath: string): TestConfig {
  const raw: Json = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
  const keys = Object.keys(raw);
  try {
    if (!keys.some((k) => OPERATIONS_KEYS.has(k))) return legacyConfig(readSpec(jsonPath), dirname(jsonPath));
    const stray = keys.filter((k) => !OPERATIONS_KEYS.has(k));
    if (stray.length > 0)
      throw new SpecError(`unknown or legacy keys ${stray.join(', ')} in an operations spec`);
    const world = raw.world ?? 'wasi:cli/command';
    if (typeof world !== 'string' || !WORLDS.has(world))
      throw new SpecError(`unknown world ${String(world)}`);
    const proposals = stringList(raw.proposals, 'proposals') ?? [];
    for (const p of proposals) if (!PROPOSALS.has(p)) throw new SpecError(`unknown proposal ${p}`);
    const servers = list(raw.servers, 'servers').map(serverSpec);
    const names = servers.map((s) => s.name.toUpperCase());
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new SpecError(`two servers named ${duplicate}`);
    const operations = list(raw.operations, 'operations').map((op) => operation(op, dirname(jsonPath)));
    validateOrder(operations);
    return { format: 'operations', operations, proposals, world: world as World, servers };
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${jsonPath}: ${e.message}`);
    throw e;
  }
}

/** As the upstream runner reads a legacy spec: run, then the expected output, then the exit. */
function legacyConfig(spec: TestSpec, folder: string): TestConfig {
  const operations: Operation[] = [
    { type: 'run', args: spec.args, env: spec.env, root: spec.root ? join(folder, spec.root) : undefined },
  ];
  if (spec.stdout !== undefined) operations.push({ type: 'read', id: 'stdout', payload: spec.stdout });
  if (spec.stderr !== undefined) operations.push({ type: 'read', id: 'stderr', payload: spec.stderr });
  operations.push({ type: 'wait', exitCode: spec.exitCode });
  return { format: 'legacy', operations, proposals: [], world: 'wasi:cli/command', servers: [] };
}

function operation(value: unknown, folder: string): Operation {
  const op = object(value, 'an operation');
  const text = (key: string, fallback: string) => string(op[key] ?? fallback, `${String(op.type)}.${key}`);
  switch (op.type) {
    case 'run': {
      const root = op.root ?? null;
      if (root !== null && typeof root !== 'string') throw new SpecError('run.root must be a folder name');
      return {
        type: 'run',
        args: stringList(op.args, 'run.args') ?? [],
        env: stringMap(op.env, 'run.env') ?? {},
        root: root ? join(folder, root) : undefined,
      };
    }
    case 'wait': {
      const exitCode = op.exit_code ?? 0;
      if (!Number.isInteger(exitCode)) throw new SpecError('wait.exit_code must be an integer');
      return { type: 'wait', exitCode: exitCode as number };
    }
    case 'read':
      return { type: 'read', id: text('id', 'stdout'), payload: text('payload', '') };
    case 'write':
      return { type: 'write', id: text('id', 'write'), payload: text('payload', '') };
    case 'connect': {
      const protocol = text('protocol_type', 'tcp');
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'http')
        throw new SpecError(`unknown connect.protocol_type ${protocol}`);
      return { type: 'connect', id: text('id', 'server'), protocol };
    }
    case 'send':
    case 'recv':
      if (op.id === undefined) throw new SpecError(`${op.type} needs an id`);
      return { type: op.type, id: text('id', ''), payload: text('payload', '') };
    case 'request': {
      const response = object(op.response ?? {}, 'request.response');
      return {
        type: 'request',
        method: text('method', 'GET'),
        path: text('path', '/'),
        headers: stringMap(op.headers, 'request.headers') ?? {},
        body: text('body', ''),
        response: {
          status: integer(response.status ?? 200, 'request.response.status'),
          headers: stringMap(response.headers, 'request.response.headers') ?? {},
          body: string(response.body ?? '', 'request.response.body'),
        },
      };
    }
    case 'kill': {
      const signal = text('signal', 'SIGTERM');
      if (!(signal in constants.signals)) throw new SpecError(`unknown signal ${signal}`);
      return { type: 'kill', signal: signal as NodeJS.Signals };
    }
    default:
      throw new SpecError(`unknown operation type ${String(op.type)}`);
  }
}

/**
 * The order the upstream runner's validator asks for: every operation but `run` needs a running
 * guest, `read` takes stdout or stderr, `write` stdin, `send`/`recv` a connected peer, and the
 * spec ends with the guest waited for.
 */
function validateOrder(operations: Operation[]): void {
  let running = false;
  const peers = new Set<string>();
  for (const [index, op] of operations.entries()) {
    const where = `operation ${index + 1} (${op.type})`;
    if (op.type === 'run') {
      if (running) throw new SpecError(`${where}: the guest is still running`);
      running = true;
      continue;
    }
    if (!running) throw new SpecError(`${where}: no guest is running`);
    if (op.type === 'wait') {
      running = false;
      peers.clear();
    } else if (op.type === 'read' && op.id !== 'stdout' && op.id !== 'stderr')
      throw new SpecError(`${where}: cannot read from ${op.id}`);
    else if (op.type === 'write' && op.id !== 'stdin')
      throw new SpecError(`${where}: cannot write to ${op.id}`);
    else if (op.type === 'connect') {
      if (peers.has(op.id)) throw new SpecError(`${where}: ${op.id} is already connected`);
      peers.add(op.id);
    } else if ((op.type === 'send' || op.type === 'recv') && !peers.has(op.id))
      throw new SpecError(`${where}: ${op.id} is not connected`);
  }
  if (running) throw new SpecError('the spec ends with the guest still running (no wait)');
}

function serverSpec(value: unknown): ServerSpec {
  const server = object(value, 'a server');
  const name = server.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_]+$/.test(name))
    throw new SpecError(`a server name must be letters, digits or _ (got ${String(name)})`);
  const kind = server.kind ?? 'listening';
  if (kind === 'closed') {
    if (server.endpoints !== undefined) throw new SpecError(`closed server ${name} takes no endpoints`);
    return { name, kind, endpoints: [] };
  }
  if (kind !== 'listening') throw new SpecError(`server ${name}: unknown kind ${String(kind)}`);
  return { name, kind, endpoints: list(server.endpoints, `${name}.endpoints`).map(endpoint) };
}

function endpoint(value: unknown): Endpoint {
  const ep = object(value, 'an endpoint');
  const method = string(ep.method ?? 'GET', 'endpoint.method').toUpperCase();
  if (!HTTP_METHODS.has(method)) throw new SpecError(`unknown endpoint method ${method}`);
  const path = string(ep.path ?? '/', 'endpoint.path');
  const mode = ep.mode ?? 'static';
  if (mode !== 'static' && mode !== 'echo-body' && mode !== 'echo-headers')
    throw new SpecError(`unknown endpoint mode ${String(mode)}`);
  if (mode !== 'static') {
    if (ep.response !== undefined) throw new SpecError(`an ${mode} endpoint takes no response`);
    return { method, path, mode, response: undefined };
  }
  return { method, path, mode, response: endpointResponse(ep.response ?? '') };
}

function endpointResponse(value: unknown): EndpointResponse {
  // A string is short for `{ status: 200, body: "…" }`.
  if (typeof value === 'string')
    return { status: 200, headers: {}, body: value, chunks: undefined, trailers: {} };
  const response = object(value, 'an endpoint response');
  const chunks = stringList(response.chunks, 'response.chunks');
  if (chunks && response.body !== undefined)
    throw new SpecError("a response takes 'body' or 'chunks', not both");
  const trailers = stringMap(response.trailers, 'response.trailers') ?? {};
  if (Object.keys(trailers).length > 0 && !chunks) throw new SpecError('trailers need chunks');
  return {
    status: integer(response.status ?? 200, 'response.status'),
    headers: stringMap(response.headers, 'response.headers') ?? {},
    body: string(response.body ?? '', 'response.body'),
    chunks,
    trailers,
  };
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SpecError(`${what} must be an object`);
  return value as Json;
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SpecError(`${what} must be a list`);
  return value;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SpecError(`${what} must be a string`);
  return value;
}

function integer(value: unknown, what: string): number {
  if (!Number.isInteger(value)) throw new SpecError(`${what} must be an integer`);
  return value as number;
}

function stringList(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new SpecError(`${what} must be a list of strings`);
  return value;
}

function stringMap(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const map = object(value, what);
  if (!Object.values(map).every((v) => typeof v === 'string'))
    throw new SpecError(`${what} must map names to strings`);
  return map as Record<string, string>;
}
