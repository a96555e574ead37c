import { describe, expect, it } from 'vitest';
import { bestGrid, initials, mainSpeaker, noteSpeaker, orderPeople, pageSize, paginate, viewSizes, type Size } from './layout';

describe('gallery paging', () => {
  it('fits up to 25 on a desktop and 4–9 on phones', () => {
    expect(pageSize({ width: 1280, height: 720 })).toBe(25);
    expect(pageSize({ width: 1920, height: 1000 })).toBe(25);
    expect(pageSize({ width: 800, height: 600 })).toBe(9);
    expect(pageSize({ width: 360, height: 640 })).toBe(4);
    expect(pageSize({ width: 360, height: 780 })).toBe(6);
    expect(pageSize({ width: 740, height: 360 })).toBe(9);
    expect(pageSize({ width: 560, height: 320 })).toBe(4);
  });

  it('paginates and clamps the page', () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    expect(paginate(items, 25, 0)).toEqual({ items: items.slice(0, 25), page: 0, pages: 2 });
    expect(paginate(items, 25, 1).items).toEqual([25, 26, 27, 28, 29]);
    expect(paginate(items, 25, 7).page).toBe(1);
    expect(paginate([], 25, 3)).toEqual({ items: [], page: 0, pages: 1 });
  });
});

describe('grid', () => {
  it('puts one tile full size and two side by side on a wide screen', () => {
    expect(bestGrid(1, { width: 1600, height: 900 }, 0)).toMatchObject({ cols: 1, rows: 1, tileWidth: 1600, tileHeight: 900 });
    expect(bestGrid(2, { width: 1600, height: 900 }, 0)).toMatchObject({ cols: 2, rows: 1 });
  });

  it('stacks on a portrait phone', () => {
    expect(bestGrid(2, { width: 360, height: 600 }, 8)).toMatchObject({ cols: 1, rows: 2 });
    expect(bestGrid(4, { width: 360, height: 600 }, 8)).toMatchObject({ cols: 1, rows: 4 });
    expect(bestGrid(6, { width: 360, height: 600 }, 8).cols).toBeLessThanOrEqual(2);
  });

  // The stage areas the room gives the gallery: a 1280×800 desktop (alone, with the weak-network
  // banner, with the pager, with a side panel open) and a 360×780 phone (with the pager).
  const areas: Size[] = [
    { width: 1264, height: 674 },
    { width: 1264, height: 618 },
    { width: 1264, height: 634 },
    { width: 916, height: 674 },
    { width: 1904, height: 950 },
    { width: 352, height: 660 },
    { width: 352, height: 620 },
    { width: 352, height: 560 },
    { width: 764, height: 250 },
  ];

  it('always fits 1–25 tiles of 16:9 inside the area, in whole pixels, without empty rows', () => {
    for (const area of areas) {
      for (const gap of [6, 10]) {
        for (let n = 1; n <= 25; n++) {
          const g = bestGrid(n, area, gap);
          const where = `${n} tiles in ${area.width}×${area.height}`;
          expect(g.cols * g.rows, where).toBeGreaterThanOrEqual(n);
          expect(g.rows, where).toBe(Math.ceil(n / g.cols));
          expect(g.tileWidth, where).toBeGreaterThan(0);
          expect(Number.isInteger(g.tileWidth) && Number.isInteger(g.tileHeight), where).toBe(true);
          expect(g.cols * g.tileWidth + (g.cols - 1) * gap, where).toBeLessThanOrEqual(area.width);
          expect(g.rows * g.tileHeight + (g.rows - 1) * gap, where).toBeLessThanOrEqual(area.height);
          expect(g.width, where).toBe(g.cols * g.tileWidth + (g.cols - 1) * gap);
          expect(g.height, where).toBe(g.rows * g.tileHeight + (g.rows - 1) * gap);
          // 16:9 to within a pixel of height
          expect(Math.abs(g.tileHeight - (g.tileWidth * 9) / 16), where).toBeLessThan(1);
        }
      }
    }
  });

  it('sizes tiles by the height when the height is what limits (3 on a 1280×800 desktop)', () => {
    const area = { width: 1264, height: 618 };
    const g = bestGrid(3, area, 10);
    expect(g).toMatchObject({ cols: 2, rows: 2 });
    // Two rows and a gap fill the height (304 px rows); the width follows from 16:9 (540 × 303).
    expect(g.tileHeight).toBe(303);
    expect(g.tileWidth).toBe(540);
    expect(g.height).toBeLessThanOrEqual(area.height);
    expect(g.width).toBeLessThan(area.width);
  });

  it('makes the most of the area: a larger tile would not fit', () => {
    for (const area of areas) {
      for (let n = 1; n <= 25; n++) {
        const g = bestGrid(n, area, 10);
        const w = g.tileWidth + 2;
        const h = Math.ceil((w * 9) / 16);
        const fitsWide = g.cols * w + (g.cols - 1) * 10 <= area.width;
        const fitsHigh = g.rows * h + (g.rows - 1) * 10 <= area.height;
        expect(fitsWide && fitsHigh, `${n} in ${area.width}×${area.height}`).toBe(false);
      }
    }
  });

  it('is empty rather than overflowing when there is no room', () => {
    expect(bestGrid(4, { width: 0, height: 0 }).tileWidth).toBe(0);
    expect(bestGrid(25, { width: 40, height: 20 }, 10).width).toBeLessThanOrEqual(40);
  });

  it('uses 5×5 for 25 on a desktop', () => {
    const g = bestGrid(25, { width: 1280, height: 720 }, 8);
    expect(g.cols * g.rows).toBeGreaterThanOrEqual(25);
    expect(g.cols).toBe(5);
  });
});

describe('order and speaker', () => {
  const people = [
    { id: 'a', hand: false, cam: false },
    { id: 'b', hand: false, cam: true },
    { id: 'me', hand: false, cam: true },
    { id: 'c', hand: true, cam: false },
    { id: 'd', hand: false, cam: false },
  ];

  it('orders me, hands, recent speakers, cameras, the rest', () => {
    expect(orderPeople(people, 'me', ['d']).map((p) => p.id)).toEqual(['me', 'c', 'd', 'b', 'a']);
  });

  it('picks spotlight, then speaker, never me while others are here', () => {
    const ids = ['me', 'a', 'b'];
    expect(mainSpeaker(ids, 'me', 'b', 'a')).toBe('b');
    expect(mainSpeaker(ids, 'me', null, 'a')).toBe('a');
    expect(mainSpeaker(ids, 'me', null, 'me', ['b'])).toBe('b');
    expect(mainSpeaker(ids, 'me', null, null)).toBe('a');
    expect(mainSpeaker(['me'], 'me', null, null)).toBe('me');
    expect(mainSpeaker(ids, 'me', 'gone', null)).toBe('a');
  });

  it('remembers recent speakers', () => {
    expect(noteSpeaker(['a', 'b'], 'b')).toEqual(['b', 'a']);
    expect(noteSpeaker(['a'], null)).toEqual(['a']);
  });

  it('reports tile sizes in device pixels', () => {
    const m = new Map([
      ['p1:cam', { width: 320, height: 180 }],
      ['p2:cam', { width: 0, height: 0 }],
    ]);
    expect(viewSizes(m, 2)).toEqual({ 'p1:cam': { w: 640, h: 360 } });
  });
});

describe('initials', () => {
  it('takes letters of the first and last words, skipping punctuation', () => {
    expect(initials('Rina (Notulis)')).toBe('RN');
    expect(initials('budi')).toBe('B');
    expect(initials('  ')).toBe('?');
    expect(initials('Ir. H. Joko Widodo')).toBe('IW');
  });
});
