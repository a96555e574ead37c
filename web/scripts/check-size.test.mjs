import { describe, expect, it } from 'vitest';
import { initialScripts } from './check-size.mjs';

describe('check-size', () => {
  it('finds the entry script and modulepreloads, not styles or icons', () => {
    const html = `<link rel="icon" href="/favicon.svg">
      <script type="module" crossorigin src="/assets/index-1.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/vendor-2.js">
      <link rel="stylesheet" href="/assets/index.css">`;
    expect(initialScripts(html)).toEqual(['/assets/index-1.js', '/assets/vendor-2.js']);
  });
});
