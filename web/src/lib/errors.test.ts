import { describe, expect, it } from 'vitest';
import i18n from '../i18n';
import { ApiError } from '../api/client';
import { codeMessage, errorMessage, fieldLabel } from './errors';

describe('error messages', () => {
  it('translates known codes, Indonesian by default', async () => {
    await i18n.changeLanguage('id');
    const t = i18n.t.bind(i18n);
    expect(errorMessage(t, new ApiError('auth.invalid_credentials', 401, 'x'))).toBe('Email atau kata sandi salah.');
    expect(codeMessage(t, 'unit.not_empty')).toMatch(/sub-unit/);
    expect(fieldLabel(t, 'employee_number')).toBe('NIP / NIK karyawan');
  });
  it('falls back to a generic message with the code', async () => {
    await i18n.changeLanguage('en');
    const t = i18n.t.bind(i18n);
    expect(errorMessage(t, new ApiError('payroll.slip_locked', 403, 'x'))).toBe('Something went wrong (payroll.slip_locked).');
    // a prefix that names a group, not a message
    expect(errorMessage(t, new ApiError('auth', 400, 'x'))).toBe('Something went wrong (auth).');
    expect(errorMessage(t, new Error('boom'))).toBe('Something went wrong. Please try again.');
    await i18n.changeLanguage('id');
  });
});
