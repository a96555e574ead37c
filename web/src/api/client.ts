// A small fetch wrapper for `/api/v1`: JSON in and out, same-origin cookies, the CSRF header on
// unsafe methods, and one error type (`ApiError`) carrying the server's stable code.

import type { ErrorBody } from './types';

export const API_BASE = '/api/v1';

/** Codes the client itself produces when no server answer could be read. */
export const NETWORK_ERROR = 'client.network';
export const BAD_RESPONSE = 'client.bad_response';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  /** Where in the field's text the problem starts, in characters (search queries). */
  readonly position: number | undefined;

  constructor(code: string, status: number, message: string, field?: string, position?: number) {
    super(message || code);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.field = field;
    this.position = position;
  }
}

export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

// The CSRF token from the latest `Me` / `Session` answer. Kept in a module variable rather than
// storage: it is only needed while this page lives, and `GET /me` hands it out again on reload.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** JSON-serialised unless it is a Blob / ArrayBuffer (sent raw with `contentType`). */
  body?: unknown;
  contentType?: string;
  query?: Query;
  signal?: AbortSignal;
}

/** Builds `/api/v1/path?query`, leaving out empty query values. */
export function apiUrl(path: string, query?: Query): string {
  let url = path.startsWith(API_BASE) ? path : API_BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, String(value));
    }
    const s = params.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  return url;
}

function isRawBody(body: unknown): body is Blob | ArrayBuffer {
  return (
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof ArrayBuffer !== 'undefined' && body instanceof ArrayBuffer)
  );
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (isRawBody(options.body)) {
      body = options.body;
      const type =
        options.contentType ||
        (options.body instanceof Blob ? options.body.type : '') ||
        'application/octet-stream';
      headers['Content-Type'] = type;
    } else {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  if (!SAFE_METHODS.has(method) && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }

  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(NETWORK_ERROR, 0, e instanceof Error ? e.message : String(e));
  }

  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204 || response.status === 205) return undefined as T;

  const text = await response.text();
  if (!text) return undefined as T;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError(BAD_RESPONSE, response.status, 'response is not JSON');
  }
  rememberCsrf(data);
  return data as T;
}

/** Any answer that carries a `csrf_token` (Me, Session) refreshes the token we send. */
function rememberCsrf(data: unknown): void {
  if (data && typeof data === 'object' && 'csrf_token' in data) {
    const token = (data as { csrf_token: unknown }).csrf_token;
    if (typeof token === 'string' && token) csrfToken = token;
  }
}

async function errorFrom(response: Response): Promise<ApiError> {
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    // not JSON: fall through to a status-derived code
  }
  const err = (parsed as Partial<ErrorBody> | null)?.error;
  if (err && typeof err.code === 'string') {
    return new ApiError(err.code, response.status, err.message ?? '', err.field, err.position);
  }
  return new ApiError(statusCode(response.status), response.status, response.statusText);
}

/** A code for answers without the error envelope (proxies, a missing server). */
function statusCode(status: number): string {
  if (status === 401) return 'auth.required';
  if (status === 403) return 'auth.forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request.too_large';
  if (status === 429) return 'auth.rate_limited';
  return `http.${status}`;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
  put: <T>(path: string, body?: unknown, contentType?: string) =>
    request<T>(path, { method: 'PUT', body, contentType }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  delete: <T = void>(path: string) => request<T>(path, { method: 'DELETE' }),
};
