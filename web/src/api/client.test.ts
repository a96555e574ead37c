import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, apiUrl, getCsrfToken, isApiError, NETWORK_ERROR, request, setCsrfToken } from './client';

type Call = { url: string; init: RequestInit };

function mockFetch(responses: Response[]) {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const next = responses.shift();
      if (!next) throw new TypeError('Failed to fetch');
      return next;
    }),
  );
  return calls;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const headersOf = (call: Call) => call.init.headers as Record<string, string>;

beforeEach(() => setCsrfToken(null));
afterEach(() => vi.unstubAllGlobals());

describe('apiUrl', () => {
  it('prefixes /api/v1 and drops empty query values', () => {
    expect(apiUrl('/me')).toBe('/api/v1/me');
    expect(apiUrl('/orgs/1/members', { q: 'budi', unit_id: undefined, role: '', limit: 50 })).toBe(
      '/api/v1/orgs/1/members?q=budi&limit=50',
    );
  });
});

describe('request', () => {
  it('sends same-origin JSON and remembers the csrf token from Me/Session', async () => {
    const calls = mockFetch([
      json(200, { user: {}, memberships: [], csrf_token: 'tok-1' }),
      json(200, { ok: true }),
    ]);
    await api.get('/me');
    expect(calls[0]!.init.credentials).toBe('same-origin');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
    expect(getCsrfToken()).toBe('tok-1');

    await api.patch('/me', { name: 'Siti' });
    expect(calls[1]!.init.method).toBe('PATCH');
    expect(headersOf(calls[1]!)['X-CSRF-Token']).toBe('tok-1');
    expect(headersOf(calls[1]!)['Content-Type']).toBe('application/json');
    expect(calls[1]!.init.body).toBe('{"name":"Siti"}');
  });

  it('sends raw bodies with their content type', async () => {
    const calls = mockFetch([json(200, { id: 'imp' })]);
    setCsrfToken('t');
    const file = new Blob(['name,email\n'], { type: '' });
    await request('/orgs/o/imports', { method: 'POST', body: file, contentType: 'text/csv' });
    expect(headersOf(calls[0]!)['Content-Type']).toBe('text/csv');
    expect(calls[0]!.init.body).toBe(file);
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('t');
  });

  it('returns undefined for 204', async () => {
    mockFetch([new Response(null, { status: 204 })]);
    await expect(api.post('/auth/logout')).resolves.toBeUndefined();
  });

  it('turns the error envelope into an ApiError', async () => {
    mockFetch([json(422, { error: { code: 'validation.email', message: 'bad', field: 'email' } })]);
    const err = await api.post('/setup', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'validation.email', status: 422, field: 'email' });
    expect(isApiError(err, 'validation.email')).toBe(true);
  });

  it('keeps the position of a search query error', async () => {
    mockFetch([json(422, { error: { code: 'search.bad_date', message: 'bad', field: 'q', position: 9 } })]);
    const err = await api.get('/orgs/o/chat/search', { q: 'x before:2026-02-30' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'search.bad_date', status: 422, field: 'q', position: 9 });
  });

  it('derives a code when the body is not the envelope', async () => {
    mockFetch([new Response('<html>gone</html>', { status: 404 })]);
    const err = await api.get('/nope').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('reports network failures with a client code', async () => {
    mockFetch([]);
    const err = await api.get('/me').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: NETWORK_ERROR, status: 0 });
  });
});
