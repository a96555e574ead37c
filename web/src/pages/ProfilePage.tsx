// `/profile`: name, phone, photo, language, time zone, notifications on this browser.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { patchMe, putAvatar } from '../api/endpoints';
import { keys, useMe } from '../api/queries';
import type { Language, Me } from '../api/types';
import { Avatar } from '../components/Avatar';
import { Field } from '../components/Field';
import { FormError, fieldError } from '../components/FormError';
import { NotificationSettings } from '../components/NotificationSettings';
import { PageHeader } from '../components/Page';
import { LanguageSelect, TimeZoneSelect } from '../components/Selects';
import { useToast } from '../components/Toast';
import { isLanguage, setLanguage } from '../i18n';
import { shrinkImage } from '../lib/image';

export default function ProfilePage() {
  const { t } = useTranslation();
  const me = useMe().data;
  const queryClient = useQueryClient();
  const notify = useToast();
  const fileRef = useRef<HTMLInputElement>(null);
  const [form, setForm] = useState({ name: '', phone: '', language: 'id' as Language, time_zone: 'Asia/Jakarta' });

  useEffect(() => {
    if (me) {
      setForm({ name: me.user.name, phone: me.user.phone ?? '', language: me.user.language, time_zone: me.user.time_zone });
    }
  }, [me]);

  const save = useMutation({
    mutationFn: () =>
      // An empty phone clears it (absent would mean "unchanged").
      patchMe({ name: form.name.trim(), phone: form.phone.trim(), language: form.language, time_zone: form.time_zone }),
    onSuccess: (updated) => {
      queryClient.setQueryData<Me | null>(keys.me, updated);
      setLanguage(updated.user.language);
      notify(t('common.saved'));
    },
  });

  const avatar = useMutation({
    mutationFn: async (file: File) => putAvatar(await shrinkImage(file)),
    onSuccess: (updated) => {
      queryClient.setQueryData<Me | null>(keys.me, updated);
      notify(t('profile.avatarUpdated'));
    },
  });

  if (!me) return null;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const err = (field: string) => fieldError(save.error, field, t);

  return (
    <div className="stack-lg narrow-page">
      <PageHeader title={t('profile.title')} subtitle={t('profile.subtitle')} />

      <section className="card" aria-labelledby="avatar-title">
        <h2 id="avatar-title" className="card-title">{t('profile.avatar')}</h2>
        <div className="avatar-row">
          <Avatar who={me.user} size={72} />
          <div className="stack-sm">
            <input
              ref={fileRef}
              type="file"
              accept="image/png,image/jpeg,image/webp"
              className="visually-hidden"
              id="avatar-file"
              data-testid="profile-avatar-file"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) avatar.mutate(file);
                e.target.value = '';
              }}
            />
            <button type="button" className="btn btn-secondary" onClick={() => fileRef.current?.click()} disabled={avatar.isPending} data-testid="profile-avatar-button">
              {avatar.isPending ? t('profile.avatarUploading') : t('profile.changeAvatar')}
            </button>
            <p className="muted small">{t('profile.avatarHint')}</p>
          </div>
        </div>
        <FormError error={avatar.error} />
      </section>

      <form className="card stack" onSubmit={onSubmit} noValidate data-testid="profile-form">
        <Field label={t('fields.name')} error={err('name')}>
          <input type="text" autoComplete="name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="profile-name" />
        </Field>
        <Field label={t('fields.email')} hint={t('profile.emailHint')}>
          <input type="email" value={me.user.email} readOnly disabled />
        </Field>
        <Field label={t('fields.phone')} optional optionalLabel={t('common.optional')} error={err('phone')}>
          <input type="tel" inputMode="tel" autoComplete="tel" placeholder="+62…" value={form.phone} onChange={(e) => setForm({ ...form, phone: e.target.value })} data-testid="profile-phone" />
        </Field>
        <div className="grid-2">
          <Field label={t('fields.language')} error={err('language')}>
            <LanguageSelect
              value={form.language}
              onChange={(e) => isLanguage(e.target.value) && setForm({ ...form, language: e.target.value as Language })}
              data-testid="profile-language"
            />
          </Field>
          <Field label={t('fields.time_zone')} error={err('time_zone')}>
            <TimeZoneSelect value={form.time_zone} onChange={(e) => setForm({ ...form, time_zone: e.target.value })} data-testid="profile-time-zone" />
          </Field>
        </div>
        <FormError error={save.error} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="profile-save">
            {save.isPending ? t('common.saving') : t('common.save')}
          </button>
        </div>
      </form>

      <NotificationSettings />
    </div>
  );
}
