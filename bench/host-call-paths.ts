/**
 * What each host-call measurement runs (bench/host-call.ts), by index; bench/run.ts times each in a
 * process of its own. Kept apart so the harness does not load the engine just to count them.
 */
export const HOST_CALL_PATHS = [
  "Skiff instance, Skiff's now() (process.hrtime.bigint)",
  'Skiff instance, stub now() returning 0n',
  "Skiff instance, --binder jco, Skiff's now()",
  'Skiff instance, --binder jco, stub now() returning 0n',
  'raw core instance (no glue), now() = process.hrtime.bigint',
  'raw core instance (no glue), stub now() returning 0n',
] as const;
