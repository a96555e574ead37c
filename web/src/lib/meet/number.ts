// Meeting numbers (10–11 digits) are shown grouped like Zoom's: `812 345 6789` (10 digits) and
// `812 3456 7890` (11). Input accepts spaces, dashes and whole join links.

export const NUMBER_MIN = 10;
export const NUMBER_MAX = 11;

function groups(len: number): number[] {
  return len > 10 ? [3, 4, 4] : [3, 3, 4];
}

/** Digits only, at most 11. */
export function numberDigits(input: string): string {
  return input.replace(/\D/g, '').slice(0, NUMBER_MAX);
}

/** `81234567890` → `812 3456 7890`; partial input is grouped as far as it goes. */
export function formatMeetingNumber(input: string): string {
  const digits = numberDigits(input);
  const out: string[] = [];
  let i = 0;
  for (const g of groups(digits.length)) {
    if (i >= digits.length) break;
    out.push(digits.slice(i, i + g));
    i += g;
  }
  return out.join(' ');
}

/** The digits of a complete meeting number, or null. */
export function parseMeetingNumber(input: string): string | null {
  const cleaned = input.trim();
  if (!/^[\d\s-]+$/.test(cleaned)) return null;
  const digits = cleaned.replace(/\D/g, '');
  return digits.length >= NUMBER_MIN && digits.length <= NUMBER_MAX ? digits : null;
}

/**
 * Re-groups what is typed in the meeting-ID field and keeps the caret after the same digit.
 * `caret` is the selection start in `value`.
 */
export function reformatTyping(value: string, caret: number): { value: string; caret: number } {
  const digitsBefore = numberDigits(value.slice(0, caret)).length;
  const formatted = formatMeetingNumber(value);
  let seen = 0;
  let pos = 0;
  if (digitsBefore > 0) {
    for (pos = 0; pos < formatted.length; pos++) {
      if (/\d/.test(formatted[pos]!)) seen++;
      if (seen === digitsBefore) {
        pos++;
        break;
      }
    }
  }
  return { value: formatted, caret: Math.min(pos, formatted.length) };
}

/** A pasted join link (`…/meet/81234567890?pwd=abc123`) → its number and passcode. */
export function parseJoinLink(input: string): { number: string; passcode: string | null } | null {
  const m = /\/meet\/([\d\s%-]+)(?:[?#](.*))?$/.exec(input.trim());
  if (!m) return null;
  const number = parseMeetingNumber(decodeURIComponent(m[1]!));
  if (!number) return null;
  const params = new URLSearchParams((m[2] ?? '').split('#')[0]);
  return { number, passcode: params.get('pwd') };
}

/** Passcodes: 4–10 letters and digits. */
export function isValidPasscode(passcode: string): boolean {
  return /^[A-Za-z0-9]{4,10}$/.test(passcode);
}

/** The web route of a meeting: `/meet/81234567890?pwd=…`. */
export function meetPath(number: string, passcode?: string | null): string {
  const digits = number.replace(/\D/g, '');
  return `/meet/${digits}${passcode ? `?pwd=${encodeURIComponent(passcode)}` : ''}`;
}

/** The full join link for copying. */
export function joinLink(origin: string, number: string, passcode?: string | null): string {
  return origin.replace(/\/+$/, '') + meetPath(number, passcode);
}
