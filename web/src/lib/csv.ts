// CSV helpers: the import template (generated in the browser) and a download helper.

export const IMPORT_COLUMNS = [
  'name',
  'email',
  'phone',
  'employee_number',
  'unit',
  'position',
  'time_zone',
] as const;

export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The template people fill in: a header and two example rows. `unit` is a path of names. */
export function importTemplateCsv(): string {
  return toCsv([
    [...IMPORT_COLUMNS],
    [
      'Siti Rahmawati',
      'siti.rahmawati@example.go.id',
      '+6281234567890',
      '198703152010012003',
      'Dinas Kominfo/Bidang TIK/Seksi Jaringan',
      'Kepala Seksi',
      'Asia/Jakarta',
    ],
    [
      'Budi Santoso',
      'budi.santoso@example.go.id',
      '',
      '',
      'Dinas Kominfo/Bidang TIK',
      'Pranata Komputer',
      'Asia/Makassar',
    ],
  ]);
}

/** The invite links of an import, one person a line, to share or mail-merge. */
export function invitesCsv(invites: readonly { name: string; email: string; url: string }[], origin: string): string {
  return toCsv([
    ['name', 'email', 'invite_url'],
    ...invites.map((i) => [i.name, i.email, /^https?:\/\//.test(i.url) ? i.url : origin + i.url]),
  ]);
}

/** Saves text as a file via a temporary link. A BOM keeps Excel reading UTF-8 names right. */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const blob = new Blob(['\ufeff', text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The content type to send for an import file, judged by type and then by name. */
export function importContentType(file: { name: string; type: string }): string {
  const name = file.name.toLowerCase();
  if (name.endsWith('.xlsx') || file.type.includes('spreadsheetml')) {
    return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  }
  return 'text/csv';
}
