/**
 * How a host function returns the `err` case of a WIT `result`: jco's glue unwraps
 * `payload` from a thrown value into the error variant; any other Error becomes a trap.
 * Extending Error keeps a stack trace for debugging.
 */
export class ResultError<T> extends Error {
  readonly payload: T;
  constructor(payload: T, message?: string) {
    super(message ?? describePayload(payload));
    this.payload = payload;
  }
}

function describePayload(payload: unknown): string {
  if (payload && typeof payload === 'object' && 'tag' in payload) return String(payload.tag);
  return String(payload);
}

/** Thrown (as a trap, not a result) when a guest breaks an interface rule, e.g. uses a body twice. */
export class GuestContractError extends Error {
  override name = 'GuestContractError';
}
