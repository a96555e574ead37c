// Copies a text and says so for a moment.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { copyText } from '../lib/clipboard';
import { Icon } from './Icon';

interface CopyButtonProps {
  text: string;
  label?: string;
  testId?: string;
  className?: string;
  disabled?: boolean;
}

export function CopyButton({ text, label, testId, className = 'btn btn-secondary', disabled }: CopyButtonProps) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={className}
      data-testid={testId}
      data-copied={state === 'copied' ? 'true' : undefined}
      disabled={disabled}
      onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}
    >
      <Icon name={state === 'copied' ? 'check' : 'copy'} size={16} />
      <span aria-live="polite">
        {state === 'copied' ? t('common.copied') : state === 'failed' ? t('common.copyFailed') : (label ?? t('common.copy'))}
      </span>
    </button>
  );
}

/** A read-only text with a copy button: invite links, reset links, API tokens. */
export function CopyField({ value, testId, copyTestId, label }: { value: string; testId?: string; copyTestId?: string; label?: string }) {
  return (
    <div className="copy-field">
      <input
        type="text"
        readOnly
        value={value}
        aria-label={label}
        data-testid={testId}
        onFocus={(e) => e.currentTarget.select()}
      />
      <CopyButton text={value} testId={copyTestId} />
    </div>
  );
}
