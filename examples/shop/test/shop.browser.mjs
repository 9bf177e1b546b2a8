// The example shop end to end in a real Chromium (the system's, never a downloaded one):
// add to cart → Paygate's hosted checkout page → pay with a sandbox test card → back on the
// order page, which shows "Paid" once the shop verified the IPN. Started by scripts/sdks.sh
// with PAYGATE_ADMIN_URL, PAYGATE_MAIN_URL, PAYGATE_API_KEY and PAYGATE_ARTIFACTS; screenshots
// go to PAYGATE_ARTIFACTS/shop-*.png.
//
// It also runs the SDK's verifyIpn inside the page, on the IPN the shop received, so the
// browser code path (Web Crypto) is checked against a real signature.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Paygate } from '@paygate/sdk';
import { startShop } from '../server.mjs';

const env = (name) => {
    assert.ok(process.env[name], `${name} must be set (scripts/sdks.sh sets it)`);
    return process.env[name];
};
const main = env('PAYGATE_MAIN_URL');
const artifacts = env('PAYGATE_ARTIFACTS');
fs.mkdirSync(artifacts, { recursive: true });

const paygate = new Paygate({ apiKey: env('PAYGATE_API_KEY'), baseUrl: env('PAYGATE_ADMIN_URL') });
// The shop gets a site of its own, whose signing secret is shown only now, at creation.
const site = await paygate.sites.create({ name: 'Alpine Shop' });
assert.match(site.webhookSecret, /^whsec_/);
const shop = await startShop({ paygate, siteId: site.id, webhookSecret: site.webhookSecret });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];
let failed = false;
try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const shot = (name) => page.screenshot({ path: path.join(artifacts, `shop-${name}.png`), fullPage: true });

    await page.goto(shop.url);
    await page.getByRole('heading', { name: 'Trail boots' }).waitFor();
    await shot('1-product');

    await page.getByRole('button', { name: 'Add to cart and pay' }).click();
    await page.waitForURL(new RegExp(`^${main}/checkout/chk_`));
    await page.getByText('TEST MODE').waitFor();
    assert.equal(await page.locator('.total-amount').textContent(), '€129.00');
    assert.match(await page.locator('.lines').textContent(), /Trail boots/);
    await shot('2-hosted-checkout');

    await page.getByLabel(/Visa/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(new RegExp(`^${shop.url}/orders/`), { timeout: 20_000 });
    await page.locator('#order-status', { hasText: 'Paid' }).waitFor({ timeout: 20_000 });
    await shot('3-order-paid');

    const [order] = shop.orders.values();
    assert.equal(order.status, 'paid');
    const transaction = await paygate.transactions.retrieve(order.transactionId);
    assert.deepEqual([transaction.status, transaction.amount, transaction.checkoutId], ['succeeded', 12900, order.checkoutId]);
    const ipn = shop.acceptedIpns.find((accepted) => accepted.event.type === 'transaction.succeeded');
    assert.ok(ipn, 'the shop accepted the transaction.succeeded IPN');

    // verifyIpn in the browser: serve the SDK's build to the page and verify the same IPN there.
    const dist = path.join(path.dirname(fileURLToPath(import.meta.resolve('@paygate/sdk'))));
    await page.route(`${shop.url}/sdk/*`, (route) =>
        route.fulfill({
            contentType: 'text/javascript',
            body: fs.readFileSync(path.join(dist, path.basename(new URL(route.request().url()).pathname))),
        }),
    );
    const verdicts = await page.evaluate(
        async ({ body, headers, secret }) => {
            const { verifyIpn } = await import('/sdk/ipn.js');
            const outcome = (promise) => promise.then((event) => `ok ${event.type}`, (error) => `${error.name}: ${error.message}`);
            return {
                usesWebCrypto: typeof process === 'undefined',
                genuine: await outcome(verifyIpn(body, headers, secret)),
                tampered: await outcome(verifyIpn(body.replace('12900', '12901'), headers, secret)),
                wrongSecret: await outcome(verifyIpn(body, headers, 'whsec_' + btoa('x'.repeat(32)))),
                stale: await outcome(verifyIpn(body, headers, secret, { now: Number(headers['x-signature-timestamp']) + 600 })),
            };
        },
        { body: ipn.body.toString(), headers: ipn.headers, secret: site.webhookSecret },
    );
    assert.deepEqual(verdicts, {
        usesWebCrypto: true,
        genuine: 'ok transaction.succeeded',
        tampered: 'IpnVerificationError: signature mismatch',
        wrongSecret: 'IpnVerificationError: signature mismatch',
        stale: 'IpnVerificationError: timestamp outside the tolerance',
    });
    assert.deepEqual(problems, []);
    console.log('ok - shop: added to cart, paid on the hosted checkout, order shows Paid; verifyIpn in Chromium');
} catch (error) {
    failed = true;
    console.error('not ok - shop:', error);
    console.error(problems.join('\n'));
} finally {
    await browser.close();
    shop.server.close();
}
process.exit(failed ? 1 : 0);
