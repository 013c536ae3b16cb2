/**
 * The WASI 0.3 interfaces of one instance, keyed `wasi:pkg/iface@0.3` (every 0.3.x under one
 * name, as 0.2.x share theirs). They live beside the 0.2 ones in the same import object.
 */
import type { CliState } from '../cli.ts';
import { OutboundPolicy } from '../http/outbound-policy.ts';
import type { WasiFilesystemPreopens } from '../shapes/filesystem.ts';
import type { WasiHttpOutgoingHandler } from '../shapes/http.ts';
import type { WasiHostP3 } from '../shapes/p3.ts';
import type { WasiRandomInsecureSeed } from '../shapes/random.ts';
import { cliImportsP3 } from './cli.ts';
import { monotonicClockImports, systemClockImports } from './clocks.ts';
import { filesystemImportsP3 } from './filesystem.ts';
import { httpClientP3 } from './http-client.ts';
import { httpTypesP3 } from './http-types.ts';
import { insecureRandomImports, insecureSeedImportsP3, randomImports } from './random.ts';
import { type SocketSet, socketsImportsP3 } from './sockets/index.ts';
import { stdioImportsP3 } from './stdio.ts';

/** `preopens` are the instance's 0.2 ones: 0.3 descriptors wrap theirs (the same sandbox and handles). */
export function p3Imports(
  cli: CliState,
  seed: WasiRandomInsecureSeed,
  stopped: AbortSignal,
  preopens: WasiFilesystemPreopens,
  outgoing: WasiHttpOutgoingHandler,
  sockets: {
    outbound: OutboundPolicy;
    bindAddresses: string[];
    log: (message: string) => void;
    /** The instance's open sockets, closed when it is reset. */
    open?: SocketSet;
  } = {
    outbound: OutboundPolicy.deny(),
    bindAddresses: [],
    log: () => {},
  },
): WasiHostP3 {
  const filesystem = filesystemImportsP3(preopens);
  const net = socketsImportsP3(sockets.outbound, sockets.bindAddresses, sockets.log, stopped, sockets.open);
  return {
    ...cliImportsP3(cli),
    ...stdioImportsP3(cli),
    'wasi:clocks/monotonic-clock@0.3': monotonicClockImports(stopped),
    'wasi:clocks/system-clock@0.3': systemClockImports,
    'wasi:filesystem/types@0.3': filesystem.types,
    'wasi:filesystem/preopens@0.3': filesystem.preopens,
    'wasi:http/types@0.3': httpTypesP3,
    'wasi:http/client@0.3': httpClientP3(outgoing),
    'wasi:random/random@0.3': randomImports,
    'wasi:random/insecure@0.3': insecureRandomImports,
    'wasi:random/insecure-seed@0.3': insecureSeedImportsP3(seed),
    'wasi:sockets/types@0.3': net.types,
    'wasi:sockets/ip-name-lookup@0.3': net.ipNameLookup,
  } satisfies WasiHostP3;
}
