/**
 * The key-value backends a runtime-config file can name (`type = "redis"`); nothing else lists
 * them. Each backend loads its client library on first use, so listing them here costs nothing.
 */
import { closestMatch } from '../../../manifest/keys.ts';
import { CapabilityConfigError } from '../../capability.ts';
import {
  type BackendContext,
  type KeyValueBackend,
  type KeyValueBackendType,
  KeyValueError,
} from '../backend.ts';
import { nats } from './nats.ts';
import { redis } from './redis.ts';
import { sqlite } from './sqlite.ts';

export const KEY_VALUE_BACKENDS: Record<string, KeyValueBackendType> = { sqlite, redis, nats };

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * The backend `type` with `config` (its table without `type`); a CapabilityConfigError naming
 * `context.where` for an unknown type, an unknown key or a bad value, so the CLI reports it as the
 * configuration mistake it is.
 */
export function createKeyValueBackend(
  type: string,
  config: Record<string, unknown>,
  context: BackendContext,
): KeyValueBackend {
  const known = Object.keys(KEY_VALUE_BACKENDS);
  const backend = Object.hasOwn(KEY_VALUE_BACKENDS, type) ? KEY_VALUE_BACKENDS[type] : undefined;
  if (!backend) {
    const near = closestMatch(type, known);
    throw new CapabilityConfigError(
      `${context.where}: unknown key-value store type "${type}"${near ? `; did you mean "${near}"?` : ''} (types: ${quoted(known)})`,
    );
  }
  for (const key of Object.keys(config)) {
    if (backend.keys.includes(key)) continue;
    const near = closestMatch(key, backend.keys);
    throw new CapabilityConfigError(
      `${context.where}: unknown key "${key}" for a ${type} key-value store${near ? `; did you mean "${near}"?` : ''} (keys: ${quoted(['type', ...backend.keys])})`,
    );
  }
  try {
    return backend.create(config, context);
  } catch (e) {
    if (e instanceof KeyValueError) throw new CapabilityConfigError(e.message, { cause: e });
    throw e;
  }
}
