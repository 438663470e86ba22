// Headless-Chromium check of the book (or any folder of pages): every page loads with no console errors, every chart
// placeholder becomes a drawn plotly chart, and maths is typeset. Usage:
//   node tools/book/check.mjs <book folder> [--screenshot page.html[#anchor]=out.png] [--chromium /usr/bin/chromium]
// Exit code 1 when a page fails; one JSON line per page on stdout.
import { chromium } from 'playwright-core';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const folder = resolve(args[0] ?? 'artifacts/notebooks/book');
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const shots = args.flatMap((a, i) => a === '--screenshot' ? [args[i + 1].split('=')] : []);
const browser = await chromium.launch({
  executablePath: opt('--chromium') ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--allow-file-access-from-files'],
});
let failed = 0;
for (const file of readdirSync(folder).filter(f => f.endsWith('.html')).sort()) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('requestfailed', r => errors.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(join(folder, file)).href, { waitUntil: 'load' });
  const placeholders = await page.locator('[data-reprodiff-plotly]').count();
  try {
    await page.waitForFunction(n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n, placeholders, { timeout: 30000 });
  } catch { /* counted below */ }
  const hasMath = await page.evaluate(() => document.querySelectorAll('span.math, div.math').length);
  if (hasMath > 0) await page.waitForFunction(() => document.body.dataset.math === 'done', null, { timeout: 15000 }).catch(() => {});
  const report = await page.evaluate(() => ({
    charts: document.querySelectorAll('[data-reprodiff-plotly]').length,
    drawn: document.querySelectorAll('[data-reprodiff-plotly] .js-plotly-plot').length,
    traces: document.querySelectorAll('[data-reprodiff-plotly] .js-plotly-plot .trace').length,
    math: document.querySelectorAll('span.math, div.math').length,
    typeset: document.querySelectorAll('.katex').length,
    katexErrors: document.querySelectorAll('.katex-error').length,
    tables: document.querySelectorAll('main table').length,
  }));
  const ok = errors.length === 0 && report.drawn === report.charts && report.katexErrors === 0 && (report.math === 0 || report.typeset > 0);
  if (!ok) failed++;
  console.log(JSON.stringify({ page: file, ok, ...report, errors }));
  for (const [name, out] of shots) {
    const [shotFile, anchor] = name.split('#');
    if (shotFile !== file) continue;
    if (anchor) await page.evaluate(id => document.getElementById(id)?.scrollIntoView(), anchor);
    await page.waitForTimeout(300);
    await page.screenshot({ path: out, fullPage: false });
  }
  await page.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
