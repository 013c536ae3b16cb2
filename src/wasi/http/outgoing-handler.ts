/**
 * `wasi:http/outgoing-handler` — outbound requests, only to destinations the component was granted.
 * Bodies stream both ways; nothing is buffered whole.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { readableSource, writableSink } from '../io/node-streams.ts';
import { StreamFailure } from '../io/streams.ts';
import { ResultError } from '../result-error.ts';
import type { WasiHttpOutgoingHandler } from '../shapes/http.ts';
import { IncomingBody } from './bodies.ts';
import { fieldsFromNode, fieldsToNode, fieldsToPairs } from './fields.ts';
import {
  type ErrorCode,
  FutureIncomingResponse,
  IncomingResponse,
  methodToString,
  type OutgoingRequest,
  type RequestOptions,
  schemeToString,
} from './messages.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

/** The error code our DNS check fails a connection with. */
const PROHIBITED = 'ESKIFF_PROHIBITED_ADDRESS';

/** wasmtime's default too: a request without a scheme goes out over TLS. */
const DEFAULT_SCHEME = 'https';

function errorCodeFor(e: NodeJS.ErrnoException): ErrorCode {
  switch (e.code) {
    case PROHIBITED:
      return { tag: 'destination-IP-prohibited' };
    case 'ECONNREFUSED':
      return { tag: 'connection-refused' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { tag: 'DNS-error', val: { rcode: e.code, infoCode: undefined } };
    case 'ETIMEDOUT':
      return { tag: 'connection-timeout' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { tag: 'connection-terminated' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { tag: 'destination-unavailable' };
    default:
      if (e.code?.startsWith('ERR_TLS') || e.code?.includes('CERT')) return { tag: 'TLS-certificate-error' };
      return { tag: 'internal-error', val: e.message };
  }
}

const nsToMs = (ns: bigint | undefined): number | undefined =>
  ns === undefined ? undefined : Number(ns / 1_000_000n);

/** `stopped` cancels the instance's requests in flight when it is disposed. */
export function outgoingHandlerImports(
  policy: OutboundPolicy,
  describe: (message: string) => void,
  stopped: AbortSignal,
): WasiHttpOutgoingHandler {
  return {
    handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse {
      const scheme = request.scheme() ? schemeToString(request.scheme()) : DEFAULT_SCHEME;
      const authority = request.authority();
      if (!authority || (scheme !== 'http' && scheme !== 'https')) {
        throw new ResultError<ErrorCode>({ tag: 'HTTP-request-URI-invalid' });
      }
      const url = new URL(`${scheme}://${authority}`);
      const port = Number(url.port || (scheme === 'https' ? 443 : 80));
      if (!policy.allows(scheme, url.hostname, port)) {
        describe(
          `outbound request to ${scheme}://${authority} denied: add "${scheme}://${authority}" to allowed_outbound_hosts`,
        );
        throw new ResultError<ErrorCode>({ tag: 'HTTP-request-denied' });
      }
      // A request that declares a body it can never send would leave the server waiting for it.
      const declared = request.outgoingBody.declaredLength;
      if (!request.bodyTaken && declared) {
        describe(
          `outbound request to ${scheme}://${authority} refused: it declares content-length: ${declared} but its body was never taken`,
        );
        throw new ResultError<ErrorCode>({ tag: 'HTTP-request-body-size', val: 0n });
      }
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const prohibited = (address: string) => {
        describe(
          `outbound request to ${scheme}://${authority} denied: ${hostname} is ${address}, a loopback, private or link-local address; ` +
            `grant it by address ("${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}") if that is really meant`,
        );
      };
      if (isIP(hostname) && !policy.allowsAddress(scheme, hostname, port, hostname)) {
        prohibited(hostname);
        throw new ResultError<ErrorCode>({ tag: 'destination-IP-prohibited' });
      }
      // Names are checked again after DNS: a granted name must not lead to an internal address.
      const lookup: LookupFunction = (name, lookupOptions, callback) => {
        dnsLookup(name, { ...lookupOptions, all: true }, (error, addresses) => {
          if (error) return callback(error, '', 0);
          const allowed = addresses.filter((a) => policy.allowsAddress(scheme, hostname, port, a.address));
          const first = addresses[0];
          if (allowed.length === 0 && first) {
            prohibited(first.address);
            return callback(
              Object.assign(new Error(`${name} resolves to a prohibited address`), { code: PROHIBITED }),
              '',
              0,
            );
          }
          if (lookupOptions.all)
            return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
          const pick = allowed[0] as LookupAddress;
          callback(null, pick.address, pick.family);
        });
      };
      const client = scheme === 'https' ? https : http;
      const outgoing = client.request({
        lookup,
        method: methodToString(request.method()),
        hostname,
        port,
        path: request.pathWithQuery() ?? '/',
        // Host is the host's: always the authority the guest asked for (a guest's own `host` never
        // leaves fieldsToNode), as Node adds none when headers come as a flat list.
        headers: ['host', authority, ...fieldsToNode(request.headers())],
        timeout: nsToMs(options?.connectTimeout()),
        signal: stopped,
      });
      const response = new Promise<{ tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }>(
        (resolve) => {
          outgoing.on('response', (res) => {
            const failure = (e: Error) =>
              new StreamFailure(e.message, { http: errorCodeFor(e as NodeJS.ErrnoException) });
            const trailers = new Promise<ReturnType<typeof fieldsFromNode> | undefined>((done) => {
              res.on('end', () => done(res.rawTrailers.length ? fieldsFromNode(res.rawTrailers) : undefined));
              res.on('close', () => done(undefined));
            });
            const body = new IncomingBody(readableSource(res, failure), () => trailers);
            resolve({
              tag: 'ok',
              val: new IncomingResponse(res.statusCode ?? 502, fieldsFromNode(res.rawHeaders), body),
            });
          });
          outgoing.on('timeout', () =>
            outgoing.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
          );
          outgoing.on('error', (e) => resolve({ tag: 'err', val: errorCodeFor(e) }));
        },
      );
      if (request.bodyTaken) {
        request.outgoingBody.attach({
          sink: writableSink(outgoing),
          // Trailers need chunked framing, which Node uses for a request body without a length.
          finish: (trailers) => {
            if (trailers) outgoing.addTrailers(fieldsToPairs(trailers));
            outgoing.end();
          },
          abort: (reason) => outgoing.destroy(new Error(reason)),
        });
      } else {
        outgoing.end();
      }
      return new FutureIncomingResponse(response);
    },
  };
}
