/** `wasi:filesystem/types#error-code` and the mapping from Node's errno codes onto it. */
import { ResultError } from '../result-error.ts';

import type { ErrorCode } from '../shapes/filesystem.ts';

export type { ErrorCode };

const ERRNO_TO_CODE: Record<string, ErrorCode> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOSYS: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
  // Node rejects a path with a NUL byte before any syscall.
  ERR_INVALID_ARG_VALUE: 'invalid',
  ERR_INVALID_ARG_TYPE: 'invalid',
};

/** The error a host function throws to return `err(code)` to the guest. */
export class FilesystemError extends ResultError<ErrorCode> {
  override name = 'FilesystemError';
}

export const fsError = (code: ErrorCode, message?: string): FilesystemError =>
  new FilesystemError(code, message);

/** The WASI code for a Node fs error, or undefined when it is not an errno-style error. */
export function errorCodeOf(e: unknown): ErrorCode | undefined {
  if (e instanceof FilesystemError) return e.payload;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? ERRNO_TO_CODE[code] : undefined;
}

/**
 * What a failed host fs operation becomes: Node errno failures turn into `err(code)` results.
 * Anything else (a host bug) stays as it is, a trap, so it is not mistaken for an ordinary
 * filesystem failure.
 */
export function translatedError(e: unknown): unknown {
  if (e instanceof FilesystemError) return e;
  const code = errorCodeOf(e);
  if (code) return fsError(code, (e as Error).message);
  // An errno this table does not know is still an I/O failure, not a host bug.
  if (typeof (e as NodeJS.ErrnoException | undefined)?.errno === 'number')
    return fsError('io', (e as Error).message);
  return e;
}

/** Runs a synchronous host fs operation, its errno failures as `err(code)` (see translatedError). */
export function translated<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    throw translatedError(e);
  }
}

/** Runs an asynchronous host fs operation, its errno failures as `err(code)` (see translatedError). */
export async function translatedAsync<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    throw translatedError(e);
  }
}
