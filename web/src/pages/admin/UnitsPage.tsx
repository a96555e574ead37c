// `/o/:orgId/units`: the unit tree editor — add, rename, move, set leader, delete.

import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/endpoints';
import { keys, useMember, useMemberPages, useUnits } from '../../api/queries';
import type { Unit, UnitPatch } from '../../api/types';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError, fieldError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { UnitSelect } from '../../components/Selects';
import { useToast } from '../../components/Toast';
import { useLanguage } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { buildUnitTree, descendantsOf, flattenTree } from '../../lib/unitTree';
import { useOrgScope } from '../../shell/OrgContext';

type Editing = { mode: 'create'; parent: Unit | null } | { mode: 'edit'; unit: Unit };

function LeaderPicker({ id, orgId, value, onChange }: { id?: string; orgId: string; value: string; onChange: (id: string) => void }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const results = useMemberPages(orgId, { q: q.trim() || undefined, status: 'active' });
  const current = useMember(orgId, value || undefined);
  const people = results.data?.pages.flatMap((p) => p.items) ?? [];
  const options = current.data && !people.some((p) => p.id === value) ? [current.data, ...people] : people;
  return (
    <div className="stack-sm">
      <input type="search" placeholder={t('units.searchLeader')} aria-label={t('units.searchLeader')} value={q} onChange={(e) => setQ(e.target.value)} data-testid="unit-leader-search" />
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="unit-leader">
        <option value="">{t('units.noLeader')}</option>
        {options.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
            {m.position ? ` — ${m.position}` : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

function UnitForm({ editing, units, orgId, onDone }: { editing: Editing; units: Unit[]; orgId: string; onDone: (message: string) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const initial = editing.mode === 'edit' ? editing.unit : null;
  const [name, setName] = useState(initial?.name ?? '');
  const [parentId, setParentId] = useState(initial ? (initial.parent_id ?? '') : (editing.mode === 'create' ? (editing.parent?.id ?? '') : ''));
  const [leaderId, setLeaderId] = useState(initial?.leader_user_id ?? '');
  const exclude = useMemo(() => (initial ? descendantsOf(units, initial.id) : undefined), [initial, units]);

  const mutation = useMutation({
    mutationFn: async () => {
      if (!initial) {
        return ep.createUnit(orgId, {
          name: name.trim(),
          ...(parentId ? { parent_id: parentId } : {}),
          ...(leaderId ? { leader_user_id: leaderId } : {}),
        });
      }
      // Absent = unchanged; '' = top level / no leader.
      const patch: UnitPatch = {};
      if (name.trim() !== initial.name) patch.name = name.trim();
      if (parentId !== (initial.parent_id ?? '')) patch.parent_id = parentId;
      if (leaderId !== (initial.leader_user_id ?? '')) patch.leader_user_id = leaderId;
      return Object.keys(patch).length ? ep.patchUnit(orgId, initial.id, patch) : initial;
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.units(orgId) });
      void queryClient.invalidateQueries({ queryKey: keys.members(orgId) });
      onDone(initial ? t('common.saved') : t('units.created'));
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  const err = (field: string) => fieldError(mutation.error, field, t);
  return (
    <form className="stack" onSubmit={onSubmit} noValidate data-testid="unit-form">
      <Field label={t('units.newName')} error={err('name')}>
        <input type="text" required maxLength={200} placeholder={t('units.namePlaceholder')} value={name} onChange={(e) => setName(e.target.value)} data-testid="unit-name-input" autoFocus />
      </Field>
      <Field label={t('units.parent')} error={err('parent_id')}>
        <UnitSelect units={units} exclude={exclude} emptyLabel={t('units.topLevel')} value={parentId} onChange={(e) => setParentId(e.target.value)} data-testid="unit-parent" />
      </Field>
      <Field label={t('units.leader')} error={err('leader_user_id')}>
        <LeaderPicker orgId={orgId} value={leaderId} onChange={setLeaderId} />
      </Field>
      <FormError error={mutation.error} testId="unit-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || mutation.isPending} data-testid="unit-save">
          {mutation.isPending ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </form>
  );
}

export default function UnitsPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const notify = useToast();
  const queryClient = useQueryClient();
  const { orgId } = useOrgScope();
  const units = useUnits(orgId);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Unit | null>(null);

  const list = units.data ?? [];
  const tree = useMemo(() => buildUnitTree(list), [list]);
  const rows = useMemo(() => flattenTree(tree, collapsed), [tree, collapsed]);

  const remove = useMutation({
    mutationFn: (unit: Unit) => ep.deleteUnit(orgId, unit.id),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: keys.units(orgId) });
      notify(t('units.deleted'));
    },
  });

  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="stack-lg">
      <PageHeader
        title={t('units.title')}
        subtitle={t('units.subtitle')}
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setEditing({ mode: 'create', parent: null })} data-testid="unit-add-root">
            <Icon name="plus" size={18} /> {t('units.addRoot')}
          </button>
        }
      />
      {units.isPending ? <Loading /> : null}
      {units.isError ? <QueryError error={units.error} onRetry={() => void units.refetch()} /> : null}
      {units.isSuccess && list.length === 0 ? <EmptyState>{t('units.empty')}</EmptyState> : null}

      {rows.length ? (
        <ul className="card flush tree" role="tree" aria-label={t('units.title')} data-testid="unit-tree">
          {rows.map((node) => {
            const u = node.unit;
            const hasChildren = node.children.length > 0;
            const isCollapsed = collapsed.has(u.id);
            const leader = u.leader_name;
            return (
              <li
                key={u.id}
                role="treeitem"
                aria-level={node.depth + 1}
                aria-expanded={hasChildren ? !isCollapsed : undefined}
                aria-selected={false}
                className="tree-row"
                style={{ paddingInlineStart: `calc(var(--space-3) + ${node.depth} * var(--tree-indent))` }}
                data-testid="unit-row"
                data-unit-id={u.id}
                data-unit-name={u.name}
              >
                {hasChildren ? (
                  <button
                    type="button"
                    className="btn btn-ghost btn-icon tree-toggle"
                    onClick={() => toggle(u.id)}
                    aria-label={isCollapsed ? t('units.expand', { name: u.name }) : t('units.collapse', { name: u.name })}
                    data-testid="unit-toggle"
                  >
                    <Icon name={isCollapsed ? 'chevronRight' : 'chevronDown'} size={18} />
                  </button>
                ) : (
                  <span className="tree-toggle" aria-hidden="true" />
                )}
                <div className="tree-main">
                  <strong className="truncate">{u.name}</strong>
                  <span className="muted small">
                    {t('units.memberCount', { count: u.member_count, n: formatNumber(u.member_count, lang) })}
                    {leader ? ` · ${t('units.leader')}: ${leader}` : ''}
                  </span>
                </div>
                <div className="tree-actions" role="group" aria-label={t('units.actionsFor', { name: u.name })}>
                  <button type="button" className="btn btn-ghost btn-icon" onClick={() => setEditing({ mode: 'create', parent: u })} aria-label={t('units.addChildOf', { name: u.name })} title={t('units.addChild')} data-testid="unit-add-child">
                    <Icon name="plus" size={18} />
                  </button>
                  <button type="button" className="btn btn-ghost btn-icon" onClick={() => setEditing({ mode: 'edit', unit: u })} aria-label={t('units.editTitle', { name: u.name })} title={`${t('units.rename')} / ${t('units.move')} / ${t('units.setLeader')}`} data-testid="unit-edit">
                    <Icon name="edit" size={18} />
                  </button>
                  <button
                    type="button"
                    className="btn btn-ghost btn-icon danger"
                    onClick={() => {
                      remove.reset();
                      setDeleting(u);
                    }}
                    aria-label={`${t('units.delete')}: ${u.name}`}
                    title={t('units.delete')}
                    data-testid="unit-delete"
                  >
                    <Icon name="trash" size={18} />
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      ) : null}

      <Dialog
        open={!!editing}
        onClose={() => setEditing(null)}
        testId="unit-dialog"
        title={
          editing?.mode === 'edit'
            ? t('units.editTitle', { name: editing.unit.name })
            : editing?.parent
              ? t('units.addChildOf', { name: editing.parent.name })
              : t('units.addRoot')
        }
      >
        {editing ? (
          <UnitForm
            key={editing.mode === 'edit' ? editing.unit.id : `new-${editing.parent?.id ?? 'root'}`}
            editing={editing}
            units={list}
            orgId={orgId}
            onDone={(message) => {
              setEditing(null);
              notify(message);
            }}
          />
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={!!deleting}
        message={t('units.confirmDelete', { name: deleting?.name ?? '' })}
        confirmLabel={t('units.delete')}
        danger
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
        error={<FormError error={remove.error} testId="unit-delete-error" />}
      />
    </div>
  );
}
