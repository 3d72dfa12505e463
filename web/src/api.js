// The JSON API: every error comes back as {error, message, problems}.
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.problems = (body && body.problems) || [];
  }
}

async function handle(res) {
  const type = res.headers.get('content-type') || '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof body === 'object' ? body : null);
  return body;
}

export async function get(path) { return handle(await fetch(path)); }

export async function post(path, body, type = 'application/json') {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': type },
    body: type === 'application/json' ? JSON.stringify(body) : body,
  });
  return handle(res);
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function km2(m2) { return (m2 / 1e6).toLocaleString(undefined, { maximumFractionDigits: 2 }); }
export function num(n) { return Number(n).toLocaleString(undefined, { maximumFractionDigits: 0 }); }
