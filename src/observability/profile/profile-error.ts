/** Why a profile cannot be taken: the code says which 4xx an HTTP front end answers with. */
export type ProfileErrorCode =
  /** An option out of range (400). */
  | 'bad-option'
  /** No loaded component has that id (404). */
  | 'unknown-component'
  /** This thread is already being profiled (409). */
  | 'busy';

/** A profile that cannot be taken: says what was wrong and what to do instead. */
export class ProfileError extends Error {
  override name = 'ProfileError';
  readonly code: ProfileErrorCode;
  readonly hint: string;
  constructor(code: ProfileErrorCode, problem: string, hint: string) {
    super(`${problem}\n  hint: ${hint}`);
    this.code = code;
    this.hint = hint;
  }
}
