// The pickers used across forms: time zone, language, role, unit.

import { useMemo, type SelectHTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role, Unit } from '../api/types';
import { LANGUAGES } from '../i18n';
import { ROLES } from '../lib/roles';
import { allTimeZones, timeZoneLabel } from '../lib/timezones';
import { buildUnitTree, flattenTree } from '../lib/unitTree';

type SelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'children'>;

/** WIB, WITA, WIT first, then every zone the browser knows. */
let zoneOptions: { value: string; label: string }[] | null = null;

/** Built once per page: ~400 zones, each needing an Intl formatter for its offset. */
function timeZoneOptions() {
  if (!zoneOptions) {
    const now = new Date();
    zoneOptions = allTimeZones().map((z) => ({ value: z, label: timeZoneLabel(z, now) }));
  }
  return zoneOptions;
}

export function TimeZoneSelect(props: SelectProps) {
  const zones = timeZoneOptions();
  const value = typeof props.value === 'string' ? props.value : undefined;
  const known = !value || zones.some((z) => z.value === value);
  return (
    <select {...props}>
      {!known && value ? <option value={value}>{value}</option> : null}
      {zones.map((z) => (
        <option key={z.value} value={z.value}>
          {z.label}
        </option>
      ))}
    </select>
  );
}

export function LanguageSelect(props: SelectProps) {
  const { t } = useTranslation();
  return (
    <select {...props}>
      {LANGUAGES.map((l) => (
        <option key={l} value={l}>
          {t(`languages.${l}`)}
        </option>
      ))}
    </select>
  );
}

interface RoleSelectProps extends SelectProps {
  roles?: readonly Role[];
  /** A first option meaning "any role" (filters). */
  anyLabel?: string;
}

export function RoleSelect({ roles = ROLES, anyLabel, ...props }: RoleSelectProps) {
  const { t } = useTranslation();
  return (
    <select {...props}>
      {anyLabel !== undefined ? <option value="">{anyLabel}</option> : null}
      {roles.map((r) => (
        <option key={r} value={r}>
          {t(`roles.${r}`)}
        </option>
      ))}
    </select>
  );
}

interface UnitSelectProps extends SelectProps {
  units: readonly Unit[];
  /** Label of the empty choice ("no unit", "all units", "top level"). */
  emptyLabel: string;
  /** Units that may not be chosen (e.g. a unit and its descendants when moving it). */
  exclude?: ReadonlySet<string>;
}

/** `Seksi Jaringan (Dinas Kominfo › Bidang TIK)`: the name first, so a narrow select still shows it. */
export function unitOptionLabel(name: string, ancestors: readonly string[]): string {
  return ancestors.length ? `${name} (${ancestors.join(' › ')})` : name;
}

/** Units in tree order, each labelled with its ancestors. */
export function UnitSelect({ units, emptyLabel, exclude, ...props }: UnitSelectProps) {
  const rows = useMemo(() => flattenTree(buildUnitTree(units)), [units]);
  // Names of each unit's ancestors, to tell "Seksi Umum" of one bidang from another's.
  const parents = useMemo(() => {
    const map = new Map<string, string[]>();
    const walk = (nodes: ReturnType<typeof buildUnitTree>, trail: string[]) => {
      for (const node of nodes) {
        map.set(node.unit.id, trail);
        walk(node.children, [...trail, node.unit.name]);
      }
    };
    walk(buildUnitTree(units), []);
    return map;
  }, [units]);
  return (
    <select {...props}>
      <option value="">{emptyLabel}</option>
      {rows
        .filter((n) => !exclude?.has(n.unit.id))
        .map((n) => (
          <option key={n.unit.id} value={n.unit.id}>
            {unitOptionLabel(n.unit.name, parents.get(n.unit.id) ?? [])}
          </option>
        ))}
    </select>
  );
}
