// The small emoji set offered by the picker, reactions and `:name:` autocomplete. Names are the
// usual short codes (English, as in Slack), so `:+1:` and `:thumbsup:` both find 👍.

export interface EmojiEntry {
  char: string;
  names: string[];
}

export const EMOJI: readonly EmojiEntry[] = [
  { char: '👍', names: ['+1', 'thumbsup', 'jempol'] },
  { char: '❤️', names: ['heart', 'hati'] },
  { char: '😂', names: ['joy', 'tertawa'] },
  { char: '🙏', names: ['pray', 'terima_kasih', 'thanks'] },
  { char: '🎉', names: ['tada', 'selamat'] },
  { char: '✅', names: ['white_check_mark', 'done', 'selesai'] },
  { char: '👀', names: ['eyes', 'lihat'] },
  { char: '🔥', names: ['fire', 'api'] },
  { char: '😊', names: ['blush', 'senyum', 'smile'] },
  { char: '😁', names: ['grin'] },
  { char: '😅', names: ['sweat_smile'] },
  { char: '😮', names: ['open_mouth', 'wow'] },
  { char: '😢', names: ['cry', 'sedih'] },
  { char: '😡', names: ['rage', 'marah'] },
  { char: '🤔', names: ['thinking', 'mikir'] },
  { char: '👏', names: ['clap', 'tepuk_tangan'] },
  { char: '🙌', names: ['raised_hands'] },
  { char: '💪', names: ['muscle', 'semangat'] },
  { char: '👌', names: ['ok_hand', 'oke'] },
  { char: '👋', names: ['wave', 'halo'] },
  { char: '🤝', names: ['handshake', 'salaman'] },
  { char: '☕', names: ['coffee', 'kopi'] },
  { char: '🍽️', names: ['fork_and_knife', 'makan'] },
  { char: '🕌', names: ['mosque', 'masjid'] },
  { char: '🏠', names: ['house', 'rumah', 'wfh'] },
  { char: '📅', names: ['date', 'calendar', 'rapat'] },
  { char: '🚗', names: ['car', 'mobil', 'lapangan'] },
  { char: '✈️', names: ['airplane', 'dinas'] },
  { char: '🤒', names: ['thermometer_face', 'sakit'] },
  { char: '🌴', names: ['palm_tree', 'cuti'] },
  { char: '⏰', names: ['alarm_clock', 'pengingat'] },
  { char: '📌', names: ['pushpin', 'pin'] },
  { char: '💯', names: ['100'] },
  { char: '⚠️', names: ['warning', 'peringatan'] },
  { char: '❌', names: ['x', 'tidak'] },
  { char: '🇮🇩', names: ['flag_id', 'indonesia'] },
];

/** Entries whose names start with `prefix` (then those containing it), at most `limit`. */
export function searchEmoji(prefix: string, limit = 8): EmojiEntry[] {
  const q = prefix.toLowerCase();
  const starts = EMOJI.filter((e) => e.names.some((n) => n.startsWith(q)));
  const contains = EMOJI.filter((e) => !starts.includes(e) && e.names.some((n) => n.includes(q)));
  return [...starts, ...contains].slice(0, limit);
}
