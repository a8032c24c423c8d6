// The node's HTTP API as the console uses it: the token from sign-in (kept
// in sessionStorage, so it is gone when the tab closes) goes with every
// call; errors arrive as ApiError carrying the API's {code, message}.

const TOKEN_KEY = 'kongsi.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// '/v1/' + segments, each percent-encoded: names may hold any character.
export function apiPath(...segments) {
  return '/v1/' + segments.map((s) => encodeURIComponent(s)).join('/');
}

// path + '?a=1&b=2', leaving out empty values.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method, path, body) {
  const headers = {Accept: 'application/json'};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = {method, headers, cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, 'unreachable',
      'The node did not answer. Check that it is running, then try again.');
  }
}

async function failure(res) {
  let error = null;
  try {
    error = (await res.json())?.error;
  } catch {
    // not JSON: say what HTTP said
  }
  const e = new ApiError(res.status, error?.code ?? `http_${res.status}`,
    error?.message ?? `The node answered ${res.status} ${res.statusText}.`);
  // A token revoked (or a node reset) while signed in: back to sign-in.
  if (res.status === 401) window.dispatchEvent(new CustomEvent('kongsi:unauthenticated', {detail: e}));
  return e;
}

// The parsed JSON answer, or throws ApiError.
export async function api(method, path, body) {
  const res = await send(method, path, body);
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

export const get = (path) => api('GET', path);

// Saves an answer (an export) as a file: links cannot carry the token.
export async function download(path, filename) {
  const res = await send('GET', path);
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
