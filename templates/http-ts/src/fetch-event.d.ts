// The global scope is a service worker's as far as requests go: `fetch` events carry them
// (FetchEvent itself comes from TypeScript's "webworker" library).
declare function addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
