// The quickstart's Swagger UI in a real browser (Debian's Chromium, driven by playwright-core):
// load /docs, "Authorize" with a Bearer token, "Try it out" on GET /items, and expect 200; then
// the same call without authorizing, expecting 401. Run by scripts/docs-browser-check.sh.
//
//   node docs-browser-check.mjs BASE_URL TOKEN SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, token, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
const fail = async (message) => {
  console.error(`docs-browser-check: ${message}`);
  await browser.close();
  process.exit(1);
};

// Every request the page makes must stay on the quickstart: the UI is bundled.
const outside = [];
const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
page.on('request', (request) => {
  if (!request.url().startsWith(base) && !request.url().startsWith('data:')) {
    outside.push(request.url());
  }
});

// Tries GET /items in the UI; the status code the UI shows.
async function tryItems() {
  const block = page.locator('.opblock-get', { has: page.locator('[data-path="/items"]') }).first();
  if (!(await block.locator('.opblock-body').isVisible())) {
    await block.locator('.opblock-summary').first().click();
  }
  const tryOut = block.locator('button.try-out__btn');
  if ((await tryOut.textContent()).trim() === 'Try it out') {
    await tryOut.click();
  }
  await block.locator('button.execute').click();
  const status = block.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  return (await status.textContent()).trim();
}

await page.goto(`${base}/docs/`);
await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15000 });

const anonymous = await tryItems();
if (!anonymous.startsWith('401')) await fail(`GET /items without a token showed ${anonymous}, not 401`);

await page.locator('button.authorize').first().click();
const bearer = page.locator('.auth-container', { has: page.locator('h4', { hasText: 'Bearer' }) }).first();
await bearer.locator('input').first().fill(token);
await bearer.locator('button.authorize').click();
await page.locator('.auth-btn-wrapper button.btn-done').first().click();

const authorized = await tryItems();
if (!authorized.startsWith('200')) await fail(`GET /items with the token showed ${authorized}, not 200`);

await page.screenshot({ path: screenshot, fullPage: false });
if (outside.length > 0) await fail(`the page fetched from outside the quickstart: ${outside.join(', ')}`);
console.log(`docs-browser-check: GET /items from Swagger UI: ${anonymous} without a token, ${authorized} with it; screenshot ${screenshot}`);
await browser.close();
