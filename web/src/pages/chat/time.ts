// Chat's time and size words: `07.30` beside a message, `Hari ini` / `Kemarin` / `Senin,
// 23 November 2026` between days, `1,2 MB` on a file — all in the reader's zone and language.

import type { TFunction } from 'i18next';
import type { Language } from '../../api/types';
import { formatDate, formatNumber, intlLocale } from '../../lib/format';
import { sameDay } from '../../lib/zonedTime';

/** `07.30` (id) / `07:30` (en), without the zone: the day divider and the title carry it. */
export function formatClock(value: string | Date, timeZone: string, lang: Language): string {
  try {
    return new Intl.DateTimeFormat(intlLocale(lang), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone })
      .format(new Date(value))
      .replace(/[\u00a0\u202f]/g, ' ');
  } catch {
    return '';
  }
}

export function dayLabel(value: string, timeZone: string, lang: Language, t: TFunction, now = new Date()): string {
  if (sameDay(value, now, timeZone)) return t('chat.today');
  if (sameDay(value, new Date(now.getTime() - 86_400_000), timeZone)) return t('chat.yesterday');
  return formatDate(value, timeZone, lang);
}

export function formatBytes(bytes: number, lang: Language): string {
  if (bytes < 1024) return `${formatNumber(bytes, lang)} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024, lang, { maximumFractionDigits: 0 })} KB`;
  return `${formatNumber(bytes / (1024 * 1024), lang, { maximumFractionDigits: 1 })} MB`;
}

/** `0.07` → `0:07`: a voice note's length. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Messages by the same person within this long stay in one group (no repeated name). */
export const GROUP_MS = 5 * 60_000;
