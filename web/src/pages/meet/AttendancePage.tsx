// Kehadiran — a meeting's attendance (lazily loaded, /o/:orgId/meet/:meetingId/attendance):
// every invitee and participant with unit, NIP/NIK, each join and leave, total minutes and
// hadir / tidak hadir; a unit filter (a unit leader sees only the units they lead); exports as
// XLSX and CSV with `;` for Excel set up for Indonesia. A table on wide screens, cards on phones.
// `?from=&to=` narrows it to one occurrence of a recurring meeting.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { attendanceCsvUrl, attendanceXlsxUrl, getAttendance, type AttendanceRow } from '../../api/attendanceEndpoints';
import { getMeeting } from '../../api/meetEndpoints';
import { listUnits } from '../../api/endpoints';
import { isApiError } from '../../api/client';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { UnitSelect } from '../../components/Selects';
import { useLanguage } from '../../i18n';
import { formatDate, formatNumber, formatTime, zoneAbbreviation } from '../../lib/format';
import { orgPath } from '../../shell/nav';
import { useOrgScope } from '../../shell/OrgContext';
import { defaultLedUnit, durationText, ledSubtree, seesEveryone } from './attendance';
import './attendance.css';

function StayList({ row, zone, lang }: { row: AttendanceRow; zone: string; lang: string }) {
  const { t } = useTranslation();
  if (row.stays.length === 0) return <span className="muted">—</span>;
  const time = (at: string) => formatTime(at, zone, lang as 'id' | 'en').replace(/ \S+$/, '');
  return (
    <ul className="attendance-stays">
      {row.stays.map((s) => (
        <li key={s.joined_at} data-testid="attendance-stay">
          {time(s.joined_at)}–{s.left_at ? time(s.left_at) : t('attendance.stillIn')}
        </li>
      ))}
    </ul>
  );
}

function roleText(t: (k: string) => string, row: AttendanceRow): string {
  if (row.guest) return t('attendance.roleGuest');
  if (!row.role) return '';
  return t(`attendance.role.${row.role}`);
}

export default function AttendancePage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const { orgId, me, membership } = useOrgScope();
  const { meetingId = '' } = useParams();
  // One occurrence of a recurring meeting: `?from=…&to=…` (RFC 3339), passed on as the window.
  const [search] = useSearchParams();
  const from = search.get('from') ?? undefined;
  const to = search.get('to') ?? undefined;
  const zone = me.user.time_zone;
  const units = useQuery({ queryKey: ['units', orgId], queryFn: () => listUnits(orgId) });
  const meeting = useQuery({ queryKey: ['meeting', orgId, meetingId], queryFn: () => getMeeting(orgId, meetingId), retry: false });
  // The host, cohosts, HR and admins see everyone (all units by default); a unit leader sees
  // the units they lead and must name one (the server answers 404 otherwise).
  const viewer = { role: membership.role, isLeader: membership.is_leader, userId: me.user.id };
  const leaderMode = meeting.data ? !seesEveryone(viewer, meeting.data) : false;
  const [unit, setUnit] = useState<string>('');
  const led = ledSubtree(units.data ?? [], me.user.id);
  const effectiveUnit = unit || (leaderMode ? (defaultLedUnit(units.data ?? [], me.user.id) ?? '') : '');
  const ready = meeting.isSuccess && (!leaderMode || units.isSuccess);
  const report = useQuery({
    queryKey: ['attendance', orgId, meetingId, effectiveUnit, from, to],
    queryFn: () => getAttendance(orgId, meetingId, { unit_id: effectiveUnit || undefined, from, to }),
    enabled: ready && (!leaderMode || effectiveUnit !== ''),
    retry: false,
  });
  const failed = meeting.error ?? report.error;
  const query = { unit_id: effectiveUnit || undefined, from, to };
  const title = report.data ? t('attendance.title', { title: report.data.title }) : t('attendance.titlePlain');
  const pickable = leaderMode ? led : (units.data ?? []);
  const data = report.data;
  const zoneName = zoneAbbreviation(zone);
  return (
    <div className="stack-lg attendance-page" data-testid="attendance">
      <div>
        <Link to={orgPath(orgId, 'meet')} className="btn btn-ghost btn-sm" data-testid="attendance-back">
          <Icon name="chevronLeft" size={16} />
          {t('attendance.back')}
        </Link>
      </div>
      <PageHeader
        title={title}
        subtitle={data ? t('attendance.subtitle', { number: data.number_display, zone: zoneName }) : undefined}
        actions={
          data ? (
            <>
              <a className="btn btn-secondary btn-sm" href={attendanceXlsxUrl(orgId, meetingId, query)} download data-testid="attendance-export-xlsx">
                <Icon name="download" size={16} />
                {t('attendance.exportXlsx')}
              </a>
              <a className="btn btn-ghost btn-sm" href={attendanceCsvUrl(orgId, meetingId, query, 'semicolon')} download data-testid="attendance-export-csv">
                {t('attendance.exportCsv')}
              </a>
            </>
          ) : undefined
        }
      />
      <div className="toolbar attendance-filter">
        <label htmlFor="attendance-unit" className="small muted">
          {t('attendance.unit')}
        </label>
        <UnitSelect
          id="attendance-unit"
          units={pickable}
          emptyLabel={leaderMode ? t('attendance.myUnit') : t('attendance.allUnits')}
          value={unit}
          onChange={(e) => setUnit(e.target.value)}
          data-testid="attendance-unit"
        />
      </div>
      {!failed && !data && !(leaderMode && effectiveUnit === '') ? <Loading /> : null}
      {failed ? (
        isApiError(failed, 'not_found') ? (
          <div className="card narrow" data-testid="attendance-hidden">
            <p>{t('attendance.hidden')}</p>
          </div>
        ) : (
          <QueryError error={failed} onRetry={() => void report.refetch()} />
        )
      ) : null}
      {leaderMode && effectiveUnit === '' && units.isSuccess ? (
        <div className="card narrow" data-testid="attendance-hidden">
          <p>{t('attendance.hidden')}</p>
        </div>
      ) : null}
      {data ? (
        <>
          <div className="attendance-totals" data-testid="attendance-totals">
            <span className="badge">{t('attendance.people', { count: formatNumber(data.totals.people, lang) })}</span>
            <span className="badge badge-success">{t('attendance.presentCount', { count: formatNumber(data.totals.present, lang) })}</span>
            <span className={`badge${data.totals.absent > 0 ? ' badge-status-deactivated' : ''}`}>{t('attendance.absentCount', { count: formatNumber(data.totals.absent, lang) })}</span>
            {data.totals.invited_absent > 0 ? (
              <span className="badge badge-status-invited">{t('attendance.invitedAbsent', { count: formatNumber(data.totals.invited_absent, lang) })}</span>
            ) : null}
            {data.rows[0]?.first_join ? <span className="muted small">{formatDate(data.rows.find((r) => r.first_join)?.first_join ?? '', zone, lang)}</span> : null}
          </div>
          {data.rows.length === 0 ? (
            <EmptyState>{t('attendance.empty')}</EmptyState>
          ) : (
            <div className="card flush table-scroll">
              <table className="table attendance-table" data-testid="attendance-table">
                <thead>
                  <tr>
                    <th scope="col">{t('attendance.name')}</th>
                    <th scope="col">{t('attendance.employeeNumber')}</th>
                    <th scope="col">{t('attendance.unit')}</th>
                    <th scope="col">{t('attendance.invited')}</th>
                    <th scope="col">{t('attendance.stays')}</th>
                    <th scope="col" className="num">{t('attendance.minutes')}</th>
                    <th scope="col">{t('attendance.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr
                      key={r.user_id ?? r.participant_id ?? r.name}
                      data-testid="attendance-row"
                      data-user-id={r.user_id ?? ''}
                      data-status={r.status}
                      data-minutes={r.minutes}
                    >
                      <td data-label={t('attendance.name')}>
                        <div>
                          <div className="attendance-name">{r.name}</div>
                          <div className="muted small">{[roleText(t, r), r.position].filter(Boolean).join(' · ')}</div>
                        </div>
                      </td>
                      <td className="mono small" data-label={t('attendance.employeeNumber')}>{r.employee_number ?? ''}</td>
                      <td data-label={t('attendance.unit')}>{r.unit_name ?? ''}</td>
                      <td data-label={t('attendance.invited')}>{r.invited ? t('attendance.yes') : t('attendance.no')}</td>
                      <td data-label={t('attendance.stays')}>
                        <StayList row={r} zone={zone} lang={lang} />
                      </td>
                      <td className="num" data-label={t('attendance.minutes')} data-testid="attendance-minutes">
                        {r.status === 'hadir' ? durationText(r.minutes, lang) : '—'}
                      </td>
                      <td data-label={t('attendance.status')}>
                        <span className={`badge ${r.status === 'hadir' ? 'badge-success' : 'badge-status-deactivated'}`} data-testid="attendance-status">
                          {t(`attendance.statusValue.${r.status}`)}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted small">{t('attendance.rounding')}</p>
        </>
      ) : null}
    </div>
  );
}
