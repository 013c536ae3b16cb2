/**
 * A sampler that records at most `perSecond` traces a second (a token bucket), for the traces kept
 * only for the dashboard: it shows the last RECENT_TRACES, so recording every request of a busy
 * server would cost each of them spans that nobody ever sees.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace';

export class RateLimitedSampler implements Sampler {
  readonly #perSecond: number;
  #tokens: number;
  #refilledAt = performance.now();

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
    this.#tokens = perSecond;
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    _attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    return { decision: this.take() ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  /** Whether one more trace fits in this second's budget (and counts it if so). */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(
      this.#perSecond,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.#perSecond,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  toString(): string {
    return `RateLimitedSampler{${this.#perSecond}/s}`;
  }
}
