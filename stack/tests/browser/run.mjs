// Paygate's checkout page, checkout.js and customer portal in a real Chromium (the system's, never a downloaded
// one), against a running `paygate all`. Started by scripts/browser.sh, which passes:
//   PAYGATE_ADMIN_URL, PAYGATE_MAIN_URL, PAYGATE_API_KEY, PAYGATE_SITE_ID, PAYGATE_ARTIFACTS,
//   PAYGATE_STRIPE_SITE_ID (a site charging through a Stripe record on the Stripe stand-in) and
//   PAYGATE_STRIPE_STANDIN_URL (the stand-in: Stripe's API, Stripe.js at /v3/, 3-D Secure pages)
// Every scenario ends with a screenshot in PAYGATE_ARTIFACTS; any console error or CSP
// violation fails the run.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const admin = process.env.PAYGATE_ADMIN_URL;
const main = process.env.PAYGATE_MAIN_URL;
const apiKey = process.env.PAYGATE_API_KEY;
const siteId = process.env.PAYGATE_SITE_ID;
const artifacts = process.env.PAYGATE_ARTIFACTS;
const stripeSiteId = process.env.PAYGATE_STRIPE_SITE_ID;
const stripeStandin = process.env.PAYGATE_STRIPE_STANDIN_URL;
for (const [name, value] of Object.entries({ admin, main, apiKey, siteId, artifacts, stripeSiteId, stripeStandin })) {
    assert.ok(value, `missing ${name}`);
}
fs.mkdirSync(artifacts, { recursive: true });

async function api(method, url, body, headers = {}) {
    const response = await fetch(url, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
}

const adminCall = (method, route, body) =>
    api(method, `${admin}/api/v1${route}`, body, { Authorization: `Bearer ${apiKey}` });

// ---- the merchant's own site, on another origin ------------------------------------------------

const merchantServer = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://merchant');
    if (url.pathname === '/shop.html') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Merchant shop</title></head>
<body><h1>Merchant shop</h1><button id="buy">Buy now</button><p id="outcome"></p>
<script src="${main}/checkout.js"></script>
<script>
window.results = { success: [], failure: [], close: 0 };
window.makeCheckout = function (checkoutId) {
    return new Paygate.Checkout({
        checkoutId: checkoutId,
        onSuccess: function (result) {
            window.results.success.push(result);
            document.getElementById('outcome').textContent = 'onSuccess: ' + JSON.stringify(result);
        },
        onFailure: function (result) { window.results.failure.push(result); },
        onClose: function () { window.results.close += 1; }
    });
};
</script></body></html>`);
    } else if (url.pathname === '/account') {
        // The merchant's account page links to a portal session it opened for the customer.
        const portal = url.searchParams.get('portal') || '';
        const escaped = portal.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your account at the shop</title></head>
<body><h1>Your account at the shop</h1><p><a id="portal-link" href="${escaped}">Invoices and subscriptions</a></p></body></html>`);
    } else if (url.pathname === '/favicon.ico') {
        response.writeHead(204);
        response.end();
    } else if (url.pathname === '/thanks') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thanks</title></head><body><h1>Thank you for your order</h1></body></html>');
    } else {
        response.writeHead(404, { 'Content-Type': 'text/plain' });
        response.end('not found');
    }
});
await new Promise((resolve) => merchantServer.listen(0, '127.0.0.1', resolve));
const merchant = `http://127.0.0.1:${merchantServer.address().port}`;
assert.notEqual(new URL(merchant).origin, new URL(main).origin);

async function createCheckout(overrides = {}, site = siteId) {
    const { status, body } = await adminCall('POST', `/checkouts/${site}/create`, {
        amount: 123450,
        currency: 'EUR',
        description: 'Winter order',
        lineItems: [
            { name: 'Wool scarf', quantity: 2, amount: 4725 },
            { name: 'Boots <size 42> & "laces"', quantity: 1, amount: 114000 },
        ],
        successUrl: `${merchant}/thanks?order=42`,
        cancelUrl: `${merchant}/cart`,
        metadata: { internal: 'never-shown-to-payer' },
        ipnUrl: `${merchant}/ipn-secret-path`,
        ...overrides,
    });
    assert.equal(status, 201, JSON.stringify(body));
    return body.id;
}

async function transactionsOf(checkoutId, site = siteId) {
    const { status, body } = await adminCall('GET', `/transactions?siteId=${site}&limit=100`);
    assert.equal(status, 200);
    return body.data.filter((t) => t.checkoutId === checkoutId);
}

// ---- browser -----------------------------------------------------------------------------------

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paygate-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.PAYGATE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1024, height: 800 },
});

const problems = [];
// Chromium logs every non-2xx fetch as "Failed to load resource"; a scenario that expects
// refusals (a second pay answered 409) names the statuses it allows, and one that blocks a
// script on purpose names the network error it expects.
function watch(page, scenario, allowedStatuses = [], allowedErrors = []) {
    page.on('console', (message) => {
        if (message.type() !== 'error' && message.type() !== 'warning') {
            return;
        }
        const text = message.text();
        const allowed = allowedStatuses.some((s) => text.includes(`status of ${s}`)) ||
            allowedErrors.some((e) => text.includes(e));
        if (!allowed) {
            problems.push(`${scenario}: console ${message.type()}: ${text} (${message.location().url})`);
        }
    });
    page.on('pageerror', (error) => problems.push(`${scenario}: page error: ${error.message}`));
    return page;
}

async function newPage(scenario, options = {}) {
    const page = watch(await context.newPage(), scenario, options.allowedStatuses, options.allowedErrors);
    if (options.viewport) {
        await page.setViewportSize(options.viewport);
    }
    return page;
}

const screenshots = [];
async function shot(page, name) {
    const file = path.join(artifacts, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
}

const results = [];
// PAYGATE_BROWSER_SCENARIOS (a regular expression) runs only the scenarios whose names match.
const only = process.env.PAYGATE_BROWSER_SCENARIOS ? new RegExp(process.env.PAYGATE_BROWSER_SCENARIOS) : null;
async function scenario(name, body) {
    if (only && !only.test(name)) {
        return;
    }
    const started = Date.now();
    try {
        await body();
        results.push(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
        results.push(`FAIL ${name}: ${error.stack || error}`);
    }
}

// Created first: the shortest expiry the API allows is 60 s, so it expires while the other
// scenarios run.
const expiringId = await createCheckout({ expiresInSeconds: 60 });
const expiringCreated = Date.now();

let paidCheckoutId = '';

await scenario('pay with a test card, redirected to successUrl', async () => {
    const id = await createCheckout();
    const page = await newPage('card-success');
    const response = await page.goto(`${main}/checkout/${id}`);
    assert.equal(response.status(), 200);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /script-src 'self'/);
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
    await page.getByText('TEST MODE').waitFor();
    assert.equal(await page.locator('.total-amount').textContent(), '€1,234.50');
    assert.equal(await page.locator('.lines li').count(), 2);
    assert.match(await page.locator('.lines').textContent(), /Boots <size 42> & "laces"/);
    const html = await page.content();
    assert.ok(!html.includes('never-shown-to-payer') && !html.includes('ipn-secret-path'), 'no merchant secrets');
    await shot(page, '01-checkout-page');
    await page.getByLabel(/Visa/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#success').waitFor({ state: 'visible' });
    await shot(page, '02-payment-successful');
    await page.waitForURL(/\/thanks\?/);
    const landed = new URL(page.url());
    assert.equal(landed.origin + landed.pathname, `${merchant}/thanks`);
    assert.equal(landed.searchParams.get('order'), '42');
    assert.equal(landed.searchParams.get('checkout_id'), id);
    await shot(page, '03-redirected-to-success-url');
    const transactions = await transactionsOf(id);
    assert.deepEqual(transactions.map((t) => t.status), ['succeeded']);
    paidCheckoutId = id;
    await page.close();
});

await scenario('declined, human message, retry with another card succeeds once', async () => {
    const id = await createCheckout();
    const page = await newPage('declined-retry');
    await page.goto(`${main}/checkout/${id}`);
    await page.getByLabel(/Declined card/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    const error = page.locator('#error');
    await error.filter({ hasText: 'declined' }).waitFor();
    assert.match(await error.textContent(), /Your card was declined\. Nothing was charged/);
    await shot(page, '04-card-declined');
    await page.getByLabel(/Mastercard/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#success').waitFor({ state: 'visible' });
    await page.waitForURL(/\/thanks\?/);
    const transactions = await transactionsOf(id);
    assert.equal(transactions.filter((t) => t.status === 'succeeded').length, 1, JSON.stringify(transactions));
    assert.equal(transactions.filter((t) => t.status === 'failed').length, 1, JSON.stringify(transactions));
    await page.close();
});

await scenario('two tabs pay at once: the second shows the first one\'s outcome', async () => {
    const id = await createCheckout();
    const first = await newPage('two-tabs', { allowedStatuses: [409] });
    const second = await newPage('two-tabs', { allowedStatuses: [409] });
    const payStatuses = [];
    for (const tab of [first, second]) {
        tab.on('response', (response) => {
            if (response.url().endsWith('/pay')) payStatuses.push(response.status());
        });
    }
    await first.goto(`${main}/checkout/${id}`);
    await second.goto(`${main}/checkout/${id}`);
    // A double click on the first tab, and the second tab at the same time.
    const firstButton = first.getByRole('button', { name: /^Pay / });
    await Promise.all([
        firstButton.dblclick(),
        second.getByRole('button', { name: /^Pay / }).click(),
    ]);
    await first.locator('#success').waitFor({ state: 'visible' });
    await second.locator('#success').waitFor({ state: 'visible' });
    assert.equal(await second.locator('#error').textContent(), '');
    // One payment started; the other tab's pay was refused and it showed that payment's outcome.
    assert.deepEqual(payStatuses.sort(), [202, 409]);
    await shot(second, '05-second-tab-shows-first-outcome');
    const transactions = await transactionsOf(id);
    assert.equal(transactions.length, 1, JSON.stringify(transactions));
    assert.equal(transactions[0].status, 'succeeded');
    await first.close();
    await second.close();
});

await scenario('keyboard only: UPI payment without a mouse', async () => {
    const id = await createCheckout();
    const page = await newPage('keyboard');
    await page.goto(`${main}/checkout/${id}`);
    const active = () => page.evaluate(() => {
        const e = document.activeElement;
        return { tag: e.tagName, name: e.getAttribute('name'), id: e.id, value: e.value };
    });
    for (let i = 0; i < 20 && (await active()).name !== 'method'; i += 1) {
        await page.keyboard.press('Tab');
    }
    assert.equal((await active()).name, 'method');
    for (let i = 0; i < 10 && (await active()).value !== 'upi'; i += 1) {
        await page.keyboard.press('ArrowDown');
    }
    assert.equal((await active()).value, 'upi');
    await page.keyboard.press('Tab');
    assert.equal((await active()).id, 'vpa');
    await page.keyboard.type('success@upi');
    await page.keyboard.press('Tab');
    assert.equal((await active()).id, 'pay-button');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid', 'focus is visible');
    await shot(page, '06-keyboard-focus-on-pay');
    await page.keyboard.press('Enter');
    await page.locator('#success').waitFor({ state: 'visible' });
    await page.waitForURL(/\/thanks\?/);
    assert.deepEqual((await transactionsOf(id)).map((t) => t.status), ['succeeded']);
    await page.close();
});

await scenario('320 px wide: nothing overflows, a UPI decline reads well', async () => {
    const id = await createCheckout({
        description: 'A rather long description of everything in this order, to wrap on a small phone',
    });
    const page = await newPage('320px', { viewport: { width: 320, height: 640 } });
    await page.goto(`${main}/checkout/${id}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 320, `page is ${overflow} px wide`);
    await shot(page, '07-320px-checkout');
    await page.getByRole('radio', { name: /^UPI/ }).check();
    await page.getByLabel('UPI ID (VPA)').fill('failure@upi');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#error').filter({ hasText: 'UPI payment was declined' }).waitFor();
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320);
    await shot(page, '08-320px-upi-declined');
    await page.close();
});

await scenario('checkout.js on a merchant page of another origin', async () => {
    const id = await createCheckout();
    const page = await newPage('checkout-js');
    await page.goto(`${merchant}/shop.html`);
    await page.evaluate((checkoutId) => {
        window.checkout = window.makeCheckout(checkoutId);
        window.checkout.open();
        window.checkout.open();
    }, id);
    assert.equal(await page.locator('iframe').count(), 1, 'opening twice makes one frame');
    assert.equal(await page.evaluate(() => document.getElementById('buy').inert), true, 'the page behind is inert');
    const frame = page.frameLocator('iframe[title="Paygate checkout"]');
    await frame.getByText('TEST MODE').waitFor();
    // A message forged by another origin (here: the merchant page itself) is ignored.
    await page.evaluate((checkoutId) => {
        window.postMessage({ source: 'paygate', type: 'success', checkoutId, transactionId: 'txn_forged' }, '*');
        window.postMessage({ source: 'paygate', type: 'close', checkoutId }, '*');
    }, id);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.results), { success: [], failure: [], close: 0 });
    assert.equal(await page.locator('iframe').count(), 1);
    await shot(page, '09-checkout-js-modal');
    await frame.getByLabel(/Declined card/).check();
    await frame.getByRole('button', { name: /^Pay / }).click();
    await page.waitForFunction(() => window.results.failure.length === 1);
    assert.equal(await page.evaluate(() => window.results.failure[0].failureCode), 'card_declined');
    await frame.getByLabel(/Visa/).check();
    await frame.getByRole('button', { name: /^Pay / }).click();
    await frame.locator('#success').waitFor({ state: 'visible' });
    assert.equal(await frame.getByRole('button', { name: /Cancel/ }).count(), 0, 'nothing to cancel once paid');
    await shot(page, '10-checkout-js-confirmation');
    await page.waitForFunction(() => window.results.success.length === 1, null, { timeout: 15000 });
    const success = await page.evaluate(() => window.results.success[0]);
    const transactions = await transactionsOf(id);
    const succeeded = transactions.filter((t) => t.status === 'succeeded');
    assert.equal(succeeded.length, 1);
    assert.deepEqual(success, { checkoutId: id, transactionId: succeeded[0].id });
    assert.equal(await page.locator('iframe').count(), 0, 'the modal closes after success');
    assert.equal(await page.evaluate(() => document.getElementById('buy').inert), false, 'the page is usable again');
    assert.equal(await page.evaluate(() => window.results.close), 0);
    await shot(page, '10b-merchant-page-after-onsuccess');

    // Escape, the close button, and close() twice.
    const other = await createCheckout();
    await page.evaluate((checkoutId) => { window.second = window.makeCheckout(checkoutId); window.second.open(); }, other);
    await page.frameLocator('iframe').getByText('TEST MODE').waitFor();
    // Escape on the merchant page itself (focus on the modal's close button).
    await page.getByRole('button', { name: 'Close checkout' }).focus();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => window.results.close === 1);
    assert.equal(await page.locator('iframe').count(), 0);
    await page.evaluate(() => window.second.open());
    await page.getByRole('button', { name: 'Close checkout' }).click();
    assert.equal(await page.evaluate(() => window.results.close), 2);
    await page.evaluate(() => window.second.open());
    // Escape typed inside the frame is relayed by the page.
    await page.frameLocator('iframe').getByLabel(/Visa/).press('Escape');
    await page.waitForFunction(() => window.results.close === 3);
    await page.evaluate(() => { window.second.close(); window.second.close(); });
    assert.equal(await page.evaluate(() => window.results.close), 3, 'close() calls no onClose');
    await page.close();
});

await scenario('a checkout closed after five failures: a stale tab gets a human 429 message', async () => {
    const id = await createCheckout();
    const page = await newPage('too-many-attempts', { allowedStatuses: [429] });
    await page.goto(`${main}/checkout/${id}`);
    for (let attempt = 0; attempt < 5; attempt += 1) {
        const paid = await api('POST', `${main}/api/v1/checkouts/${id}/pay`, { paymentMethod: 'tok_chargeDeclined' });
        assert.equal(paid.status, 202);
        for (let i = 0; i < 100; i += 1) {
            const { body } = await api('GET', `${main}/api/v1/checkouts/${id}/status`);
            if (body.transaction.status === 'failed') break;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#error').filter({ hasText: 'Too many payment attempts failed' }).waitFor();
    assert.equal(await page.locator('#pay-form').isHidden(), true, 'no retry on a closed checkout');
    await page.getByRole('link', { name: 'Return to Alpine Outfitters' }).waitFor();
    await shot(page, '11a-too-many-attempts');
    assert.equal((await transactionsOf(id)).filter((t) => t.status === 'succeeded').length, 0);
    await page.close();
});

await scenario('canceled, completed and unknown checkouts show their state', async () => {
    const canceled = await createCheckout({ captureMethod: 'manual' });
    const paid = await api('POST', `${main}/api/v1/checkouts/${canceled}/pay`, { paymentMethod: 'tok_visa' });
    assert.equal(paid.status, 202);
    for (let i = 0; i < 100; i += 1) {
        const { body } = await api('GET', `${main}/api/v1/checkouts/${canceled}/status`);
        if (body.transaction.status === 'requires_capture') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await adminCall('POST', `/transactions/${paid.body.transactionId}/cancel`, {})).status, 200);
    const page = await newPage('states', { allowedStatuses: [404] });
    await page.goto(`${main}/checkout/${canceled}`);
    await page.getByRole('heading', { name: 'This checkout was canceled' }).waitFor();
    assert.equal(await page.locator('#pay-form').count(), 0);
    await shot(page, '11-canceled-checkout');
    await page.goto(`${main}/checkout/${paidCheckoutId}`);
    await page.getByRole('heading', { name: 'Already paid' }).waitFor();
    await shot(page, '12-completed-checkout');
    const unknown = await page.goto(`${main}/checkout/chk_doesnotexist`);
    assert.equal(unknown.status(), 404);
    assert.match(unknown.headers()['content-type'], /^text\/html/);
    await page.getByRole('heading', { name: 'Checkout not found' }).waitFor();
    await shot(page, '13-unknown-checkout-404');
    await page.close();
});

// ---- Stripe, through the Stripe stand-in ---------------------------------------------------

const stripeOrigin = new URL(stripeStandin).origin;

async function openStripeCheckout(scenarioName, options = {}) {
    const id = await createCheckout({}, stripeSiteId);
    const page = await newPage(scenarioName, options);
    const response = await page.goto(`${main}/checkout/${id}`);
    assert.equal(response.status(), 200);
    return { id, page, response };
}

const stripeCard = (page) => page.getByLabel(/Stripe test PaymentMethod id/);

// ---- subscription checkouts -------------------------------------------------------------------

async function createPlan(body) {
    const { status, body: plan } = await adminCall('POST', '/plans', { name: 'Pro', amount: 1190, currency: 'EUR', ...body });
    assert.equal(status, 201, JSON.stringify(plan));
    return plan.id;
}

async function createSubscriptionCheckout(planId, site = siteId) {
    const { status, body } = await adminCall('POST', `/checkouts/${site}/create`, {
        mode: 'subscription',
        planId,
        customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
        cancelUrl: `${merchant}/cart`,
    });
    assert.equal(status, 201, JSON.stringify(body));
    return body.id;
}

async function subscriptionOf(checkoutId) {
    for (let i = 0; i < 100; i += 1) {
        const { body } = await adminCall('GET', '/subscriptions?limit=100');
        const found = body.data.find((s) => s.checkoutId === checkoutId);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no subscription sold by ${checkoutId}`);
}

await scenario('subscription: a 30-day trial says nothing is charged today, Start trial saves the card', async () => {
    const planId = await createPlan({ interval: 'month', trialDays: 30 });
    const id = await createSubscriptionCheckout(planId);
    const page = await newPage('subscription-trial');
    await page.goto(`${main}/checkout/${id}`);
    assert.equal(await page.locator('.plan-amount').textContent(), '€11.90');
    assert.equal(await page.locator('.plan-interval').textContent(), '/ month');
    const trial = await page.locator('.trial').textContent();
    assert.match(trial, /^30-day free trial — nothing is charged today; €11\.90 on .+, then every month\.$/);
    assert.equal(await page.locator('.total').textContent(), 'Due today€0.00');
    const button = page.getByRole('button', { name: 'Start trial' });
    assert.match(await button.getAttribute('aria-describedby'), /consent/);
    assert.match(await page.locator('#consent').textContent(), /keep this payment method and charge it €11\.90 every month/);
    // The localised date is the one the server rendered (UTC), in the payer's words.
    const when = await page.locator('.trial time').getAttribute('datetime');
    const days = (new Date(when) - Date.now()) / 86400000;
    assert.ok(days > 29.9 && days <= 30, `the first charge is in ${days} days`);
    await shot(page, '30-subscription-trial');
    await button.click();
    await page.getByRole('heading', { name: 'Trial started' }).waitFor();
    const success = await page.locator('#success-text').textContent();
    assert.match(success, /free trial of Pro with Alpine Outfitters has started\. Nothing was charged today/);
    const shown = await page.locator('.trial time').textContent();
    assert.ok(success.endsWith(`is due on ${shown}.`), `the date reads as the page shows it: ${success}`);
    await shot(page, '31-subscription-trial-started');
    const subscription = await subscriptionOf(id);
    assert.equal(subscription.status, 'trialing');
    const transactions = await transactionsOf(id);
    assert.deepEqual(transactions.map((t) => [t.status, t.amount]), [['succeeded', 0]]);
    await page.close();
});

await scenario('subscription: every 3 months at 320 px, Subscribe charges the first period', async () => {
    const planId = await createPlan({ name: 'Quarterly box', interval: 'month', intervalCount: 3 });
    const id = await createSubscriptionCheckout(planId);
    const page = await newPage('subscription-320px', { viewport: { width: 320, height: 640 } });
    await page.goto(`${main}/checkout/${id}`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'nothing overflows');
    assert.equal(await page.locator('.plan-interval').textContent(), 'every 3 months');
    assert.match(await page.locator('.renewal').textContent(), /^€11\.90 today, then €11\.90 on .+ and every 3 months after\.$/);
    assert.equal(await page.locator('.total-amount').textContent(), '€11.90');
    await shot(page, '32-subscription-320px');
    // Keyboard only: to the button, then Enter.
    await page.getByRole('button', { name: 'Subscribe' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Subscription started' }).waitFor();
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320);
    await shot(page, '33-subscription-started-320px');
    const subscription = await subscriptionOf(id);
    assert.equal(subscription.status, 'active');
    assert.equal(subscription.intervalCount, 3);
    await page.close();
});

await scenario('Stripe: a subscription paid in Stripe\'s element keeps the card for renewals', async () => {
    const planId = await createPlan({ interval: 'year' });
    const id = await createSubscriptionCheckout(planId, stripeSiteId);
    const page = await newPage('stripe-subscription');
    await page.goto(`${main}/checkout/${id}`);
    await page.locator('#stripe-standin-card').fill('pm_card_visa');
    assert.equal(await page.locator('.plan-interval').textContent(), '/ year');
    await shot(page, '34-stripe-subscription');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Subscription started' }).waitFor();
    const subscription = await subscriptionOf(id);
    assert.equal(subscription.status, 'active');
    assert.match(subscription.paymentMethod, /^pm_1/, 'the card Stripe saved, not the test token');
    // At Stripe, that card is attached to the Customer renewals charge it with.
    const saved = await api('GET', `${stripeStandin}/v1/payment_methods/${subscription.paymentMethod}`, undefined, {
        Authorization: `Bearer ${process.env.PAYGATE_STRIPE_SECRET_KEY}`,
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.match(saved.body.customer, /^cus_/);
    await shot(page, '35-stripe-subscription-started');
    await page.close();
});

await scenario('Stripe: a card typed into Stripe\'s element pays, redirected to successUrl', async () => {
    const { id, page, response } = await openStripeCheckout('stripe-card');
    const csp = response.headers()['content-security-policy'];
    assert.ok(csp.includes(`script-src 'self' ${stripeOrigin};`), csp);
    assert.ok(csp.includes(`connect-src 'self' ${stripeOrigin};`), csp);
    assert.ok(csp.includes(`frame-src ${stripeOrigin};`), csp);
    assert.equal(await page.locator('input[name="method"]').count(), 0, 'no sandbox test cards');
    await page.getByText('TEST MODE').waitFor();
    await stripeCard(page).waitFor();
    await shot(page, '15-stripe-checkout-page');
    await stripeCard(page).fill('pm_card_visa');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#success').waitFor({ state: 'visible' });
    await shot(page, '16-stripe-payment-successful');
    await page.waitForURL(/\/thanks\?/);
    assert.equal(new URL(page.url()).searchParams.get('checkout_id'), id);
    const transactions = await transactionsOf(id, stripeSiteId);
    assert.deepEqual(transactions.map((t) => [t.status, t.provider]), [['succeeded', 'stripe']]);
    await page.close();
});

await scenario('Stripe: 3-D Secure at the bank\'s page, back to the checkout, settled by the webhook', async () => {
    const { id, page } = await openStripeCheckout('stripe-3ds');
    await stripeCard(page).fill('pm_card_threeDSecure2Required');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL((url) => url.toString().startsWith(`${stripeOrigin}/_standin/3ds/`));
    await page.locator('#complete').waitFor();
    await shot(page, '17-stripe-3ds-challenge');
    await page.locator('#complete').click();
    // Stripe sends the payer back to the return_url: the checkout page, which waits for the
    // outcome that Stripe's signed webhook brings.
    await page.waitForURL((url) => url.toString().startsWith(`${main}/checkout/${id}?`));
    assert.equal(new URL(page.url()).searchParams.get('redirect_status'), 'succeeded');
    await page.locator('#success').waitFor({ state: 'visible', timeout: 20000 });
    await shot(page, '18-stripe-3ds-back-and-paid');
    await page.waitForURL(/\/thanks\?/);
    const transactions = await transactionsOf(id, stripeSiteId);
    assert.deepEqual(transactions.map((t) => t.status), ['succeeded']);
    await page.close();
});

await scenario('Stripe: an empty card and a declined card get human messages', async () => {
    const { id, page } = await openStripeCheckout('stripe-declined');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#error').filter({ hasText: 'Your card number is incomplete.' }).waitFor();
    await stripeCard(page).fill('pm_card_chargeDeclined');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#error').filter({ hasText: 'Your card was declined' }).waitFor();
    assert.match(await page.locator('#error').textContent(), /Your card was declined\. Nothing was charged/);
    assert.equal(await page.getByRole('button', { name: /^Pay / }).isEnabled(), true, 'another card may be tried');
    await shot(page, '19-stripe-card-declined');
    const transactions = await transactionsOf(id, stripeSiteId);
    assert.deepEqual(transactions.map((t) => [t.status, t.failureCode]), [['failed', 'card_declined']]);
    await page.close();
});

await scenario('Stripe: Stripe.js cannot load, the payer is told instead of meeting a dead button', async () => {
    const id = await createCheckout({}, stripeSiteId);
    const page = await newPage('stripe-js-blocked', { allowedErrors: ['net::ERR_FAILED'] });
    await page.route(`${stripeOrigin}/v3/`, (route) => route.abort('failed'));
    await page.goto(`${main}/checkout/${id}`);
    await page.locator('#error').filter({ hasText: 'The card form could not be loaded' }).waitFor();
    assert.equal(await page.locator('#pay-form').isHidden(), true, 'no dead card form');
    await page.getByRole('link', { name: 'Cancel and return to Alpine Outfitters Cards' }).waitFor();
    await shot(page, '20-stripe-js-blocked');
    await page.close();
});

// ---- the customer portal ---------------------------------------------------------------------

async function paidInvoiceFor(customerId, overrides = {}) {
    const id = await createCheckout({ customerId, ...overrides });
    const paid = await api('POST', `${main}/api/v1/checkouts/${id}/pay`, { paymentMethod: 'tok_visa' });
    assert.equal(paid.status, 202, JSON.stringify(paid.body));
    for (let i = 0; i < 200; i += 1) {
        const { body } = await adminCall('GET', `/transactions/${paid.body.transactionId}`);
        if (body.invoiceId) return body;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no invoice for ${id}`);
}

async function creditNoteFor(transaction, amount) {
    const refund = await adminCall('POST', `/transactions/${transaction.id}/refunds`, { amount, reason: 'Boots returned' });
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    for (let i = 0; i < 200; i += 1) {
        const { body } = await adminCall('GET', `/credit-notes?transactionId=${transaction.id}`);
        if (body.data.length > 0) return body.data[0];
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no credit note for ${transaction.id}`);
}

async function noHorizontalOverflow(page, width) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `page is ${scrollWidth} px wide at ${width} px`);
}

await scenario('portal: from the merchant\'s site to invoices and PDFs, log out, Back shows nothing private', async () => {
    // The portal names the organization as the merchant.
    assert.equal((await adminCall('PATCH', '/organization', { name: 'Alpine Outfitters' })).status, 200);
    const customer = await adminCall('POST', '/customers', {
        name: 'Ada Lovelace', email: 'ada@example.com', address: { country: 'DE', city: 'Berlin', postalCode: '10115' },
    });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    const customerId = customer.body.id;
    const first = await paidInvoiceFor(customerId);
    await paidInvoiceFor(customerId, { amount: 4900, lineItems: [{ name: 'Gloves', quantity: 1, amount: 4900 }] });
    const note = await creditNoteFor(first, 114000);
    // Another customer's invoice never shows.
    const other = await adminCall('POST', '/customers', { name: 'Bob Other' });
    const othersTxn = await paidInvoiceFor(other.body.id);
    const plan = await adminCall('POST', '/plans', { name: 'Trail Club monthly', amount: 1900, currency: 'EUR', interval: 'month' });
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    const subscription = await adminCall('POST', '/subscriptions', {
        customerId, planId: plan.body.id, siteId, paymentMethod: 'tok_visa',
    });
    assert.equal(subscription.status, 201, JSON.stringify(subscription.body));
    assert.equal(subscription.body.status, 'active');
    const opened = await adminCall('POST', '/portal/sessions', { customerId, returnUrl: `${merchant}/account` });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const portalUrl = opened.body.url;
    assert.ok(portalUrl.startsWith(`${main}/portal?token=pt_`), portalUrl);

    // The customer follows the merchant's link: a navigation from another site (`localhost`
    // and `127.0.0.1` are different sites, whatever their ports).
    const page = await newPage('portal', { allowedStatuses: [401] });
    const merchantSite = merchant.replace('127.0.0.1', 'localhost');
    await page.goto(`${merchantSite}/account?portal=${encodeURIComponent(portalUrl)}`);
    await page.getByRole('link', { name: 'Invoices and subscriptions' }).click();
    await page.waitForURL(`${main}/portal`);
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    // Playwright lists Secure cookies for https URLs only: look the cookie up by host.
    const portalCookies = async () => (await context.cookies())
        .filter((c) => c.name === '__Host-paygate_portal' && c.domain === new URL(main).hostname);
    const cookies = await portalCookies();
    const session = cookies[0];
    assert.ok(session, `the session cookie: ${JSON.stringify(cookies)}`);
    assert.deepEqual([session.httpOnly, session.secure, session.sameSite, session.path], [true, true, 'Strict', '/']);
    const html = await page.content();
    assert.ok(!html.includes(opened.body.token) && !html.includes(session.value), 'no credential in the page');
    assert.ok(!html.includes(othersTxn.invoiceId) && !html.includes('Bob Other'), 'no other customer');
    const invoiceRows = page.locator('#invoices tbody tr');
    assert.equal(await invoiceRows.count(), 3, 'two payments and the subscription\'s first period');
    assert.equal(await page.locator('#credit-notes tbody tr').count(), 1);
    assert.match(await page.locator('#credit-notes tbody').textContent(), new RegExp(note.number));
    assert.match(await invoiceRows.first().textContent(), /€19\.00/, 'newest first');
    const item = page.locator(`[data-subscription="${subscription.body.id}"]`);
    assert.match(await item.locator('h3').textContent(), /Trail Club monthly\s+Active/);
    assert.match(await item.locator('.next-charge').textContent(), /^€19\.00 on /);
    const back = page.getByRole('link', { name: 'Return to Alpine Outfitters' });
    assert.equal(await back.getAttribute('href'), `${merchant}/account`);
    await noHorizontalOverflow(page, 1024);
    await shot(page, '21-portal-desktop');

    // Keyboard: Tab reaches the return link, Log out and every download link, focus visible.
    await page.keyboard.press('Tab');
    const focusable = [];
    for (let i = 0; i < 6; i += 1) {
        focusable.push(await page.evaluate(() => {
            const e = document.activeElement;
            return { text: e.textContent.trim(), outline: getComputedStyle(e).outlineStyle };
        }));
        await page.keyboard.press('Tab');
    }
    assert.ok(focusable.some((f) => f.text.startsWith('Return to')), JSON.stringify(focusable));
    assert.ok(focusable.some((f) => f.text === 'Log out'), JSON.stringify(focusable));
    assert.ok(focusable.some((f) => f.text === 'Cancel subscription'), JSON.stringify(focusable));
    assert.ok(focusable.filter((f) => f.text.startsWith('Download PDF')).length >= 3, JSON.stringify(focusable));
    assert.ok(focusable.every((f) => f.outline === 'solid'), 'focus is visible');

    // A PDF downloads with the session cookie.
    const firstInvoice = await adminCall('GET', `/invoices/${first.invoiceId}`);
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: `Download PDF of invoice ${firstInvoice.body.number}` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${firstInvoice.body.number}.pdf`);
    const bytes = fs.readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 4).toString(), '%PDF');

    // Cancel at the period's end with a reason: the form opens from the keyboard.
    await item.getByRole('button', { name: 'Cancel subscription' }).focus();
    await page.keyboard.press('Enter');
    const reason = item.getByLabel('Why are you canceling?');
    await reason.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'SELECT', 'focus moves into the form');
    await reason.selectOption('too_expensive');
    await item.getByLabel(/Anything else/).fill('Too much for a few trails a month');
    await shot(page, '25-portal-cancel-form');
    await item.getByRole('button', { name: 'Cancel at period end' }).click();
    await page.locator(`[data-subscription="${subscription.body.id}"] [data-action="resume"]`).waitFor();
    assert.match(await page.locator(`[data-subscription="${subscription.body.id}"] .notice`).textContent(),
        /This subscription ends on .+\. It will not be charged again\./);
    let stored = await adminCall('GET', `/subscriptions/${subscription.body.id}`);
    assert.deepEqual(
        [stored.body.cancelAtPeriodEnd, stored.body.cancellationDetails.reason,
            stored.body.cancellationDetails.comment, stored.body.cancellationDetails.requestedBy],
        [true, 'too_expensive', 'Too much for a few trails a month', 'customer']);
    await shot(page, '26-portal-canceling');
    await page.getByRole('button', { name: 'Resume subscription' }).click();
    await page.locator(`[data-subscription="${subscription.body.id}"] [data-action="show-cancel"]`).waitFor();
    stored = await adminCall('GET', `/subscriptions/${subscription.body.id}`);
    assert.equal(stored.body.cancelAtPeriodEnd, false);
    assert.equal(stored.body.upcoming.amount, 1900);

    // On a phone.
    await page.setViewportSize({ width: 375, height: 740 });
    await noHorizontalOverflow(page, 375);
    await shot(page, '22-portal-phone');
    await item.getByRole('button', { name: 'Cancel subscription' }).click();
    await noHorizontalOverflow(page, 375);
    await item.locator('form.cancel-form').screenshot({ path: path.join(artifacts, '22b-portal-phone-cancel-form.png') });
    screenshots.push(path.join(artifacts, '22b-portal-phone-cancel-form.png'));
    await item.getByRole('button', { name: 'Keep subscription' }).click();
    assert.equal(await item.locator('form.cancel-form').isHidden(), true);
    await page.setViewportSize({ width: 320, height: 640 });
    await noHorizontalOverflow(page, 320);
    await page.setViewportSize({ width: 1024, height: 800 });

    // Back to the shop; the customer logs out in another tab. Back in the first tab shows the
    // portal's history entry again: it must say the session ended, not show the account.
    await back.click();
    await page.waitForURL(`${merchant}/account`);
    const tab = await newPage('portal-logout', { allowedStatuses: [401] });
    await tab.goto(`${main}/portal`);
    await tab.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    await tab.getByRole('button', { name: 'Log out' }).click();
    await tab.getByRole('heading', { name: 'Your portal session has ended' }).waitFor();
    assert.deepEqual(await portalCookies(), [], 'the cookie is gone');
    await shot(tab, '23-portal-logged-out');
    // Back from the "ended" page never reaches the account either.
    await tab.goBack();
    assert.ok(!(await tab.content()).includes('Ada Lovelace'));
    await tab.close();
    await page.goBack();
    await page.waitForURL(`${main}/portal`);
    await page.getByRole('heading', { name: 'Your portal session has ended' }).waitFor();
    let text = await page.locator('body').textContent();
    assert.ok(!text.includes('Ada Lovelace') && !text.includes(firstInvoice.body.number), text);
    await shot(page, '24-portal-back-after-logout');
    await page.reload();
    await page.getByRole('heading', { name: 'Your portal session has ended' }).waitFor();
    // The old link, too: its token ended with the session.
    await page.goto(portalUrl);
    await page.getByRole('heading', { name: 'Your portal session has ended' }).waitFor();
    text = await page.locator('body').textContent();
    assert.ok(!text.includes('Ada Lovelace') && !text.includes(firstInvoice.body.number), text);
    const api401 = await api('GET', `${main}/api/v1/portal/me`, undefined, { Authorization: `Bearer ${opened.body.token}` });
    assert.equal(api401.status, 401);
    await page.close();
});

await scenario('an expired checkout shows that it expired', async () => {
    const waitMs = expiringCreated + 61000 - Date.now();
    if (waitMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    const page = await newPage('expired');
    await page.goto(`${main}/checkout/${expiringId}`);
    await page.getByRole('heading', { name: 'This checkout has expired' }).waitFor();
    assert.equal(await page.locator('#pay-form').count(), 0);
    await shot(page, '14-expired-checkout');
    // The scheduler marks it expired too; the payment API refuses it.
    let status = '';
    for (let i = 0; i < 100 && status !== 'expired'; i += 1) {
        status = (await api('GET', `${main}/api/v1/checkouts/${expiringId}`)).body.status;
        if (status !== 'expired') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 'expired');
    await page.close();
});

await context.close();
merchantServer.close();
fs.rmSync(userDataDir, { recursive: true, force: true });

console.log(results.join('\n'));
console.log(`screenshots:\n  ${screenshots.join('\n  ')}`);
if (problems.length > 0) {
    console.log(`console errors or CSP violations:\n  ${problems.join('\n  ')}`);
}
if (problems.length > 0 || results.some((r) => r.startsWith('FAIL'))) {
    process.exit(1);
}
