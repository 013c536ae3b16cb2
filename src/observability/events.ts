/**
 * What Skiff tells observers, as `node:diagnostics_channel` channels: the HTTP core, the engine
 * and the capabilities publish; metrics, traces, logs and the dashboard subscribe. A channel with
 * no subscriber costs one boolean check, so telemetry that is off costs the hot path nothing, and
 * the core knows nothing of Prometheus or OpenTelemetry.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';

/** How a request ended, beyond its status. */
export type RequestOutcome =
  | 'ok'
  | 'trap'
  | 'timeout'
  | 'cpu-limit'
  | 'concurrency-limit'
  | 'body-limit'
  | 'not-found'
  | 'bad-request'
  | 'health';

/** One HTTP request, filled in as it goes; the same object reaches every channel of the request. */
export interface RequestEvent {
  id: number;
  app: string;
  method: string;
  /** Path and query as the client sent them. */
  target: string;
  /** The route pattern that matched, and its component; absent for a request no route matched. */
  route?: string | undefined;
  component?: string | undefined;
  /** The incoming request's headers (names lowercase), for trace context. */
  headers: Record<string, string | string[] | undefined>;
  /** `performance.now()` when the request reached the core. */
  startedAt: number;
  status?: number;
  outcome?: RequestOutcome;
  wallMs?: number;
  /** Guest CPU time the request used. */
  cpuMs?: number;
}

/** Every request, once answered (early answers such as 404 and shed 503 included). */
export const requestFinished = channel('skiff:http:request-finished');

/** Around a routed request's whole handling (start … end), for spans that its host calls nest in. */
export const requestTracing = tracingChannel<unknown, RequestEvent>('skiff:http:request');

export interface InstantiateEvent {
  component: string;
}
/** Around making one instance of a component. */
export const instantiateTracing = tracingChannel<unknown, InstantiateEvent>('skiff:instance:create');

export interface GuestCallEvent {
  component: string;
  requestId: number;
}
/** Around the guest's part of a request (its export call, streaming included). */
export const guestCallTracing = tracingChannel<unknown, GuestCallEvent>('skiff:guest:call');

export interface ResetEvent {
  component: string;
  ms: number;
  ok: boolean;
}
/** An instance put back to its just-instantiated state after a request (`fresh` lifecycle). */
export const instanceReset = channel('skiff:instance:reset');

export interface TrapEvent {
  component: string;
  requestId: number;
  message: string;
}
/** A guest trapped (the request gets a 500). */
export const guestTrapped = channel('skiff:guest:trap');

export interface KeyValueEvent {
  component: string;
  store: string;
  operation: string;
}
/** Around one key-value operation a guest asked for. */
export const keyValueTracing = tracingChannel<unknown, KeyValueEvent>('skiff:key-value:operation');

export interface OutboundEvent {
  component: string;
  method: string;
  url: string;
  /** Headers the host adds to the outgoing request (trace context), name → value. */
  headers: Record<string, string>;
  status?: number;
}
/** Around one outbound HTTP request a guest made (until its response head arrives). */
export const outboundTracing = tracingChannel<unknown, OutboundEvent>('skiff:http:outbound');
