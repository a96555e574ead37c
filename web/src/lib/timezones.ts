// The time zone list for pickers: the three Indonesian zones first, then every other zone the
// browser knows.

import { INDONESIAN_ZONE_ABBREVIATIONS, utcOffsetLabel } from './format';

export const INDONESIAN_ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'] as const;

const FALLBACK_ZONES = [
  'Asia/Pontianak',
  'Asia/Singapore',
  'Asia/Kuala_Lumpur',
  'Asia/Bangkok',
  'Asia/Manila',
  'Asia/Tokyo',
  'Australia/Perth',
  'Australia/Sydney',
  'Europe/London',
  'Europe/Amsterdam',
  'America/New_York',
  'UTC',
];

type IntlWithZones = typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };

export function allTimeZones(): string[] {
  let others: string[];
  try {
    const fn = (Intl as IntlWithZones).supportedValuesOf;
    others = fn ? fn('timeZone') : FALLBACK_ZONES;
  } catch {
    others = FALLBACK_ZONES;
  }
  const first = new Set<string>(INDONESIAN_ZONES);
  return [...INDONESIAN_ZONES, ...others.filter((z) => !first.has(z))];
}

/** `WIB — Asia/Jakarta (UTC+7)` or `Europe/London (UTC)`. */
export function timeZoneLabel(zone: string, at: Date = new Date()): string {
  const abbr = INDONESIAN_ZONE_ABBREVIATIONS[zone];
  const offset = utcOffsetLabel(zone, at);
  const name = zone.replace(/_/g, ' ');
  const suffix = offset && offset !== name ? ` (${offset})` : '';
  return abbr && (INDONESIAN_ZONES as readonly string[]).includes(zone)
    ? `${abbr} — ${name}${suffix}`
    : `${name}${suffix}`;
}
