/**
 * Every capability Skiff has, in one list: the manifest loader asks each for its keys, the server
 * configures and prepares each for the components it serves. Adding one is a folder and a line here.
 */
import type { Capability } from './capability.ts';
import { environment } from './environment/index.ts';
import { files } from './files/index.ts';
import { keyValue } from './key-value/index.ts';
import { logging } from './logging/index.ts';
import { outboundNetwork } from './outbound-http/index.ts';
import { variables } from './variables/index.ts';

export const CAPABILITIES: readonly Capability[] = [
  environment,
  files,
  outboundNetwork,
  keyValue,
  variables,
  logging,
];

/** The host functions of capabilities a guest suspends on (`interface#function`). */
export const CAPABILITY_SUSPENDING_IMPORTS: readonly string[] = CAPABILITIES.flatMap(
  (c) => c.suspendingImports ?? [],
);

/** The runtime-config tables some capability reads. */
export const RUNTIME_CONFIG_TABLES: readonly string[] = CAPABILITIES.flatMap(
  (c) => c.runtimeConfigTables ?? [],
);
