/** Grants given on the command line or by an embedder, added to every component of an app. */
import type { App, FileMount } from './app.ts';

export interface ExtraGrants {
  environment: Record<string, string>;
  files: FileMount[];
  allowedOutboundHosts: string[];
  allowedBindAddresses: string[];
}

/** Adds `grants` to every component, as `spin up --env` does; the manifest's own grants stay. */
export function addGrants(app: App, grants: ExtraGrants): App {
  for (const spec of app.components.values()) {
    Object.assign(spec.environment, grants.environment);
    spec.files.push(...grants.files);
    spec.allowedOutboundHosts.push(...grants.allowedOutboundHosts);
    if (grants.allowedBindAddresses.length > 0)
      spec.allowedBindAddresses = [...(spec.allowedBindAddresses ?? []), ...grants.allowedBindAddresses];
  }
  return app;
}
