/**
 * Runs inside the sandboxed frame that shows a flame graph: it takes the page the dashboard
 * fetched and makes it this frame's document. The frame's policy (set by the server) lets that
 * page run its own inline script and styles but reach no network.
 */
window.addEventListener('message', (event) => {
  if (event.source !== window.parent) return;
  const html = event.data?.flameGraphHtml;
  if (typeof html !== 'string') return;
  document.open();
  document.write(html);
  document.close();
});
