import { describe, expect, it } from 'vitest';
import { csvCell, importContentType, importTemplateCsv, IMPORT_COLUMNS, invitesCsv, toCsv } from './csv';

describe('csv', () => {
  it('quotes only when needed', () => {
    expect(csvCell('Budi')).toBe('Budi');
    expect(csvCell('Kepala, Seksi')).toBe('"Kepala, Seksi"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(toCsv([['a', 'b'], ['c', 'd']])).toBe('a,b\r\nc,d\r\n');
  });
  it('makes a template with the documented columns and a unit path', () => {
    const lines = importTemplateCsv().trim().split('\r\n');
    expect(lines[0]).toBe('name,email,phone,employee_number,unit,position,time_zone');
    expect(IMPORT_COLUMNS).toHaveLength(7);
    expect(lines[1]).toContain('Dinas Kominfo/Bidang TIK/Seksi Jaringan');
    for (const line of lines.slice(1)) expect(line.split(',')).toHaveLength(7);
  });
  it('lists imported invite links with absolute URLs', () => {
    const csv = invitesCsv(
      [
        { name: 'Budi, S.Kom', email: 'budi@x.id', url: '/invite/ki_1' },
        { name: 'Siti', email: 'siti@x.id', url: 'https://k.go.id/invite/ki_2' },
      ],
      'https://k.go.id',
    );
    expect(csv).toBe('name,email,invite_url\r\n"Budi, S.Kom",budi@x.id,https://k.go.id/invite/ki_1\r\nSiti,siti@x.id,https://k.go.id/invite/ki_2\r\n');
  });
  it('picks the content type for upload', () => {
    expect(importContentType({ name: 'pegawai.CSV', type: '' })).toBe('text/csv');
    expect(importContentType({ name: 'pegawai.xlsx', type: '' })).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
  });
});
