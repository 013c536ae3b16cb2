// {{name}}: an HTTP handler component. componentize-js runs the compiled file in StarlingMonkey,
// where each request arrives as a `fetch` event, as in a service worker. Every request gets 200
// and a greeting.
addEventListener('fetch', (event: FetchEvent) => {
  event.respondWith(
    new Response('hello from {{name}} (typescript)\n', {
      status: 200,
      headers: { 'content-type': 'text/plain' },
    }),
  );
});
