// Turning errors into words: the server's stable code → `errors.<code>`, with a generic fallback.

import type { TFunction } from 'i18next';
import { ApiError } from '../api/client';

function lookup(t: TFunction, key: string): string | null {
  const value: unknown = t(key, { returnObjects: true, defaultValue: '' });
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The translated message for an error code, or null if there is none. */
export function codeMessage(t: TFunction, code: string): string | null {
  return lookup(t, `errors.${code}`);
}

/** The sentence to show a person for any thrown value. */
export function errorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    const known = codeMessage(t, error.code);
    if (known) return known;
    return t('errors.withCode', { code: error.code });
  }
  return t('errors.generic');
}

/** The translated label of a field name, or the name itself. */
export function fieldLabel(t: TFunction, field: string): string {
  return lookup(t, `fields.${field}`) ?? field;
}

/** The server's field for a validation error, if any. */
export function errorField(error: unknown): string | undefined {
  return error instanceof ApiError ? error.field : undefined;
}
