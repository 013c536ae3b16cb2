/** Host shapes of `wasi:http@0.2.x` (wit/deps/http) that a component imports (`incoming-handler` is an export). */
import type { Duration } from './clocks.ts';
import type { InputStream, IoError, OutputStream, Pollable } from './io.ts';
import type { ConstructibleResource, ResourceClass, ResultValue } from './resource.ts';

export type Method =
  | { tag: 'get' }
  | { tag: 'head' }
  | { tag: 'post' }
  | { tag: 'put' }
  | { tag: 'delete' }
  | { tag: 'connect' }
  | { tag: 'options' }
  | { tag: 'trace' }
  | { tag: 'patch' }
  | { tag: 'other'; val: string };

export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };

export interface DnsErrorPayload {
  rcode: string | undefined;
  /** u16 */
  infoCode: number | undefined;
}

export interface TlsAlertReceivedPayload {
  /** u8 */
  alertId: number | undefined;
  alertMessage: string | undefined;
}

export interface FieldSizePayload {
  fieldName: string | undefined;
  /** u32 */
  fieldSize: number | undefined;
}

/** `error-code`. Cases without a payload carry no `val`; `option<…>` payloads may be undefined. */
export type ErrorCode =
  | {
      tag:
        | 'DNS-timeout'
        | 'destination-not-found'
        | 'destination-unavailable'
        | 'destination-IP-prohibited'
        | 'destination-IP-unroutable'
        | 'connection-refused'
        | 'connection-terminated'
        | 'connection-timeout'
        | 'connection-read-timeout'
        | 'connection-write-timeout'
        | 'connection-limit-reached'
        | 'TLS-protocol-error'
        | 'TLS-certificate-error'
        | 'HTTP-request-denied'
        | 'HTTP-request-length-required'
        | 'HTTP-request-method-invalid'
        | 'HTTP-request-URI-invalid'
        | 'HTTP-request-URI-too-long'
        | 'HTTP-response-incomplete'
        | 'HTTP-response-timeout'
        | 'HTTP-upgrade-failed'
        | 'HTTP-protocol-error'
        | 'loop-detected'
        | 'configuration-error';
      val?: undefined;
    }
  | { tag: 'DNS-error'; val: DnsErrorPayload }
  | { tag: 'TLS-alert-received'; val: TlsAlertReceivedPayload }
  | { tag: 'HTTP-request-body-size' | 'HTTP-response-body-size'; val?: bigint | undefined }
  | {
      tag:
        | 'HTTP-request-header-section-size'
        | 'HTTP-request-trailer-section-size'
        | 'HTTP-response-header-section-size'
        | 'HTTP-response-trailer-section-size';
      /** u32 */
      val?: number | undefined;
    }
  | { tag: 'HTTP-request-header-size'; val?: FieldSizePayload | undefined }
  | {
      tag: 'HTTP-request-trailer-size' | 'HTTP-response-header-size' | 'HTTP-response-trailer-size';
      val: FieldSizePayload;
    }
  | {
      tag: 'HTTP-response-transfer-coding' | 'HTTP-response-content-coding' | 'internal-error';
      val?: string | undefined;
    };

export type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

/** `field-value` is `list<u8>`; `field-name` a string. */
export type FieldEntry = [string, Uint8Array];

/** `fields` (also `headers` and `trailers`). Mutators: `@throws ResultError<HeaderError>`. */
export interface Fields {
  get(name: string): Uint8Array[];
  has(name: string): boolean;
  set(name: string, value: Uint8Array[]): void;
  delete(name: string): void;
  append(name: string, value: Uint8Array): void;
  entries(): FieldEntry[];
  clone(): Fields;
}

/** `constructor()` and `from-list: static func(...) -> result<fields, header-error>`. */
export type FieldsClass = ConstructibleResource<Fields, []> & {
  /** @throws ResultError<HeaderError> */
  fromList(entries: FieldEntry[]): Fields;
};

export interface IncomingRequest {
  method(): Method;
  pathWithQuery(): string | undefined;
  scheme(): Scheme | undefined;
  authority(): string | undefined;
  headers(): Fields;
  /** @throws ResultError<undefined> when the body was already taken. */
  consume(): IncomingBody;
}

/** Every `set*` and `body`: `@throws ResultError<undefined>`. */
export interface OutgoingRequest {
  body(): OutgoingBody;
  method(): Method;
  setMethod(method: Method): void;
  pathWithQuery(): string | undefined;
  setPathWithQuery(pathWithQuery: string | undefined): void;
  scheme(): Scheme | undefined;
  setScheme(scheme: Scheme | undefined): void;
  authority(): string | undefined;
  setAuthority(authority: string | undefined): void;
  headers(): Fields;
}

/** Every `set*`: `@throws ResultError<undefined>`. */
export interface RequestOptions {
  connectTimeout(): Duration | undefined;
  setConnectTimeout(duration: Duration | undefined): void;
  firstByteTimeout(): Duration | undefined;
  setFirstByteTimeout(duration: Duration | undefined): void;
  betweenBytesTimeout(): Duration | undefined;
  setBetweenBytesTimeout(duration: Duration | undefined): void;
}

/**
 * `response-outparam`. Its only method, `send-informational`, is
 * @unstable(feature = informational-outbound-responses), so the instance has none here.
 */
export type ResponseOutparam = object;

export type ResponseOutparamClass = ResourceClass<ResponseOutparam> & {
  set(param: ResponseOutparam, response: ResultValue<OutgoingResponse, ErrorCode>): void;
};

export interface IncomingResponse {
  /** u16 */
  status(): number;
  headers(): Fields;
  /** @throws ResultError<undefined> when the body was already taken. */
  consume(): IncomingBody;
}

export interface IncomingBody {
  /** `%stream`. @throws ResultError<undefined> when the stream was already taken. */
  stream(): InputStream;
}

export type IncomingBodyClass = ResourceClass<IncomingBody> & {
  finish(body: IncomingBody): FutureTrailers;
};

export interface FutureTrailers {
  subscribe(): Pollable;
  /** `option<result<result<option<trailers>, error-code>>>`; the outer `err` means "already taken". */
  get(): ResultValue<ResultValue<Fields | undefined, ErrorCode>, undefined> | undefined;
}

/** `set-status-code` and `body`: `@throws ResultError<undefined>`. */
export interface OutgoingResponse {
  /** u16 */
  statusCode(): number;
  setStatusCode(statusCode: number): void;
  headers(): Fields;
  body(): OutgoingBody;
}

export interface OutgoingBody {
  /** @throws ResultError<undefined> when the stream was already taken. */
  write(): OutputStream;
}

export type OutgoingBodyClass = ResourceClass<OutgoingBody> & {
  /** @throws ResultError<ErrorCode> */
  finish(body: OutgoingBody, trailers: Fields | undefined): void;
};

export interface FutureIncomingResponse {
  subscribe(): Pollable;
  /** `option<result<result<incoming-response, error-code>>>`; the outer `err` means "already taken". */
  get(): ResultValue<ResultValue<IncomingResponse, ErrorCode>, undefined> | undefined;
}

/** `wasi:http/types`. */
export interface WasiHttpTypes {
  Fields: FieldsClass;
  IncomingRequest: ResourceClass<IncomingRequest>;
  OutgoingRequest: ConstructibleResource<OutgoingRequest, [headers: Fields]>;
  RequestOptions: ConstructibleResource<RequestOptions, []>;
  ResponseOutparam: ResponseOutparamClass;
  IncomingResponse: ResourceClass<IncomingResponse>;
  IncomingBody: IncomingBodyClass;
  FutureTrailers: ResourceClass<FutureTrailers>;
  OutgoingResponse: ConstructibleResource<OutgoingResponse, [headers: Fields]>;
  OutgoingBody: OutgoingBodyClass;
  FutureIncomingResponse: ResourceClass<FutureIncomingResponse>;
  /** `err` is a borrowed `wasi:io/error#error`. */
  httpErrorCode(err: IoError): ErrorCode | undefined;
}

/** `wasi:http/outgoing-handler`. */
export interface WasiHttpOutgoingHandler {
  /** @throws ResultError<ErrorCode> */
  handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse;
}
