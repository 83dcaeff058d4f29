import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createTestLedger, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

// GraphiQL in a real browser (Debian's chromium, installed by .ci/run), with every request that
// does not go to the ledger itself refused: the page must render and run a query offline.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test('GraphiQL renders and runs a query with no request leaving the ledger', async (t) => {
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH`);
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  t.after(() => api.close());
  const token = await api.tokenFor('admin');

  const profile = await mkdtemp(join(tmpdir(), 'gongwen-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // One hook, in this order: node:test runs after-hooks first-registered first, and a profile removed
  // while Chromium still writes to it fails with ENOTEMPTY.
  t.after(async () => {
    await browser.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 5 });
  });

  const elsewhere: string[] = [];
  await browser.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(api.url)) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  // What a user would have typed before: the query, and the token in the Headers tab.
  await browser.addInitScript(
    ({ token }) => {
      // Runs in the page, where localStorage exists (this file is type-checked without the DOM library).
      const { localStorage } = globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } };
      localStorage.setItem('graphiql:query', '{ me { userId unitId roles } }');
      localStorage.setItem('graphiql:headers', JSON.stringify({ Authorization: `Bearer ${token}` }));
    },
    { token },
  );
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  const response = await page.goto(`${api.url}/graphiql`);
  assert.equal(response?.status(), 200);
  await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
  const result = page.locator('.result-window');
  await result.getByText('"userId": "admin"').waitFor({ timeout: 30_000 });
  const text = await result.innerText();
  assert.match(text, /"unitId": "city-office"/);
  assert.match(text, /SUPER_ADMIN/);

  const screenshot = join(tmpdir(), 'gongwen-graphiql.png');
  await page.screenshot({ path: screenshot });
  t.diagnostic(`screenshot: ${screenshot}`);
  assert.deepEqual(elsewhere, [], 'every asset comes from the ledger');
  assert.deepEqual(pageErrors, []);
});
