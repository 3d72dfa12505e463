// The JSON API: every error comes back as {error, message, problems}.
//
// Sessions: with accounts, the server keeps the session in an HttpOnly cookie
// the browser sends by itself; every unsafe request (POST, PUT, PATCH,
// DELETE) must also carry the session's CSRF token in X-CSRF-Token. A
// register with no accounts ("local" mode) has no token and no login.
import { language } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.serverMessage = (body && body.message) || null;
    this.problems = (body && body.problems) || [];
    this.retryAfter = retryAfter;
    this.body = body || null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrf = null;
let sessionLost = () => {};
let refreshing = null;

/// The token unsafe requests carry; null when the server has none (local mode).
export function setCsrf(token) { csrf = token || null; }

/// Called once per API answer that says the session is gone (401
/// unauthenticated), so the application can ask for a login again.
export function onSessionLost(fn) { sessionLost = fn; }

async function handle(res) {
  const type = res.headers.get('content-type') || '';
  const body = res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const retry = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
    throw new ApiError(res.status, body && typeof body === 'object' ? body : null, Number.isFinite(retry) ? retry : null);
  }
  return body;
}

async function send(method, path, body, type) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = type;
  if (UNSAFE.has(method) && csrf) headers['x-csrf-token'] = csrf;
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
  });
}

/// One request. A 403 csrf (the token changed, e.g. a new session in another
/// tab) is retried once with the token /api/me gives now.
export async function request(method, path, body, type = 'application/json') {
  try {
    return await handle(await send(method, path, body, type));
  } catch (err) {
    if (err instanceof ApiError && err.status === 403 && err.code === 'csrf' && UNSAFE.has(method)) {
      const me = await currentUser().catch(() => null);
      if (me && me.csrf) {
        setCsrf(me.csrf);
        return handle(await send(method, path, body, type)).catch(lost);
      }
    }
    return lost(err);
  }
}

function lost(err) {
  if (err instanceof ApiError && err.status === 401 && err.code === 'unauthenticated') sessionLost(err);
  throw err;
}

/// Runs `work` with `button` disabled until it ends: a second click while it
/// runs sends nothing.
export async function held(button, work) {
  if (button.disabled) return;
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

export async function get(path) { return request('GET', path); }

export async function post(path, body, type = 'application/json') { return request('POST', path, body, type); }

/// Who is using the application (GET /api/me), without the session-lost
/// callback: the caller decides. Concurrent callers share one request.
export function currentUser() {
  if (!refreshing) {
    refreshing = fetch('/api/me', { credentials: 'same-origin' }).then(handle).finally(() => { refreshing = null; });
  }
  return refreshing;
}

/// After a refusal that may mean the session ended (a tile answering 401):
/// if /api/me agrees, the session-lost callback runs.
export function checkSession() {
  return currentUser().catch((err) => {
    if (err instanceof ApiError && err.status === 401) sessionLost(err);
  });
}

export async function login(name, password) {
  return handle(await send('POST', '/api/login', { name, password }, 'application/json'));
}

export async function logout() {
  return request('POST', '/api/logout');
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** A number as the chosen language writes it (`1,234.5`, `1 234,5`), to `digits` places at most. */
export function fmt(n, digits = 0, options = {}) {
  // Without the language's data, the printed documents' way for az, uk and
  // ru: space-grouped with a decimal comma, as Russian's rules write it.
  const lang = hasData(language()) ? language() : 'ru';
  return Number(n).toLocaleString(lang, { maximumFractionDigits: digits, ...options });
}
/**
 * Whether the browser holds the language's formats. Chromium claims
 * Azerbaijani but ships without its data, and then writes the root locale's
 * forms ('2024 M03 5', '1,234.5'): known by the root's month, 'M03'.
 */
const formats = {};
function hasData(lang) {
  if (lang === 'en') return true;
  if (!(lang in formats)) {
    const probe = new Date(Date.UTC(2024, 2, 5));
    formats[lang] = !new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(probe).includes('M03');
  }
  return formats[lang];
}

/**
 * A day (`YYYY-MM-DD`, or the day of a timestamp) as the chosen language
 * writes it (`Dec 6, 2026`, `6 дек. 2026 г.`); what is not a day, as it is.
 */
export function day(text) {
  const iso = String(text ?? '').slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return String(text ?? '');
  // Without the language's data: the day in figures, as az, uk and ru write it (05.03.2024).
  if (!hasData(language())) return iso.split('-').reverse().join('.');
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
}
export function km2(m2) { return fmt(m2 / 1e6, 2); }
export function num(n) { return fmt(n, 0); }

/**
 * Rows of `container` carrying data-`key` open with a click, or with Enter
 * or Space on the focused row (the keyboard's way to it): `open(tr)`.
 */
export function selectable(container, key, open) {
  const row = (e) => e.target.closest(`tr[data-${key}]`);
  container.addEventListener('click', (e) => { const tr = row(e); if (tr) open(tr); });
  container.addEventListener('keydown', (e) => {
    const tr = row(e);
    if (tr && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); open(tr); }
  });
}
