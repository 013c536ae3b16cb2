/**
 * `--admin-listen HOST:PORT|off` and `--admin-token`: where the admin listener binds and whether it
 * asks for a token. It shows every request and metric, so it binds to loopback unless the operator
 * names another address, and then a token is required: refusing to start beats an open dashboard.
 */
import { BlockList, isIP } from 'node:net';
import { type ParsedOptions, stringOption, UsageError } from '../cli/options.ts';
import { ListenError } from '../triggers/http/server.ts';

/** Loopback, on a port the system picks: never reachable from another machine unless asked. */
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:0';
export const ADMIN_TOKEN_ENV = 'SKIFF_ADMIN_TOKEN';
/** Shorter tokens are guessable by anyone who can reach the port. */
const MIN_TOKEN_LENGTH = 16;

export interface AdminListen {
  host: string;
  port: number;
  /** Required as `Authorization: Bearer …` when set. */
  token: string | undefined;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function parseAdminListen(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new UsageError(
      `--admin-listen ${text}: expected HOST:PORT (e.g. 127.0.0.1:9090; port 0 picks a free one) or off`,
    );
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** The admin listener `skiff up` was asked for, or undefined for `--admin-listen off`. */
export function adminListenOption(
  o: ParsedOptions,
  env: Record<string, string | undefined> = process.env,
): AdminListen | undefined {
  const text = stringOption(o, 'admin-listen') ?? DEFAULT_ADMIN_LISTEN;
  const flagToken = stringOption(o, 'admin-token');
  if (text === 'off') {
    if (flagToken !== undefined)
      throw new UsageError('--admin-token goes with an admin listener, and --admin-listen off turns it off');
    return undefined;
  }
  const { host, port } = parseAdminListen(text);
  const token = flagToken ?? (env[ADMIN_TOKEN_ENV] || undefined);
  const from = flagToken !== undefined ? '--admin-token' : ADMIN_TOKEN_ENV;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new UsageError(
      `${from}: the admin token must be at least ${MIN_TOKEN_LENGTH} characters; make one with: openssl rand -hex 24`,
    );
  if (token === undefined && !isLoopbackHost(host))
    throw new ListenError(
      `--admin-listen ${text} is not a loopback address, and the admin listener shows every request and metric of the server: ` +
        `set a token in ${ADMIN_TOKEN_ENV} (or pass --admin-token), e.g. ${ADMIN_TOKEN_ENV}=$(openssl rand -hex 24), ` +
        'or keep it on loopback with --admin-listen 127.0.0.1:0',
    );
  return { host, port, token };
}
