// `/o/:orgId/import`: upload a CSV/XLSX, review the preview (per-row errors), confirm, and
// download the invitation links of the people imported.

import { Fragment, useMemo, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import * as ep from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { ImportPreview, ImportResult, ImportRow } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { PageHeader } from '../../components/Page';
import { useLanguage } from '../../i18n';
import { downloadText, importContentType, importTemplateCsv, invitesCsv } from '../../lib/csv';
import { codeMessage, fieldLabel } from '../../lib/errors';
import { formatNumber } from '../../lib/format';
import { useOrgScope } from '../../shell/OrgContext';

const COLUMNS: { key: keyof ImportRow; field: string }[] = [
  { key: 'name', field: 'name' },
  { key: 'email', field: 'email' },
  { key: 'phone', field: 'phone' },
  { key: 'employee_number', field: 'employee_number' },
  { key: 'unit_path', field: 'unit_path' },
  { key: 'position', field: 'position' },
  { key: 'time_zone', field: 'time_zone' },
];

/** Field names the server may use for the unit column. */
const UNIT_FIELDS = new Set(['unit', 'unit_path']);

function rowErrorText(t: TFunction, error: { field: string; code: string }): string {
  const message = codeMessage(t, error.code) ?? t('errors.withCode', { code: error.code });
  return error.field ? t('errors.fieldPrefix', { field: fieldLabel(t, error.field), message }) : message;
}

function hasFieldError(row: ImportRow, field: string): boolean {
  return row.errors.some((e) => e.field === field || (UNIT_FIELDS.has(field) && UNIT_FIELDS.has(e.field)));
}


export default function ImportPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const queryClient = useQueryClient();
  const { orgId } = useOrgScope();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [onlyErrors, setOnlyErrors] = useState(false);

  const upload = useMutation({
    mutationFn: (f: File) => ep.uploadImport(orgId, f, importContentType(f)),
    onSuccess: (p) => {
      setPreview(p);
      setSkipInvalid(false);
      setOnlyErrors(p.error_count > 0);
    },
  });
  const confirm = useMutation({
    mutationFn: () => ep.confirmImport(orgId, preview!.id, skipInvalid),
    onSuccess: (r) => {
      setResult(r);
      void queryClient.invalidateQueries({ queryKey: keys.members(orgId) });
      void queryClient.invalidateQueries({ queryKey: keys.units(orgId) });
      void queryClient.invalidateQueries({ queryKey: keys.invites(orgId) });
    },
  });

  const reset = () => {
    setFile(null);
    setPreview(null);
    setResult(null);
    upload.reset();
    confirm.reset();
    if (fileRef.current) fileRef.current.value = '';
  };

  const rows = useMemo(
    () => (preview ? (onlyErrors ? preview.rows.filter((r) => r.errors.length) : preview.rows) : []),
    [preview, onlyErrors],
  );
  const onUpload = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };

  const n = (value: number) => formatNumber(value, lang);
  const importCount = preview ? preview.valid_count : 0;
  const canConfirm = !!preview && importCount > 0 && (preview.error_count === 0 || skipInvalid);

  if (result && preview) {
    return (
      <div className="stack-lg narrow-page">
        <PageHeader title={t('import.title')} />
        <section className="card stack" data-testid="import-result" aria-live="polite">
          <h2 className="card-title">
            <Icon name="check" /> {t('import.resultTitle')}
          </h2>
          <p data-testid="import-result-count" data-count={result.imported}>
            {t('import.result', { count: result.imported, n: n(result.imported) })}
          </p>
          {result.skipped || result.units_created ? (
            <p className="small muted" data-testid="import-result-details">
              {[
                result.skipped ? t('import.skipped', { n: n(result.skipped) }) : null,
                result.units_created ? t('import.unitsCreated', { n: n(result.units_created) }) : null,
              ]
                .filter(Boolean)
                .join(' · ')}
            </p>
          ) : null}
          <p className="muted">{t('import.resultHint')}</p>
          <div className="button-row">
            {result.invites.length ? (
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => downloadText(`kantor-undangan-${preview.id}.csv`, invitesCsv(result.invites, window.location.origin))}
                data-testid="import-invites-csv"
              >
                <Icon name="download" size={18} /> {t('import.downloadInvites')}
              </button>
            ) : null}
            <button type="button" className="btn btn-secondary" onClick={reset} data-testid="import-start-over">
              {t('import.startOver')}
            </button>
          </div>
        </section>
      </div>
    );
  }

  return (
    <div className="stack-lg">
      <PageHeader title={t('import.title')} subtitle={t('import.subtitle')} />

      <div className="grid-cards">
        <section className="card stack-sm" aria-labelledby="import-step1">
          <h2 id="import-step1" className="card-title">{t('import.step1')}</h2>
          <p className="small muted">{t('import.templateHint')}</p>
          <div>
            <button type="button" className="btn btn-secondary" onClick={() => downloadText('kantor-impor-pegawai.csv', importTemplateCsv())} data-testid="import-template">
              <Icon name="download" size={18} /> {t('import.template')}
            </button>
          </div>
        </section>

        <form className="card stack-sm" onSubmit={onUpload} aria-labelledby="import-step2">
          <h2 id="import-step2" className="card-title">{t('import.step2')}</h2>
          <Field label={t('import.chooseFile')}>
            <input
              ref={fileRef}
              type="file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setPreview(null);
                upload.reset();
                confirm.reset();
              }}
              data-testid="import-file"
            />
          </Field>
          <FormError error={upload.error} testId="import-upload-error" />
          <div>
            <button type="submit" className="btn btn-primary" disabled={!file || upload.isPending} data-testid="import-upload">
              <Icon name="upload" size={18} /> {upload.isPending ? t('import.uploading') : t('import.upload')}
            </button>
          </div>
        </form>
      </div>

      {preview ? (
        <section className="card stack" aria-labelledby="import-step3" data-testid="import-preview">
          <div className="card-header">
            <h2 id="import-step3" className="card-title">{t('import.step3')}</h2>
            <p className="import-counts" data-testid="import-counts" data-valid={preview.valid_count} data-errors={preview.error_count}>
              {t('import.counts', { valid: n(preview.valid_count), errors: n(preview.error_count) })}
            </p>
          </div>
          {preview.error_count > 0 ? (
            <label className="checkbox">
              <input type="checkbox" checked={onlyErrors} onChange={(e) => setOnlyErrors(e.target.checked)} data-testid="import-only-errors" />
              {t('import.onlyErrors')}
            </label>
          ) : null}
          <div className="table-scroll">
            <table className="table import-table">
              <thead>
                <tr>
                  <th scope="col">{t('import.line')}</th>
                  {COLUMNS.map((c) => (
                    <th key={c.key} scope="col">
                      {fieldLabel(t, c.field)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <Fragment key={row.line}>
                    <tr className={row.errors.length ? 'row-error' : undefined} data-testid="import-row" data-line={row.line} data-has-errors={row.errors.length ? 'true' : 'false'}>
                      <td className="mono">
                        {row.line}
                        {row.errors.length ? null : (
                          <span className="row-ok" title={t('import.rowOk')}>
                            <Icon name="check" size={14} label={t('import.rowOk')} />
                          </span>
                        )}
                      </td>
                      {COLUMNS.map((c) => (
                        <td key={c.key} className={hasFieldError(row, c.field) ? 'cell-error' : undefined}>
                          {String(row[c.key] ?? '')}
                        </td>
                      ))}
                    </tr>
                    {row.errors.length ? (
                      <tr className="row-error row-error-detail">
                        <td colSpan={COLUMNS.length + 1}>
                          <ul className="row-errors" aria-label={t('import.rowErrors')}>
                            {row.errors.map((e, i) => (
                              <li key={i} data-code={e.code}>
                                <Icon name="alert" size={14} /> {rowErrorText(t, e)}
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>

          <div className="confirm-bar">
            {preview.error_count > 0 ? (
              <label className="checkbox">
                <input type="checkbox" checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)} data-testid="import-skip-invalid" />
                {t('import.skipInvalid')}
              </label>
            ) : (
              <span />
            )}
            <button type="button" className="btn btn-primary" disabled={!canConfirm || confirm.isPending} onClick={() => confirm.mutate()} data-testid="import-confirm">
              {confirm.isPending ? t('import.importing') : t('import.confirm', { count: importCount, n: n(importCount) })}
            </button>
          </div>
          {importCount === 0 ? <p className="muted">{t('import.nothingToImport')}</p> : null}
          <FormError error={confirm.error} testId="import-confirm-error" />
        </section>
      ) : null}
    </div>
  );
}
