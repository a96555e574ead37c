#!/usr/bin/env node
// Fails if the JavaScript a first visit downloads is over budget: the entry script and the
// modulepreloads referenced by dist/index.html, each gzipped. Lazy chunks are not counted.
//
//   node scripts/check-size.mjs [--budget-kb 300] [--dist dist]

import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

export function initialScripts(html) {
  const found = new Set();
  const tag = /<(script|link)\b[^>]*>/gi;
  for (const m of html.matchAll(tag)) {
    const t = m[0];
    const attr = (name) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`, 'i').exec(t)?.[1];
    if (m[1].toLowerCase() === 'script') {
      const src = attr('src');
      if (src && /\.m?js(\?|$)/.test(src)) found.add(src);
    } else {
      const rel = attr('rel');
      const href = attr('href');
      if (href && rel && /modulepreload/i.test(rel)) found.add(href);
    }
  }
  return [...found];
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const budgetKb = Number(opt('--budget-kb', '300'));
  const dist = resolve(here, '..', opt('--dist', 'dist'));
  const indexPath = join(dist, 'index.html');
  if (!existsSync(indexPath)) {
    console.error(`check-size: ${indexPath} not found — run npm run build first`);
    process.exit(2);
  }
  const scripts = initialScripts(readFileSync(indexPath, 'utf8'));
  if (scripts.length === 0) {
    console.error('check-size: no scripts referenced by index.html');
    process.exit(2);
  }
  let total = 0;
  for (const src of scripts) {
    const path = join(dist, src.replace(/^\//, '').replace(/\?.*$/, ''));
    const raw = readFileSync(path);
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`${(gz / 1024).toFixed(1).padStart(8)} KB gz  ${(raw.length / 1024).toFixed(1).padStart(8)} KB raw  ${src}`);
  }
  const ok = total <= budgetKb * 1024;
  console.log(`${(total / 1024).toFixed(1).padStart(8)} KB gz  total initial JavaScript (budget ${budgetKb} KB): ${ok ? 'OK' : 'OVER BUDGET'}`);
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
