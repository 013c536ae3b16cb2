/**
 * Builds the import object for ONE component instance. All state a guest can reach — env, args,
 * mounts, stdio, outbound grants — lives here, so two instances never share it. What a component
 * is granted is resolved once (prepareGrants); each instance then only opens its own handles.
 */
import type { Prepared } from '../capabilities/capability.ts';
import type { FileMount } from '../manifest/app.ts';
import { cliImports } from './cli.ts';
import { monotonicClockImports, wallClockImports } from './clocks.ts';
import { filesystemImports, type Preopen, preparePreopens } from './filesystem/index.ts';
import { FutureTrailers, IncomingBody, OutgoingBody } from './http/bodies.ts';
import { Fields } from './http/fields.ts';
import {
  FutureIncomingResponse,
  IncomingRequest,
  IncomingResponse,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
} from './http/messages.ts';
import { OutboundPolicy } from './http/outbound-policy.ts';
import { outgoingHandlerImports } from './http/outgoing-handler.ts';
import { IoError, ioErrorImports } from './io/error.ts';
import { pollImports } from './io/poll.ts';
import type { ByteSink, ByteSource } from './io/streams.ts';
import { streamsImports } from './io/streams.ts';
import { p3Imports } from './p3/imports.ts';
import { bindAddressProblem } from './p3/sockets/grants.ts';
import { SocketSet } from './p3/sockets/index.ts';
import { insecureRandomImports, insecureSeedImports, randomImports } from './random.ts';
import type * as HttpShapes from './shapes/http.ts';
import type { WasiHost, WasiHttpTypes } from './shapes/index.ts';

/** What one component may reach, checked and resolved when it is loaded. */
export interface ComponentGrants {
  env: Record<string, string>;
  preopens: Preopen[];
  outbound: OutboundPolicy;
  /** Local addresses wasi:sockets may bind (`tcp://127.0.0.1:*`); none unless granted. */
  bindAddresses: string[];
  /** What the capabilities with interfaces of their own (key-value, variables, logging) give each instance. */
  capabilities: Prepared[];
}

/** A grant that cannot be honoured, e.g. a mount whose host folder does not exist. */
export class GrantError extends Error {
  override name = 'GrantError';
}

/** Throws a GrantError naming the component and the mount or pattern at fault. */
export function prepareGrants(
  componentId: string,
  granted: {
    environment: Record<string, string>;
    files: FileMount[];
    allowedOutboundHosts: string[];
    allowedBindAddresses?: string[] | undefined;
  },
  capabilities: Prepared[] = [],
): ComponentGrants {
  try {
    return {
      env: { ...granted.environment },
      preopens: preparePreopens(granted.files),
      outbound: OutboundPolicy.fromPatterns(granted.allowedOutboundHosts),
      bindAddresses: checkedBindAddresses(granted.allowedBindAddresses ?? []),
      capabilities,
    };
  } catch (e) {
    throw new GrantError(`component "${componentId}": ${e instanceof Error ? e.message : e}`);
  }
}

function checkedBindAddresses(entries: string[]): string[] {
  for (const entry of entries) {
    const problem = bindAddressProblem(entry);
    if (problem) throw new Error(`allowed bind address ${problem}`);
  }
  return [...entries];
}

/** Per-instance context: who it is, its arguments and where its stdio goes. */
export interface InstanceIo {
  componentId: string;
  args: string[];
  cwd?: string | undefined;
  stdin: ByteSource;
  stdout: ByteSink;
  stderr: ByteSink;
  /** Host log line about this instance (denials and the like). */
  log: (message: string) => void;
  /** A line the guest logged (wasi:logging); host log lines when absent. */
  guestLog?: (line: string) => void;
}

export interface InstanceImports {
  imports: Record<string, object>;
  /** Flushes guest output and releases host resources once the instance is done. */
  dispose(): void;
  /** The same, for an instance that lives on: what the guest opened goes, the grants stay. */
  reset(): void;
}

const httpTypes = {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  // TypeScript checks constructor parameters contravariantly, and these two take Skiff's own Fields
  // (the only `fields` a binder can hand back, since the host made it), not any object of its shape.
  // The assertion keeps the instance type and the arity checked.
  OutgoingRequest: OutgoingRequest as new (headers: HttpShapes.Fields) => OutgoingRequest,
  OutgoingResponse: OutgoingResponse as new (headers: HttpShapes.Fields) => OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  httpErrorCode: (error: IoError) => (error instanceof IoError ? error.codes.http : undefined),
} satisfies WasiHttpTypes;

export function instanceImports(grants: ComponentGrants, io: InstanceIo): InstanceImports {
  const filesystem = filesystemImports(grants.preopens);
  // Disposing the instance ends its waits (timers, outbound requests), so a guest suspended on
  // them resumes, fails and lets go of its memory instead of lingering.
  const stopped = new AbortController();
  const cli = {
    args: io.args,
    env: Object.entries(grants.env),
    cwd: io.cwd,
    stdin: io.stdin,
    stdout: io.stdout,
    stderr: io.stderr,
  };
  const seed = insecureSeedImports();
  const imports = {
    ...cliImports(cli),
    'wasi:clocks/monotonic-clock': monotonicClockImports(stopped.signal),
    'wasi:clocks/wall-clock': wallClockImports,
    'wasi:filesystem/types': filesystem.types,
    'wasi:filesystem/preopens': filesystem.preopens,
    'wasi:http/types': httpTypes,
    'wasi:http/outgoing-handler': outgoingHandlerImports(
      grants.outbound,
      io.log,
      stopped.signal,
      io.componentId,
    ),
    'wasi:io/error': ioErrorImports,
    'wasi:io/poll': pollImports,
    'wasi:io/streams': streamsImports,
    'wasi:random/random': randomImports,
    'wasi:random/insecure': insecureRandomImports,
    'wasi:random/insecure-seed': seed,
  } satisfies WasiHost;
  // wasi:sockets@0.3's sockets: what the guest opened goes with a reset, as its files do.
  const sockets = new SocketSet();
  const context = { componentId: io.componentId, log: io.log, guestLog: io.guestLog ?? io.log };
  const capabilities = grants.capabilities.map((prepared) => prepared.instance(context));
  const release = () => {
    io.stdout.close?.();
    io.stderr.close?.();
    filesystem.dispose();
    sockets.closeAll();
    for (const capability of capabilities) capability.reset?.();
  };
  const dispose = () => {
    release();
    for (const capability of capabilities) capability.dispose?.();
    stopped.abort(new Error(`the instance of ${io.componentId} was stopped`));
  };
  return {
    imports: withDeniedFallback({
      ...imports,
      ...p3Imports(cli, seed, stopped.signal, filesystem.preopens, imports['wasi:http/outgoing-handler'], {
        outbound: grants.outbound,
        bindAddresses: grants.bindAddresses,
        log: io.log,
        open: sockets,
      }),
      ...Object.assign({}, ...capabilities.map((c) => c.imports)),
    }),
    dispose,
    reset: release,
  };
}

/**
 * Interfaces Skiff does not grant (sockets, anything unknown) still resolve at link time, but every
 * function in them traps with a message naming the interface — never a silent open door.
 */
function withDeniedFallback(imports: Record<string, object>): Record<string, object> {
  return new Proxy(imports, {
    get(target, name) {
      if (typeof name !== 'string' || name in target) return Reflect.get(target, name);
      return new Proxy(
        {},
        {
          get(_, member) {
            const denied = function denied() {
              throw new Error(
                `${name}#${String(member)} is not available to this component (Skiff does not grant ${name})`,
              );
            };
            return denied;
          },
        },
      );
    },
  });
}
