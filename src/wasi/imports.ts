/**
 * Builds the import object for ONE component instance. All state a guest can reach — env, args,
 * mounts, stdio, outbound grants — lives here, so two instances never share it.
 */
import type { FileMount } from '../manifest/app.ts';
import { cliImports } from './cli.ts';
import { monotonicClockImports, wallClockImports } from './clocks.ts';
import { filesystemImports } from './filesystem/index.ts';
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
import { insecureRandomImports, insecureSeedImports, randomImports } from './random.ts';

export interface InstanceGrants {
  componentId: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  mounts: FileMount[];
  allowedOutboundHosts: string[];
  stdin: ByteSource;
  stdout: ByteSink;
  stderr: ByteSink;
  /** Host log line about this instance (denials and the like). */
  log: (message: string) => void;
}

export interface InstanceImports {
  imports: Record<string, object>;
  /** Flushes guest output and releases host resources once the instance is done. */
  dispose(): void;
}

const httpTypes = {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  httpErrorCode: (error: IoError) => (error instanceof IoError ? error.codes.http : undefined),
};

export function instanceImports(grants: InstanceGrants): InstanceImports {
  const filesystem = filesystemImports(grants.mounts);
  const policy = OutboundPolicy.fromPatterns(grants.allowedOutboundHosts);
  const imports: Record<string, object> = {
    ...cliImports({
      args: grants.args,
      env: Object.entries(grants.env),
      cwd: grants.cwd,
      stdin: grants.stdin,
      stdout: grants.stdout,
      stderr: grants.stderr,
    }),
    'wasi:clocks/monotonic-clock': monotonicClockImports,
    'wasi:clocks/wall-clock': wallClockImports,
    'wasi:filesystem/types': filesystem.types,
    'wasi:filesystem/preopens': filesystem.preopens,
    'wasi:http/types': httpTypes,
    'wasi:http/outgoing-handler': outgoingHandlerImports(policy, grants.log),
    'wasi:io/error': ioErrorImports,
    'wasi:io/poll': pollImports,
    'wasi:io/streams': streamsImports,
    'wasi:random/random': randomImports,
    'wasi:random/insecure': insecureRandomImports,
    'wasi:random/insecure-seed': insecureSeedImports,
  };
  return {
    imports: withDeniedFallback(imports),
    dispose() {
      grants.stdout.close?.();
      grants.stderr.close?.();
      filesystem.dispose();
    },
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
