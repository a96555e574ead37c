// A round picture, or the initials on a colour derived from the name.

import { useState } from 'react';

interface AvatarSource {
  name: string;
  avatar_url?: string | null;
  avatar_file_id?: string | null;
}

export function avatarUrl(who: AvatarSource): string | null {
  if (who.avatar_url) return who.avatar_url;
  if (who.avatar_file_id) return `/api/v1/files/${encodeURIComponent(who.avatar_file_id)}`;
  return null;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return h;
}

export function Avatar({ who, size = 36 }: { who: AvatarSource; size?: number }) {
  const src = avatarUrl(who);
  const [failed, setFailed] = useState(false);
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  if (src && !failed) {
    return <img className="avatar" src={src} alt="" style={style} onError={() => setFailed(true)} />;
  }
  return (
    <span className="avatar avatar-initials" aria-hidden="true" style={{ ...style, background: `hsl(${hue(who.name)} 45% 42%)` }}>
      {initials(who.name)}
    </span>
  );
}
