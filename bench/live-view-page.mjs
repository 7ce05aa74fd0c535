// Keeps the live view's page open in headless Chromium (Debian's chromium, playwright-core from .ci/npm) for the
// soak in bench/live-view-soak.sh: node bench/live-view-page.mjs URL SECONDS. Prints one JSON line at the end: the
// console errors seen, and how many graph updates the page showed (the calls count of the first edge, sampled).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../.ci/npm/', import.meta.url));
const { chromium } = require('playwright-core');

const [url, seconds] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'] });
const page = await browser.newPage();
const errors = [];
page.on('console', message => { if (message.type() === 'error') errors.push(message.text()); });
page.on('pageerror', error => errors.push(String(error)));
await page.goto(url);
const samples = [];
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  await page.waitForTimeout(10_000);
  const calls = await page.$eval('[data-edge] [data-metric=calls]', cell => cell.textContent).catch(() => null);
  samples.push(calls);
}
await browser.close();
console.log(JSON.stringify({ errors, samples }));
