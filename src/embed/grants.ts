/** What an embedder grants, in the manifest's terms: nothing unless named (deny by default). */
import { resolve } from 'node:path';
import type { ExtraGrants } from '../manifest/add-grants.ts';
import type { FileMount } from '../manifest/app.ts';

/** A host folder the guests see, read-only unless `writable`. */
export interface DirGrant {
  host: string;
  /** The path inside the guest; the host path when absent. */
  guest?: string;
  writable?: boolean;
}

export interface GrantOptions {
  /** Environment variables the guest sees; none by default. */
  env?: Record<string, string>;
  /** Host folders the guest sees; none by default. */
  dirs?: DirGrant[];
  /** Hosts the guest may call, e.g. `https://api.example.com:443`; none by default. */
  allowOutbound?: string[];
}

export function grantsOf(options: GrantOptions): ExtraGrants {
  return {
    environment: { ...options.env },
    files: (options.dirs ?? []).map(
      (dir): FileMount => ({
        hostPath: resolve(dir.host),
        guestPath: dir.guest ?? resolve(dir.host),
        readOnly: !dir.writable,
      }),
    ),
    allowedOutboundHosts: [...(options.allowOutbound ?? [])],
    allowedBindAddresses: [],
  };
}
