// Pure helpers of the Kehadiran (attendance) screen: who may open it, which units a leader may
// pick, and the text of stays and minutes. Kept apart from the component so they are tested
// without a browser.

import type { Unit } from '../../api/types';

export interface AttendanceViewer {
  /** Organisation role. */
  role: string;
  /** Leads at least one unit. */
  isLeader: boolean;
  userId: string;
}

/** Host/cohost (the meeting carries its passcode only for them), HR, admins, owners. */
export function seesEveryone(viewer: AttendanceViewer, meeting: { passcode: string | null; host_id: string }): boolean {
  return meeting.passcode !== null || meeting.host_id === viewer.userId || ['owner', 'admin', 'hr'].includes(viewer.role);
}

/** Whether the meetings list offers "Kehadiran" for this meeting. */
export function mayOpenAttendance(viewer: AttendanceViewer, meeting: { passcode: string | null; host_id: string }): boolean {
  return seesEveryone(viewer, meeting) || (viewer.isLeader && viewer.role !== 'guest');
}

/** The units a leader may report on: those they lead and every unit below them, tree order kept. */
export function ledSubtree(units: Unit[], userId: string): Unit[] {
  const ids = new Set(units.filter((u) => u.leader_user_id === userId).map((u) => u.id));
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of units) {
      if (u.parent_id && ids.has(u.parent_id) && !ids.has(u.id)) {
        ids.add(u.id);
        grew = true;
      }
    }
  }
  return units.filter((u) => ids.has(u.id));
}

/** The first unit a leader leads (the default of their unit filter), if any. */
export function defaultLedUnit(units: Unit[], userId: string): string | undefined {
  return units.find((u) => u.leader_user_id === userId)?.id;
}

/** `85` minutes as `1 j 25 mnt` / `1 h 25 min`; under an hour `25 mnt` / `25 min`. */
export function durationText(minutes: number, lang: string): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const [hu, mu] = lang === 'en' ? ['h', 'min'] : ['j', 'mnt'];
  return h > 0 ? `${h} ${hu} ${m} ${mu}` : `${m} ${mu}`;
}
