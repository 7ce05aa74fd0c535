// Drives the live view in headless Chromium (Debian's chromium, playwright-core), for LiveViewIT:
//   node drive-live-view.mjs URL SCREENSHOT_DIR          the demo's shop: graph, counts, waterfall, faults
//   node drive-live-view.mjs URL - TOKEN SERVICE         a view with a token: the page asks for it once
// Talks to the test over stdio: prints "STEP <name>" when the test should act (send calls, check what a gRPC
// client sees), then waits for a line on stdin. Ends with "RESULT {json}" and exit 0, or exit 1 and the reason.
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const [url, shots, token, service] = process.argv.slice(2);
const origin = new URL(url).origin;
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

async function step(name) {
  console.log('STEP ' + name);
  const { value, done } = await lines.next();
  if (done || value.trim() !== 'go') {
    throw new Error('the test did not say go after ' + name + ': ' + value);
  }
}

const number = async (page, selector) => Number((await page.textContent(selector)).replace(/,/g, ''));
// How long the graph gets to settle its labels before a picture: SETTLE_MS=0 when no one looks at the pictures.
const settleMs = Number(process.env.SETTLE_MS ?? 1200);

if (!token) {
  mkdirSync(shots, { recursive: true });
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'] });
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1050 } });
  page.setDefaultTimeout(30000);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push('console ' + message.type() + ': ' + message.text());
    }
  });
  page.on('pageerror', (error) => problems.push('page error: ' + error.message));
  page.on('request', (request) => {
    if (new URL(request.url()).origin !== origin) {
      problems.push('request leaving the origin: ' + request.url());
    }
  });
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) {
      navigations++;
    }
  });

  await page.goto(url);
  if (token) {
    await askedForTheTokenOnce(page);
  } else {
    await playTheShop(page);
  }
  if (navigations !== (token ? 2 : 1)) {
    problems.push('the page navigated ' + navigations + ' times');
  }
  console.log('RESULT ' + JSON.stringify({ problems }));
} catch (error) {
  console.log('FAILED ' + error.message.split('\n')[0] + ' ' + JSON.stringify({ problems }));
  process.exitCode = 1;
} finally {
  await browser.close();
  input.close();
}

// Without the token the API answers 401 (Chromium logs each such answer; those are expected here) and the page
// shows its token form; with it, the figures; after a reload the tab still has it.
async function askedForTheTokenOnce(page) {
  await page.waitForSelector('#token-form:not([hidden])');
  await page.fill('#token-form input[name=token]', token);
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector(`[data-service="${service}"] [data-metric=calls]`);
  await page.reload();
  await page.waitForSelector(`[data-service="${service}"] [data-metric=calls]`);
  if (await page.isVisible('#token-form')) {
    throw new Error('the page asked for the token again after a reload');
  }
  problems.splice(0, problems.length, ...problems.filter((problem) => !problem.includes('status of 401')));
}

async function playTheShop(page) {
  for (const service of ['frontend', 'catalog', 'checkout', 'payment', 'inventory']) {
    await page.waitForSelector(`[data-service="${service}"] [data-metric=calls]`);
  }
  for (const edge of ['frontend->catalog', 'frontend->checkout', 'checkout->payment', 'checkout->inventory',
    'catalog->inventory']) {
    await page.waitForSelector(`[data-edge="${edge}"] [data-metric=calls]`);
  }
  await page.waitForSelector('#graph canvas');

  // Live counts: the test sends calls; the page shows them without a reload.
  const before = await number(page, '[data-service="frontend"] [data-metric=calls]');
  await step('counts');
  await page.waitForFunction((least) => Number(document.querySelector(
    '[data-service="frontend"] [data-metric=calls]').textContent.replace(/,/g, '')) >= least, before + 3);
  const edgeCalls = await number(page, '[data-edge="checkout->payment"] [data-metric=calls]');
  if (edgeCalls < 1) {
    throw new Error('checkout->payment shows no calls');
  }
  await page.waitForTimeout(settleMs);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shots + '/live-view.png' });

  // A trace's waterfall.
  await page.click('#traces tbody tr[data-trace-id]');
  await page.waitForSelector('[data-span-name="thespian.Thespian/B"]');
  await page.waitForSelector('[data-span-name="thespian.Thespian/A"]');
  await page.click('[data-span-name="thespian.Thespian/B"]');
  const details = await page.textContent('#span-details');
  if (!details.includes('payment')) {
    throw new Error('the span details do not name payment: ' + details);
  }
  await page.locator('#waterfall-section').screenshot({ path: shots + '/live-view-waterfall.png' });

  // A fault from the page, seen by a gRPC client; then cleared.
  await page.fill('[name=fault-plan]', 'payment:abort=UNAVAILABLE');
  await page.click('[data-action=apply-faults]');
  await page.waitForFunction(() => document.querySelector('#standing-plan').textContent === 'payment:abort=UNAVAILABLE');
  await step('applied');
  await page.waitForFunction(() => Number(document.querySelector(
    '[data-edge="checkout->payment"] [data-metric=errors]').textContent.replace(/,/g, '')) > 0);
  await page.waitForTimeout(settleMs);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shots + '/live-view-faults.png' });
  await page.click('[data-action=clear-faults]');
  await page.waitForFunction(() => document.querySelector('#standing-plan').textContent === 'none');
  await step('cleared');

  // A bad plan is refused, naming the entry (Chromium logs the 400 answer itself; that one is expected).
  const seen = problems.length;
  await page.fill('[name=fault-plan]', 'payment:abort=NOPE');
  await page.click('[data-action=apply-faults]');
  await page.waitForFunction(() => document.querySelector('#fault-message').textContent.includes('entry 1'));

  problems.splice(seen, problems.length - seen,
    ...problems.slice(seen).filter((problem) => !problem.includes('status of 400')));
}
