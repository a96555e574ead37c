import { describe, expect, it } from 'vitest';
import { bestGrid, initials, mainSpeaker, noteSpeaker, orderPeople, pageSize, paginate, viewSizes } from './layout';

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
