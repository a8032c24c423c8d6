// Drives a node's web console in headless Chromium (Debian's, through
// playwright-core). Run by tests/e2e/web_console_test.py, which starts the
// nodes and passes what they are in the environment:
//   KONGSI_URL, KONGSI_TOKEN (admin), KONGSI_COLLECTION, KONGSI_DATASET,
//   KONGSI_SEARCH (text in rows of both organisations), KONGSI_ORGS
//   ({node_id: name} of the two), KONGSI_GRANTEE (node ID to make admin),
//   KONGSI_SCREENSHOT (PNG path), KONGSI_CHROMIUM (default /usr/bin/chromium).
// Exits 1 naming the first step that failed.
import assert from 'node:assert/strict';
import {chromium} from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('KONGSI_URL');
const orgs = JSON.parse(env('KONGSI_ORGS'));
const grantee = env('KONGSI_GRANTEE');
const collection = env('KONGSI_COLLECTION');
const dataset = env('KONGSI_DATASET');
const STEP_TIMEOUT_MS = 20000;

let step = 'launch';
const problems = [];  // script errors, CSP violations, requests elsewhere

async function run(page) {
  step = 'open the console';
  await page.goto(`${base}/`);
  await page.getByRole('heading', {name: 'Sign in'}).waitFor();
  step = 'keyboard: the skip link comes first, the token field has focus';
  assert.equal(await page.evaluate(() => document.querySelector(
    'a[href], button:not([hidden]), input, select, [tabindex="0"]')?.className), 'skip');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'token');

  step = 'a wrong token, typed and sent with Enter, is refused in the API\'s words';
  await page.keyboard.type('kongsi_wrong_token');
  await page.keyboard.press('Enter');
  await page.getByText('That token was not accepted.').waitFor();
  await page.locator('.error', {hasText: 'unauthenticated'}).waitFor();

  step = 'sign in';
  await page.getByLabel('Access token').fill(env('KONGSI_TOKEN'));
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByRole('heading', {name: 'Collections'}).waitFor();
  await page.getByText('Signed in as administrator').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('kongsi.token')), env('KONGSI_TOKEN'));

  step = 'open the dataset';
  await page.locator('#collections').getByRole('link', {name: dataset, exact: true}).click();
  await page.getByRole('heading', {name: dataset, exact: true}).waitFor();
  await page.locator('#rows').waitFor();

  step = 'search';
  await page.getByRole('searchbox').fill(env('KONGSI_SEARCH'));
  await page.getByRole('button', {name: 'Search', exact: true}).click();
  await page.waitForFunction((q) => location.hash.includes(`q=${q}`), env('KONGSI_SEARCH'));
  await page.locator('#summary', {hasText: env('KONGSI_SEARCH')}).waitFor();

  step = 'cells of the two organisations are marked differently';
  const cells = await page.locator('#rows td.cell[data-node-id]').evaluateAll((tds) => tds.map((td) => ({
    node: td.dataset.nodeId, org: td.dataset.org, cls: td.className,
    background: getComputedStyle(td).backgroundColor, mark: td.querySelector('.mark')?.textContent,
  })));
  const byNode = new Map();
  for (const c of cells) {
    const seen = byNode.get(c.node);
    if (seen) assert.deepEqual([c.org, c.background, c.mark], [seen.org, seen.background, seen.mark],
      'one organisation, one marking');
    else byNode.set(c.node, c);
  }
  assert.deepEqual([...byNode.keys()].sort(), Object.keys(orgs).sort(), 'cells come from both organisations');
  const [a, b] = [...byNode.values()];
  assert.notEqual(a.org, b.org);
  assert.notEqual(a.cls, b.cls);
  assert.notEqual(a.background, b.background, 'different colours');
  assert.notEqual(a.mark, b.mark, 'different shapes');

  step = 'the legend names both organisations';
  const legend = page.locator('.legend');
  for (const [id, name] of Object.entries(orgs)) {
    await legend.locator(`li[data-node-id="${id}"]`, {hasText: name}).waitFor();
  }

  step = 'sort by a column, descending';
  const year = page.locator('#rows th', {hasText: 'Year'});
  await year.getByRole('button').click();
  await page.waitForFunction(() => location.hash.includes('sort=Year'));
  await page.locator('#rows th[aria-sort="ascending"]', {hasText: 'Year'}).waitFor();
  await page.locator('#rows th', {hasText: 'Year'}).getByRole('button').click();
  await page.locator('#rows th[aria-sort="descending"]', {hasText: 'Year'}).waitFor();
  const years = await page.locator('#rows tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Number(tr.children[2].querySelector('.value')?.textContent)));
  assert.deepEqual(years, [...years].sort((x, y) => y - x), 'years descend');
  await page.screenshot({path: env('KONGSI_SCREENSHOT'), fullPage: true});

  step = 'a row opens its history';
  await page.locator('#rows tbody tr').first().click();
  await page.getByRole('heading', {name: /^History of row /}).waitFor();
  assert.ok(await page.locator('#history tbody tr').count() >= 1);
  await page.goBack();
  await page.locator('#rows').waitFor();

  step = 'grant the second organisation a role';
  await page.getByRole('link', {name: 'Who has access'}).click();
  await page.getByRole('heading', {name: 'Who has access'}).waitFor();
  await page.locator(`#acl tr[data-node-id="${grantee}"] td.role[data-role="writer"]`).waitFor();
  await page.locator('#grant-form select[name="org"]').selectOption(grantee);
  await page.locator('#grant-form select[name="role"]').selectOption('admin');
  await page.locator('#grant-form').getByRole('button', {name: 'Grant'}).click();
  await page.getByText('Granted administrator access.').waitFor();

  step = 'the grant shows in the access list';
  const row = page.locator(`#acl tr[data-node-id="${grantee}"]`);
  await row.locator('td.role[data-role="admin"]').waitFor();
  assert.match(await row.textContent(), new RegExp(orgs[grantee]));

  step = 'partners: the second node is connected';
  await page.getByRole('link', {name: 'Partners'}).click();
  await page.locator(`#peers tr[data-node-id="${grantee}"] .state-on`).waitFor();

  step = 'changes and conflicts pages load';
  await page.goto(`${base}/#/c/${encodeURIComponent(collection)}/changes`);
  await page.locator('#log tbody tr').first().waitFor();
  await page.goto(`${base}/#/c/${encodeURIComponent(collection)}/conflicts`);
  await page.getByRole('heading', {name: 'Conflicts'}).waitFor();

  step = 'tokens: create one, shown once';
  await page.getByRole('link', {name: 'Access tokens'}).click();
  await page.locator('#token-form input[name="name"]').fill('browser-made');
  await page.locator('#token-form').getByRole('button', {name: 'Create token'}).click();
  const made = await page.locator('#new-token').inputValue();
  assert.match(made, /^kongsi_/);
  await page.locator('#tokens tr', {hasText: 'browser-made'}).waitFor();

  step = 'sign out forgets the token';
  await page.getByRole('button', {name: 'Sign out'}).click();
  await page.getByRole('heading', {name: 'Sign in'}).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('kongsi.token')), null);
}

const browser = await chromium.launch({
  executablePath: process.env.KONGSI_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failed = false;
try {
  const context = await browser.newContext({viewport: {width: 1366, height: 850}});
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const origin = new URL(base).origin;
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) {
      problems.push(`request outside the node: ${r.url()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    // Refused API calls log "Failed to load resource"; those are expected.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  await run(page);
  step = 'no script error, CSP violation or outside request';
  assert.deepEqual(problems, []);
  console.log(`console.spec: all steps passed; screenshot ${env('KONGSI_SCREENSHOT')}`);
} catch (e) {
  failed = true;
  console.error(`console.spec: step "${step}" failed: ${e.message}`);
  if (problems.length) console.error(problems.join('\n'));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
