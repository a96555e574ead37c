// Formatting for people in Indonesia: `5.231`, `Senin, 23 November 2026`, `07.30 WIB`.
// Everything goes through Intl with id-ID (Bahasa Indonesia) or en-GB (English), and every
// instant is shown in a given IANA zone — never the browser's by accident.

import type { Language } from '../api/types';

export const INDONESIAN_ZONE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

export function intlLocale(lang: Language | string): string {
  return lang === 'en' ? 'en-GB' : 'id-ID';
}

type DateInput = Date | string | number;

function toDate(value: DateInput): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Some ICU versions put a no-break space inside formatted text; tests and copy want spaces. */
function plainSpaces(s: string): string {
  return s.replace(/[\u00a0\u202f]/g, ' ');
}

/** `5.231` (id) or `5,231` (en); decimals `37,5` (id). */
export function formatNumber(n: number, lang: Language, options?: Intl.NumberFormatOptions): string {
  return plainSpaces(new Intl.NumberFormat(intlLocale(lang), options).format(n));
}

/** `Rp 1.250.000` — money is integer rupiah. */
export function formatRupiah(rupiah: number, lang: Language): string {
  const n = new Intl.NumberFormat(intlLocale(lang), { maximumFractionDigits: 0 }).format(rupiah);
  return `Rp ${plainSpaces(n)}`;
}

/** `Senin, 23 November 2026` / `Monday, 23 November 2026`. */
export function formatDate(value: DateInput, timeZone: string, lang: Language): string {
  return plainSpaces(
    new Intl.DateTimeFormat(intlLocale(lang), {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: safeZone(timeZone),
    }).format(toDate(value)),
  );
}

/** `23 Nov 2026` — for tables. */
export function formatShortDate(value: DateInput, timeZone: string, lang: Language): string {
  return plainSpaces(
    new Intl.DateTimeFormat(intlLocale(lang), {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: safeZone(timeZone),
    }).format(toDate(value)),
  );
}

/** `07.30 WIB` (id) / `07:30 WIB` (en); other zones get Intl's short name (`GMT+1`). */
export function formatTime(value: DateInput, timeZone: string, lang: Language): string {
  const zone = safeZone(timeZone);
  const time = new Intl.DateTimeFormat(intlLocale(lang), {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
  }).format(toDate(value));
  return `${plainSpaces(time)} ${zoneAbbreviation(zone, value, lang)}`;
}

/** `23 Nov 2026 07.30 WIB`. */
export function formatDateTime(value: DateInput, timeZone: string, lang: Language): string {
  return `${formatShortDate(value, timeZone, lang)} ${formatTime(value, timeZone, lang)}`;
}

/** WIB / WITA / WIT for the Indonesian zones, else Intl's short zone name at that instant. */
export function zoneAbbreviation(timeZone: string, at: DateInput = new Date(), lang: Language = 'id'): string {
  const known = INDONESIAN_ZONE_ABBREVIATIONS[timeZone];
  if (known) return known;
  try {
    const parts = new Intl.DateTimeFormat(intlLocale(lang), {
      timeZone,
      timeZoneName: 'short',
    }).formatToParts(toDate(at));
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  } catch {
    return timeZone;
  }
}

/** `UTC+7`, `UTC+5:30`, `UTC` — the zone's offset at an instant. */
export function utcOffsetLabel(timeZone: string, at: DateInput = new Date()): string {
  try {
    const parts = new Intl.DateTimeFormat('en', {
      timeZone,
      timeZoneName: 'longOffset',
    }).formatToParts(toDate(at));
    const raw = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/.exec(raw);
    if (!m) return raw.replace('GMT', 'UTC');
    const hours = Number(m[2] ?? 0);
    const minutes = m[3] ?? '00';
    if (hours === 0 && minutes === '00') return 'UTC';
    return `UTC${m[1]}${hours}${minutes === '00' ? '' : `:${minutes}`}`;
  } catch {
    return '';
  }
}

/** Whether Intl knows this IANA zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function safeZone(timeZone: string): string {
  return timeZone && isValidTimeZone(timeZone) ? timeZone : 'Asia/Jakarta';
}

/** The browser's own zone, if Intl can tell; Asia/Jakarta otherwise. */
export function browserTimeZone(): string {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && isValidTimeZone(zone) ? zone : 'Asia/Jakarta';
  } catch {
    return 'Asia/Jakarta';
  }
}
