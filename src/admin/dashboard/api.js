/**
 * Talking to the admin API: the page's only network. A token given once as `?token=T` is kept for
 * the tab's life in sessionStorage and taken out of the address bar (so it is not bookmarked,
 * shared in a screenshot or sent on as a referrer), then sent as `Authorization: Bearer T`.
 */

const TOKEN_KEY = 'skiff-admin-token';
/** A server message longer than this is cut: it is shown to a person, not parsed. */
const MAX_MESSAGE_CHARS = 600;

/** The API answered with a status other than 2xx. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** Moves `?token=` from the address bar into sessionStorage. */
export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  const token = url.searchParams.get('token') ?? '';
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  window.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function hasToken() {
  return Boolean(sessionStorage.getItem(TOKEN_KEY));
}

function headers() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The text of an error answer: its `error`/`message` field when it is JSON, else its body. */
async function errorMessage(response) {
  const body = (await response.text().catch(() => '')).trim();
  let message = body;
  try {
    const parsed = JSON.parse(body);
    if (parsed && typeof parsed === 'object') message = String(parsed.error ?? parsed.message ?? body);
  } catch {
    // Not JSON: the body is the message.
  }
  if (!message) message = `${response.status} ${response.statusText}`;
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

async function request(path, init) {
  const response = await fetch(path, { ...init, headers: headers(), cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
  return response;
}

/** GET a JSON resource. */
export async function getJson(path) {
  return (await request(path, { method: 'GET' })).json();
}

/** POST and read the answer as text (the flame graph's HTML). */
export async function postForText(path, signal) {
  return (await request(path, { method: 'POST', signal })).text();
}
