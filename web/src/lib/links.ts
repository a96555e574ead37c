// Links the server hands out (invites, password resets) may be absolute or relative.

/** An absolute link to share, whatever form the server gave it in. */
export function absoluteLink(url: string, origin: string): string {
  return /^https?:\/\//.test(url) ? url : origin + (url.startsWith('/') ? url : `/${url}`);
}
