/** Requests and responses of `wasi:http/types`, both directions. */
import { Pollable } from '../io/poll.ts';
import { GuestContractError, ResultError } from '../result-error.ts';
import type { ErrorCode, Method, Scheme } from '../shapes/http.ts';
import { type IncomingBody, OutgoingBody } from './bodies.ts';
import { declaredLength, type Fields } from './fields.ts';

export type { ErrorCode, Method, Scheme };

const STANDARD_METHODS = new Set([
  'get',
  'head',
  'post',
  'put',
  'delete',
  'connect',
  'options',
  'trace',
  'patch',
]);

export function methodFromString(method: string): Method {
  const lower = method.toLowerCase();
  return STANDARD_METHODS.has(lower) && method === method.toUpperCase()
    ? ({ tag: lower } as Method) // lower is one of STANDARD_METHODS, each a case of `method`
    : { tag: 'other', val: method };
}

export function methodToString(method: Method): string {
  return method.tag === 'other' ? String(method.val) : method.tag.toUpperCase();
}

export function schemeToString(scheme: Scheme | undefined): string {
  if (!scheme || scheme.tag === 'HTTP') return 'http';
  return scheme.tag === 'HTTPS' ? 'https' : scheme.val.toLowerCase();
}

/** A one-shot body: taking it twice is an error the guest can handle. */
function takeOnce<T>(body: T | undefined, what: string): T {
  if (body === undefined) throw new ResultError(undefined, `${what} was already taken`);
  return body;
}

export class IncomingRequest {
  readonly #method: Method;
  readonly #pathWithQuery: string;
  readonly #scheme: Scheme;
  readonly #authority: string | undefined;
  readonly #headers: Fields;
  #body: IncomingBody | undefined;
  constructor(init: {
    method: string;
    pathWithQuery: string;
    scheme: Scheme;
    authority: string | undefined;
    headers: Fields;
    body: IncomingBody;
  }) {
    this.#method = methodFromString(init.method);
    this.#pathWithQuery = init.pathWithQuery;
    this.#scheme = init.scheme;
    this.#authority = init.authority;
    this.#headers = init.headers;
    this.#body = init.body;
  }
  method(): Method {
    return this.#method;
  }
  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = takeOnce(this.#body, 'the request body');
    this.#body = undefined;
    return body;
  }
}

export class OutgoingResponse {
  #status = 200;
  readonly #headers: Fields;
  readonly #body: OutgoingBody;
  #bodyTaken = false;
  constructor(headers: Fields) {
    this.#headers = headers.freeze();
    this.#body = new OutgoingBody(declaredLength(this.#headers), 'HTTP-response-body-size');
  }
  statusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new ResultError(undefined);
    this.#status = status;
  }
  headers(): Fields {
    return this.#headers;
  }
  body(): OutgoingBody {
    if (this.#bodyTaken) throw new ResultError(undefined, 'the response body was already taken');
    this.#bodyTaken = true;
    return this.#body;
  }
  /** @internal */
  get outgoingBody(): OutgoingBody {
    return this.#body;
  }
  /** @internal True when the guest asked for the body, so it must also finish it. */
  get bodyTaken(): boolean {
    return this.#bodyTaken;
  }
}

export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode };

export class ResponseOutparam {
  readonly #deliver: (result: ResponseResult) => void;
  #used = false;
  constructor(deliver: (result: ResponseResult) => void) {
    this.#deliver = deliver;
  }
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param.#used) throw new GuestContractError('response-outparam.set called twice');
    param.#used = true;
    param.#deliver(response);
  }
}

export class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(d: bigint | undefined): void {
    this.#connect = d;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(d: bigint | undefined): void {
    this.#firstByte = d;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytes;
  }
  setBetweenBytesTimeout(d: bigint | undefined): void {
    this.#betweenBytes = d;
  }
}

export class OutgoingRequest {
  #method: Method = { tag: 'get' };
  #pathWithQuery: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  readonly #headers: Fields;
  readonly #body: OutgoingBody;
  #bodyTaken = false;
  constructor(headers: Fields) {
    this.#headers = headers.freeze();
    this.#body = new OutgoingBody(declaredLength(this.#headers), 'HTTP-request-body-size');
  }
  body(): OutgoingBody {
    if (this.#bodyTaken) throw new ResultError(undefined, 'the request body was already taken');
    this.#bodyTaken = true;
    return this.#body;
  }
  method(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    if (method.tag === 'other' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(String(method.val))) {
      throw new ResultError(undefined);
    }
    this.#method = method;
  }
  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(p: string | undefined): void {
    if (p !== undefined && !p.startsWith('/') && p !== '*') throw new ResultError(undefined);
    this.#pathWithQuery = p;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.#scheme = scheme;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(authority: string | undefined): void {
    if (authority !== undefined && /[\s/?#@]/.test(authority)) throw new ResultError(undefined);
    this.#authority = authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  /** @internal */
  get outgoingBody(): OutgoingBody {
    return this.#body;
  }
  /** @internal */
  get bodyTaken(): boolean {
    return this.#bodyTaken;
  }
}

export class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  #body: IncomingBody | undefined;
  constructor(status: number, headers: Fields, body: IncomingBody) {
    this.#status = status;
    this.#headers = headers;
    this.#body = body;
  }
  status(): number {
    return this.#status;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = takeOnce(this.#body, 'the response body');
    this.#body = undefined;
    return body;
  }
}

type FutureResponseValue = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode };

export class FutureIncomingResponse {
  readonly #settledPromise: Promise<void>;
  #value: FutureResponseValue | undefined;
  #taken = false;
  constructor(response: Promise<FutureResponseValue>) {
    this.#settledPromise = response.then((v) => {
      this.#value = v;
    });
  }
  subscribe(): Pollable {
    return new Pollable({ isReady: () => this.#value !== undefined, whenReady: () => this.#settledPromise });
  }
  /** @internal The outcome, for the WASI 0.3 client, which awaits it instead of polling. */
  async settled(): Promise<FutureResponseValue> {
    await this.#settledPromise;
    return this.#value as FutureResponseValue;
  }
  get(): { tag: 'ok'; val: FutureResponseValue } | { tag: 'err'; val: undefined } | undefined {
    if (this.#value === undefined) return undefined;
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: this.#value };
  }
}
