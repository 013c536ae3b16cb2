/**
 * Environment variables: `environment = { NAME = "value" }` in `[component.X]` (and `--env` on the
 * command line) are the only variables a guest sees; the host's own never reach it. The WASI host
 * (src/wasi/cli.ts) serves them.
 */

import { describeValue } from '../../manifest/checker.ts';
import type { Capability, ComponentTable } from '../capability.ts';

export const environment: Capability = {
  name: 'environment',
  componentKeys: ['environment'],
  validate: (at) => ({ environment: validateEnvironment(at) }),
};

/** The only variables the guest sees, so values must be strings: `PORT = 8080` would be ambiguous. */
function validateEnvironment({
  checker,
  component,
  path: componentPath,
  spot,
}: ComponentTable): Record<string, string> {
  const table = checker.table(
    component,
    'environment',
    componentPath,
    spot,
    'environment = { NAME = "value" }',
  );
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(table ?? {})) {
    const where = [...componentPath, 'environment', name];
    if (name === '' || /[=\0]/.test(name)) {
      checker.report(
        where,
        `invalid environment variable name "${name}" in ${spot}`,
        'names may not be empty or contain "=" or NUL',
      );
    } else if (typeof value !== 'string') {
      const quoted = typeof value === 'number' || typeof value === 'boolean' ? `"${value}"` : '"…"';
      checker.report(
        where,
        `environment variable "${name}" in ${spot} must be a string, got ${describeValue(value)}`,
        `quote it: ${name} = ${quoted}`,
      );
    } else {
      environment[name] = value;
    }
  }
  return environment;
}
