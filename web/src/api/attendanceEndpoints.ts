// A meeting's attendance report (rekap kehadiran): the JSON for the Kehadiran screen and the
// URLs of its XLSX / CSV exports (plain GET links: the session cookie is enough, and the browser
// saves the file under the server's Content-Disposition name). Types are derived from the
// generated schema.

import { api, apiUrl } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type AttendanceReport = Schemas['AttendanceReportDto'];
export type AttendanceRow = Schemas['AttendanceRowDto'];
export type AttendanceTotals = Schemas['AttendanceTotalsDto'];
export type AttendanceStatus = Schemas['AttendanceStatusDto'];

export interface AttendanceQuery {
  /** Required for unit leaders: a unit they lead. */
  unit_id?: string;
  from?: string;
  to?: string;
}

const path = (orgId: string, meetingId: string) =>
  `/api/v1/orgs/${encodeURIComponent(orgId)}/meetings/${encodeURIComponent(meetingId)}/attendance`;

const clean = (q: AttendanceQuery) => ({ unit_id: q.unit_id || undefined, from: q.from || undefined, to: q.to || undefined });

/** meeting_attendance */
export const getAttendance = (orgId: string, meetingId: string, q: AttendanceQuery = {}) =>
  api.get<AttendanceReport>(path(orgId, meetingId), clean(q));

/** meeting_attendance_xlsx */
export const attendanceXlsxUrl = (orgId: string, meetingId: string, q: AttendanceQuery = {}) =>
  apiUrl(`${path(orgId, meetingId)}.xlsx`, clean(q));

/** meeting_attendance_csv: `;` for Excel set up for Indonesia (the default), `,` elsewhere. */
export const attendanceCsvUrl = (orgId: string, meetingId: string, q: AttendanceQuery = {}, sep: 'semicolon' | 'comma' = 'semicolon') =>
  apiUrl(`${path(orgId, meetingId)}.csv`, { ...clean(q), sep });
