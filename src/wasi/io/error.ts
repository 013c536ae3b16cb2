/** `wasi:io/error` — an opaque error a guest can only print. */
export class IoError {
  readonly message: string;
  /** The HTTP error code behind this stream error, for `wasi:http/types#http-error-code`. */
  readonly httpErrorCode: unknown;
  constructor(message: string, httpErrorCode?: unknown) {
    this.message = message;
    this.httpErrorCode = httpErrorCode;
  }
  toDebugString(): string {
    return this.message;
  }
}

export const ioErrorImports = { Error: IoError };
