/**
 * Everything generated code calls, passed to each generated factory as `rt` and destructured
 * once per binding, so calls from the generated functions are direct and monomorphic.
 */
import { allocate, checkPointer } from './allocate.ts';
import { ErrorContext } from './handle-table.ts';
import { checkListRange, liftNumericList, listLength, lowerNumericList } from './lists.ts';
import { liftReadable, lowerReadable } from './stream-builtins.ts';
import {
  liftStringLatin1Utf16,
  liftStringUtf8,
  liftStringUtf16,
  lowerStringLatin1Utf16,
  lowerStringUtf8,
  lowerStringUtf16,
} from './strings.ts';
import { driveTask, startSubtask, Task, Thrown } from './tasks.ts';
import { ComponentError, trap } from './trap.ts';
import {
  abandonCall,
  errorPayload,
  f32ToI32,
  f64ToI64,
  GuestResource,
  guestResourceRep,
  hostResource,
  i32ToF32,
  i64ToF64,
  liftChar,
  lowerChar,
} from './values.ts';

export const ABI_RUNTIME = Object.freeze({
  trap,
  ComponentError,
  ErrorContext,
  GuestResource,
  allocate,
  checkPointer,
  checkListRange,
  liftNumericList,
  lowerNumericList,
  listLength,
  liftStringUtf8,
  liftStringUtf16,
  liftStringLatin1Utf16,
  lowerStringUtf8,
  lowerStringUtf16,
  lowerStringLatin1Utf16,
  liftChar,
  lowerChar,
  i32ToF32,
  f32ToI32,
  i64ToF64,
  f64ToI64,
  guestResourceRep,
  hostResource,
  errorPayload,
  abandonCall,
  Task,
  Thrown,
  driveTask,
  startSubtask,
  liftReadable,
  lowerReadable,
});

export type AbiRuntime = typeof ABI_RUNTIME;

/** The names generated code may use, destructured from `rt` at the top of each factory. */
export const RUNTIME_NAMES = Object.keys(ABI_RUNTIME) as Array<keyof AbiRuntime>;
