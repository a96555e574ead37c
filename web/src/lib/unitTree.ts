// The unit tree from the flat `GET /units` list: ordering, depth, paths and descendants.
// Defensive against bad data: a unit whose parent is missing is shown as a root, and a cycle
// never loops.

import type { Unit } from '../api/types';

export interface UnitNode {
  unit: Unit;
  depth: number;
  children: UnitNode[];
}

const byName = (a: Unit, b: Unit) => a.name.localeCompare(b.name, 'id');

export function buildUnitTree(units: readonly Unit[]): UnitNode[] {
  const ids = new Set(units.map((u) => u.id));
  const childrenOf = new Map<string | null, Unit[]>();
  for (const u of units) {
    const parent = u.parent_id && ids.has(u.parent_id) && u.parent_id !== u.id ? u.parent_id : null;
    const list = childrenOf.get(parent) ?? [];
    list.push(u);
    childrenOf.set(parent, list);
  }
  const seen = new Set<string>();
  const build = (parent: string | null, depth: number): UnitNode[] =>
    (childrenOf.get(parent) ?? [])
      .slice()
      .sort(byName)
      .filter((u) => !seen.has(u.id))
      .map((u) => {
        seen.add(u.id);
        return { unit: u, depth, children: build(u.id, depth + 1) };
      });
  const roots = build(null, 0);
  // Units caught in a parent cycle are unreachable from a root: show them as roots too.
  for (const u of units.slice().sort(byName)) {
    if (!seen.has(u.id)) {
      seen.add(u.id);
      roots.push({ unit: u, depth: 0, children: build(u.id, 1) });
    }
  }
  return roots;
}

/** Depth-first rows, skipping the children of collapsed units. */
export function flattenTree(nodes: readonly UnitNode[], collapsed: ReadonlySet<string> = new Set()): UnitNode[] {
  const out: UnitNode[] = [];
  const walk = (list: readonly UnitNode[]) => {
    for (const n of list) {
      out.push(n);
      if (!collapsed.has(n.unit.id)) walk(n.children);
    }
  };
  walk(nodes);
  return out;
}

/** `Dinas Kominfo/Bidang TIK/Seksi Jaringan` — the path the import file uses. */
export function unitPath(units: readonly Unit[], unitId: string | null | undefined): string {
  if (!unitId) return '';
  const byId = new Map(units.map((u) => [u.id, u]));
  const names: string[] = [];
  const seen = new Set<string>();
  let current = byId.get(unitId);
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    names.unshift(current.name);
    current = current.parent_id ? byId.get(current.parent_id) : undefined;
  }
  return names.join('/');
}

/** The unit's own name, or null. */
export function unitNameOf(units: readonly Unit[] | undefined, unitId: string | null): string | null {
  if (!unitId || !units) return null;
  return units.find((u) => u.id === unitId)?.name ?? null;
}

/** The unit itself and everything below it: not allowed as its new parent. */
export function descendantsOf(units: readonly Unit[], unitId: string): Set<string> {
  const result = new Set<string>([unitId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of units) {
      if (u.parent_id && result.has(u.parent_id) && !result.has(u.id)) {
        result.add(u.id);
        grew = true;
      }
    }
  }
  return result;
}
