/**
 * What interfaces can tell a guest about a stream error: `wasi:http/types#http-error-code` and
 * `wasi:filesystem/types#filesystem-error-code` each read their own field.
 */
import type { ErrorCode as HttpErrorCode } from '../shapes/http.ts';
import type { WasiIoError } from '../shapes/io.ts';

export interface ErrorCodes {
  http?: HttpErrorCode;
  filesystem?: string;
}

/** `wasi:io/error` — an error a guest can print, or ask a specific interface to decode. */
export class IoError {
  readonly message: string;
  readonly codes: ErrorCodes;
  constructor(message: string, codes: ErrorCodes = {}) {
    this.message = message;
    this.codes = codes;
  }
  toDebugString(): string {
    return this.message;
  }
}

export const ioErrorImports = { Error: IoError } satisfies WasiIoError;
