// {{name}}: an HTTP handler component. componentize-js runs this file in StarlingMonkey, where
// each request arrives as a `fetch` event, as in a service worker. Every request gets 200 and a greeting.
addEventListener('fetch', (event) => {
  event.respondWith(
    new Response('hello from {{name}} (javascript)\n', {
      status: 200,
      headers: { 'content-type': 'text/plain' },
    }),
  );
});
