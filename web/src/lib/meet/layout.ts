// Where the tiles go: how many fit on a page of the gallery, in how many columns, which people
// are on which page, and who is the big tile in speaker view.

export interface Size {
  width: number;
  height: number;
}

export interface Grid {
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** The whole grid (tiles and gaps): never larger than the area it was made for. */
  width: number;
  height: number;
}

export const DESKTOP_PAGE = 25;
export const ASPECT = 16 / 9;

/** Tiles per gallery page: up to 25 on a desktop, 4–9 on a phone, fewer when they would be tiny. */
export function pageSize(viewport: Size, minTileWidth = 160): number {
  const { width, height } = viewport;
  if (width < 600) {
    // Phones: 4 on small screens, 6 on tall portrait ones, 9 in landscape.
    if (width > height) return height < 400 ? 4 : 9;
    return height >= 700 ? 6 : 4;
  }
  if (width < 1000) return 9;
  // Desktops: as many 16:9 tiles of at least minTileWidth as fit, at most 25, at least 9.
  const cols = Math.max(3, Math.floor(width / minTileWidth));
  const rows = Math.max(3, Math.floor(height / (minTileWidth / ASPECT)));
  return Math.max(9, Math.min(DESKTOP_PAGE, cols * rows, 25));
}

/**
 * The grid that makes `count` tiles of the given aspect as large as possible inside `area`
 * (with `gap` pixels between tiles). Tile sizes are whole pixels, keep the aspect (to under a
 * pixel) and the grid always fits: cols × tileWidth + gaps ≤ area.width and rows × tileHeight +
 * gaps ≤ area.height — the tile size follows both the width and the height of the area.
 */
export function bestGrid(count: number, area: Size, gap = 8, aspect = ASPECT): Grid {
  const n = Math.max(1, Math.floor(count));
  const aw = Math.max(0, Math.floor(area.width));
  const ah = Math.max(0, Math.floor(area.height));
  let best: Grid = { cols: 1, rows: n, tileWidth: 0, tileHeight: 0, width: 0, height: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    // No empty rows: 3 columns for 4 tiles would leave the same rows as 2 columns.
    if (cols > 1 && Math.ceil(n / (cols - 1)) === rows) continue;
    const w = (aw - gap * (cols - 1)) / cols;
    const h = (ah - gap * (rows - 1)) / rows;
    if (w < 1 || h < 1) continue;
    // The largest tile of the aspect inside w × h, in whole pixels.
    const tw = Math.floor(Math.min(w, h * aspect));
    const th = Math.floor(tw / aspect);
    if (tw < 1 || th < 1) continue;
    if (tw * th >= best.tileWidth * best.tileHeight) {
      best = { cols, rows, tileWidth: tw, tileHeight: th, width: cols * tw + gap * (cols - 1), height: rows * th + gap * (rows - 1) };
    }
  }
  return best;
}

export interface Page<T> {
  items: T[];
  page: number;
  pages: number;
}

/** The `page`-th slice (clamped into range) of `items`. */
export function paginate<T>(items: readonly T[], size: number, page: number): Page<T> {
  const per = Math.max(1, size);
  const pages = Math.max(1, Math.ceil(items.length / per));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: items.slice(p * per, p * per + per), page: p, pages };
}

export interface OrderPerson {
  id: string;
  hand: boolean;
  cam: boolean;
}

/**
 * Gallery order: me first, then raised hands, then those who spoke most recently (`recent`, most
 * recent first), then people with cameras on, then everybody else in joining order.
 */
export function orderPeople<T extends OrderPerson>(people: readonly T[], meId: string | null, recent: readonly string[] = []): T[] {
  const rank = (p: T) => {
    if (p.id === meId) return 0;
    if (p.hand) return 1;
    if (recent.includes(p.id)) return 2;
    if (p.cam) return 3;
    return 4;
  };
  const index = new Map(people.map((p, i) => [p.id, i]));
  return [...people].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    if (ra === 2) return recent.indexOf(a.id) - recent.indexOf(b.id);
    return index.get(a.id)! - index.get(b.id)!;
  });
}

/**
 * The big tile of speaker view: the spotlight, else the active speaker, else the last one who
 * spoke, else the first other person — never me while others are here.
 */
export function mainSpeaker(ids: readonly string[], meId: string | null, spotlight: string | null, speaker: string | null, recent: readonly string[] = []): string | null {
  const present = (id: string | null | undefined): id is string => !!id && ids.includes(id);
  if (present(spotlight)) return spotlight;
  const others = ids.filter((id) => id !== meId);
  if (present(speaker) && (speaker !== meId || others.length === 0)) return speaker;
  const last = recent.find((id) => present(id) && id !== meId);
  if (last) return last;
  return others[0] ?? (present(meId) ? meId : null);
}

/** Pushes `id` to the front of the recent-speakers list (at most `keep`). */
export function noteSpeaker(recent: readonly string[], id: string | null, keep = 8): string[] {
  if (!id) return [...recent];
  return [id, ...recent.filter((x) => x !== id)].slice(0, keep);
}

/** The view request for the server: rounded device pixels, only for shown remote videos. */
export function viewSizes(tiles: ReadonlyMap<string, Size>, dpr: number): Record<string, { w: number; h: number }> {
  const out: Record<string, { w: number; h: number }> = {};
  const keys = [...tiles.keys()].sort();
  for (const key of keys) {
    const s = tiles.get(key)!;
    if (s.width <= 0 || s.height <= 0) continue;
    out[key] = { w: Math.round(s.width * dpr), h: Math.round(s.height * dpr) };
  }
  return out;
}

/** Up to two letters from the words of a name, skipping punctuation: `Rina (Notulis)` → `RN`. */
export function initials(name: string): string {
  const words = name
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean);
  const first = words[0]?.[0] ?? '?';
  const last = words.length > 1 ? (words[words.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}
