import { describe, expect, it } from 'vitest';
import type { Unit } from '../api/types';
import { buildUnitTree, descendantsOf, flattenTree, unitPath } from './unitTree';

const unit = (id: string, name: string, parent_id: string | null = null): Unit => ({
  id,
  name,
  parent_id,
  leader_user_id: null,
  leader_name: null,
  member_count: 0,
});

const UNITS = [
  unit('tik', 'Bidang TIK', 'dinas'),
  unit('dinas', 'Dinas Kominfo'),
  unit('jar', 'Seksi Jaringan', 'tik'),
  unit('apl', 'Seksi Aplikasi', 'tik'),
  unit('ikp', 'Bidang IKP', 'dinas'),
];

const names = (rows: { unit: Unit; depth: number }[]) => rows.map((r) => `${r.depth}:${r.unit.name}`);

describe('unit tree', () => {
  it('orders depth first, siblings by name', () => {
    expect(names(flattenTree(buildUnitTree(UNITS)))).toEqual([
      '0:Dinas Kominfo',
      '1:Bidang IKP',
      '1:Bidang TIK',
      '2:Seksi Aplikasi',
      '2:Seksi Jaringan',
    ]);
  });
  it('hides the children of collapsed units', () => {
    expect(names(flattenTree(buildUnitTree(UNITS), new Set(['tik'])))).toEqual([
      '0:Dinas Kominfo',
      '1:Bidang IKP',
      '1:Bidang TIK',
    ]);
  });
  it('shows orphans and cycles as roots instead of losing or looping', () => {
    const odd = [unit('a', 'A', 'missing'), unit('x', 'X', 'y'), unit('y', 'Y', 'x')];
    const rows = flattenTree(buildUnitTree(odd));
    expect(rows.map((r) => r.unit.id).sort()).toEqual(['a', 'x', 'y']);
  });
  it('builds the import path of a unit', () => {
    expect(unitPath(UNITS, 'jar')).toBe('Dinas Kominfo/Bidang TIK/Seksi Jaringan');
    expect(unitPath(UNITS, null)).toBe('');
  });
  it('finds a unit and its descendants (not valid as its new parent)', () => {
    expect([...descendantsOf(UNITS, 'tik')].sort()).toEqual(['apl', 'jar', 'tik']);
    expect([...descendantsOf(UNITS, 'jar')]).toEqual(['jar']);
  });
});
