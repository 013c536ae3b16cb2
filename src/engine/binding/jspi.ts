/**
 * JSPI (JavaScript Promise Integration), unflagged in Node 24 but not yet in TypeScript's lib:
 * `Suspending` wraps a host function that returns a promise so the guest suspends on it;
 * `promising` wraps a core export so calling it returns a promise.
 */
// biome-ignore lint/suspicious/noExplicitAny: core functions take and return numbers and bigints
type CoreFunction = (...args: any[]) => any;

interface Jspi {
  Suspending: new (f: CoreFunction) => CoreFunction;
  promising: (f: CoreFunction) => CoreFunction;
}

export const jspi = WebAssembly as unknown as Jspi;
