// Paygate's admin panel in a real Chromium (the system's), against a running `paygate all`.
// Started by scripts/browser.sh after run.mjs, with the same environment plus
//   PAYGATE_OWNER_EMAIL, PAYGATE_OWNER_PASSWORD (an owner `paygate user create` made) .
// A support person logs in with two-factor authentication (codes computed here, RFC 6238),
// finds a payment by the customer's email, refunds part of it, resends its IPN, creates and
// revokes an API key; a viewer invited from the panel does not see the refund button.
// Screenshots (desktop and 768 px wide) go to PAYGATE_ARTIFACTS/panel-*.png; any console
// error or CSP violation fails the run.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const admin = process.env.PAYGATE_ADMIN_URL;
const main = process.env.PAYGATE_MAIN_URL;
const apiKey = process.env.PAYGATE_API_KEY;
const siteId = process.env.PAYGATE_SITE_ID;
const artifacts = process.env.PAYGATE_ARTIFACTS;
const ownerEmail = process.env.PAYGATE_OWNER_EMAIL;
const ownerPassword = process.env.PAYGATE_OWNER_PASSWORD;
for (const [name, value] of Object.entries({ admin, main, apiKey, siteId, artifacts, ownerEmail, ownerPassword })) {
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
    let json = null;
    try {
        json = text ? JSON.parse(text) : null;
    } catch {
        json = text;
    }
    return { status: response.status, body: json, headers: response.headers };
}

const adminCall = (method, route, body, token = apiKey) =>
    api(method, `${admin}/api/v1${route}`, body, { Authorization: `Bearer ${token}` });

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s) ----------------------------------------------------

function base32Decode(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const c of text.replace(/=+$/, '').toUpperCase()) {
        const index = alphabet.indexOf(c);
        assert.ok(index >= 0, `not base32: ${text}`);
        bits += index.toString(2).padStart(5, '0');
    }
    const bytes = [];
    for (let i = 0; i + 8 <= bits.length; i += 8) {
        bytes.push(parseInt(bits.slice(i, i + 8), 2));
    }
    return Buffer.from(bytes);
}

function totp(secret, at = Date.now()) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
    const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
    const offset = mac[mac.length - 1] & 0x0f;
    const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
    return String(value).padStart(6, '0');
}

// RFC 6238's own test vector: the secret "12345678901234567890" at T = 59 s gives 94287082
// (8 digits); 6 digits are its last six.
assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59000), '287082');

// A code from a time step no earlier code used: the gateway accepts each step once.
let lastStep = 0;
async function freshTotp(secret) {
    let step = Math.floor(Date.now() / 30000);
    if (step <= lastStep) {
        await new Promise((resolve) => setTimeout(resolve, (lastStep + 1) * 30000 - Date.now() + 200));
        step = Math.floor(Date.now() / 30000);
    }
    lastStep = step;
    return totp(secret);
}

// ---- the merchant's IPN endpoint ---------------------------------------------------------------

const ipns = [];
const ipnServer = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
        ipns.push({ url: request.url, body });
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.end('ok from the shop <b>not markup</b>');
    });
});
await new Promise((resolve) => ipnServer.listen(0, '127.0.0.1', resolve));
const ipnUrl = `http://127.0.0.1:${ipnServer.address().port}/paygate-ipn`;

// ---- data: three payments ----------------------------------------------------------------------

async function paidCheckout(body, paymentMethod) {
    const created = await adminCall('POST', `/checkouts/${siteId}/create`, { ipnUrl, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const paid = await api('POST', `${main}/api/v1/checkouts/${created.body.id}/pay`, { paymentMethod });
    assert.ok([200, 202].includes(paid.status), JSON.stringify(paid.body));
    for (let i = 0; i < 100; i += 1) {
        const status = await api('GET', `${main}/api/v1/checkouts/${created.body.id}/status`);
        const t = status.body.transaction;
        if (t && ['succeeded', 'failed', 'requires_capture'].includes(t.status)) {
            return { checkoutId: created.body.id, transactionId: t.id, status: t.status };
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the payment did not settle');
}

const unique = crypto.randomBytes(3).toString('hex');
const adaEmail = `ada.${unique}@example.com`;
const ada = await paidCheckout({
    amount: 12345, currency: 'EUR', description: 'Panel order',
    customer: { email: adaEmail, name: 'Ada <script>alert(1)</script> Lovelace' },
    lineItems: [{ name: 'Trail map', quantity: 1, amount: 12345 }],
}, 'tok_visa');
assert.equal(ada.status, 'succeeded');
const declined = await paidCheckout({ amount: 5000, currency: 'EUR', description: 'Declined order',
    customer: { email: `grace.${unique}@example.com` } }, 'tok_chargeDeclined');
assert.equal(declined.status, 'failed');
const yen = await paidCheckout({ amount: 4200, currency: 'JPY', description: 'Yen order',
    customer: { email: `hiro.${unique}@example.com` } }, 'tok_visa');
assert.equal(yen.status, 'succeeded');
// Wait for the first IPN to be delivered, so the resend has an attempt to follow.
for (let i = 0; i < 100 && !ipns.some((n) => n.body.includes(ada.transactionId)); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
}
assert.ok(ipns.some((n) => n.body.includes(ada.transactionId)), 'the payment IPN arrived');

// ---- users: the owner (from `paygate user create`) turns on two-factor over the API -----------

const login = await api('POST', `${admin}/api/v1/auth/login`, { email: ownerEmail, password: ownerPassword });
assert.equal(login.status, 200, JSON.stringify(login.body));
const ownerToken = login.body.accessToken;
const setup = await adminCall('POST', '/auth/totp/setup', {}, ownerToken);
assert.equal(setup.status, 200, JSON.stringify(setup.body));
const totpSecret = setup.body.secret;
const enabled = await adminCall('POST', '/auth/totp/enable', { code: await freshTotp(totpSecret) }, ownerToken);
assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
assert.equal(enabled.body.recoveryCodes.length, 10);

// ---- browser -----------------------------------------------------------------------------------

const browser = await chromium.launch({
    executablePath: process.env.PAYGATE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const problems = [];
function watch(page, scenario, allowedStatuses = []) {
    page.on('console', (message) => {
        if (message.type() !== 'error' && message.type() !== 'warning') {
            return;
        }
        const text = message.text();
        if (!allowedStatuses.some((s) => text.includes(`status of ${s}`))) {
            problems.push(`${scenario}: console ${message.type()}: ${text} (${message.location().url})`);
        }
    });
    page.on('pageerror', (error) => problems.push(`${scenario}: page error: ${error.message}`));
    return page;
}

const screenshots = [];
async function shot(page, name) {
    const file = path.join(artifacts, `panel-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
}

// Desktop, then the same page 768 px wide.
async function shots(page, name) {
    await shot(page, `${name}-desktop`);
    await page.setViewportSize({ width: 768, height: 1000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a 768px tablet`);
    await shot(page, `${name}-tablet`);
    await page.setViewportSize({ width: 1280, height: 900 });
}

const results = [];
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

async function newPage(scenarioName, allowedStatuses) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = watch(await context.newPage(), scenarioName, allowedStatuses);
    return page;
}

async function logIn(page, email, password, secret) {
    await page.goto(`${admin}/`);
    await page.waitForURL(`${admin}/login`);
    await page.getByRole('heading', { name: 'Log in to Paygate' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    if (secret) {
        await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
        await page.getByLabel('Authentication code').fill(await freshTotp(secret));
        await page.getByRole('button', { name: 'Verify' }).click();
    }
    await page.locator('.topbar').waitFor();
}

let viewerInvite = '';

await scenario('panel: owner logs in with two-factor authentication and sees today', async () => {
    const page = await newPage('panel-login', [401]);
    const response = await page.goto(`${admin}/login`);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers()['referrer-policy'], 'no-referrer');
    await page.getByRole('heading', { name: 'Log in to Paygate' }).waitFor();
    await shots(page, '01-login');
    // A wrong password says so without saying which part was wrong.
    await page.getByLabel('Email').fill(ownerEmail);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email address or password' }).waitFor();
    await page.getByLabel('Password').fill(ownerPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    // A wrong code, then the recovery code option, then the right code.
    await page.getByLabel('Authentication code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'did not work' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').waitFor();
    await shots(page, '02-two-factor');
    await page.getByRole('button', { name: 'Use an authenticator code instead' }).click();
    await page.getByLabel('Authentication code').fill(await freshTotp(totpSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: /Home|Hello/ }).waitFor();
    // The token is in memory only: nothing in storage, the refresh cookie is HttpOnly.
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
    assert.ok(!/eyJ|sk_/.test(stored), stored);
    assert.equal(await page.evaluate(() => document.cookie), '');
    // Today's numbers are the organization's (other suites may have paid too): as the API counts
    // them since midnight here, formatted for people.
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const summary = await adminCall('GET', `/reports/summary?from=${midnight.toISOString()}&to=${new Date().toISOString()}`);
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    const eur = summary.body.currencies.find((c) => c.currency === 'EUR');
    const jpy = summary.body.currencies.find((c) => c.currency === 'JPY');
    const volume = page.locator('.stat').filter({ hasText: 'Volume today · EUR' });
    await volume.waitFor();
    const euros = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(eur.grossVolume / 100);
    assert.ok((await volume.textContent()).includes(euros), `${await volume.textContent()} shows ${euros}`);
    const yenText = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'JPY' }).format(jpy.grossVolume);
    assert.ok((await page.locator('.stat').filter({ hasText: 'Volume today · JPY' }).textContent()).includes(yenText), yenText);
    assert.match(await page.locator('.stat').filter({ hasText: 'Success rate' }).textContent(), /\d+(\.\d)? %/);
    assert.match(await page.locator('main').textContent(), /declined/i);
    await shots(page, '03-home');

    // A reload keeps the session (refresh cookie), and lands on the same page.
    await page.goto(`${admin}/transactions`);
    await page.getByRole('heading', { level: 1, name: 'Transactions' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/transactions');
    await page.context().close();
});

await scenario('panel: owner finds a payment by email, refunds part of it and resends its IPN', async () => {
    const page = await newPage('panel-refund', [401]);
    await logIn(page, ownerEmail, ownerPassword, totpSecret);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Transactions' }).click();
    await page.getByRole('heading', { level: 1, name: 'Transactions' }).waitFor();
    await page.getByLabel('Customer email').fill(adaEmail);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/email=/);
    const rows = page.locator('table.data tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /€123\.45/);
    await shots(page, '04-transactions-filtered');

    // The CSV export of the filtered rows, fetched with the bearer header.
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(csv.includes(ada.transactionId), csv);
    assert.ok(!csv.includes(declined.transactionId), 'only the filtered rows');

    await rows.first().getByRole('link', { name: '€123.45' }).click();
    await page.waitForURL(`${admin}/transactions/${ada.transactionId}`);
    await page.getByRole('heading', { level: 1, name: '€123.45' }).waitFor();
    const timeline = page.locator('.timeline');
    await timeline.waitFor();
    assert.match(await timeline.textContent(), /IPN|ipn/);
    // The customer's name is text, never markup.
    assert.equal(await page.locator('main script').count(), 0);
    await shots(page, '05-transaction');

    // Refund dialog: focus inside, Tab stays inside, Escape closes and focus returns.
    const refund = page.getByRole('button', { name: 'Refund' });
    await refund.click();
    const dialog = page.getByRole('dialog', { name: 'Refund this payment?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.closest('dialog') !== null), true);
    for (let i = 0; i < 6; i += 1) {
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.closest('dialog') !== null), true, 'focus stays in the dialog');
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Refund');
    await refund.click();
    await dialog.waitFor();
    const amount = dialog.getByLabel('Amount to refund (EUR)');
    assert.equal(await amount.inputValue(), '123.45');
    await amount.fill('200');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await dialog.getByText('At most €123.45.').waitFor();
    await amount.fill('20.05');
    await dialog.getByLabel('Reason (optional)').fill('requested_by_customer');
    await shots(page, '06-refund-dialog');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.toast').filter({ hasText: '€20.05' }).waitFor();
    await page.getByRole('heading', { name: 'Refunds' }).waitFor();
    const stored = await adminCall('GET', `/transactions/${ada.transactionId}`);
    assert.equal(stored.body.amountRefunded, 2005);
    assert.equal(stored.body.refunds.length, 1);

    // Resend the payment's IPN from the transaction page; the attempt shows the shop's answer.
    const before = ipns.length;
    const ipnSection = page.locator('section').filter({ has: page.getByRole('heading', { name: 'IPN deliveries' }) });
    const resend = ipnSection.getByRole('button', { name: /^Resend transaction\.succeeded/ });
    await resend.click();
    const confirm = page.getByRole('dialog', { name: 'Send this IPN again?' });
    await confirm.getByRole('button', { name: 'Resend' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.locator('.toast').filter({ hasText: 'queued' }).waitFor();
    for (let i = 0; i < 100 && ipns.length === before; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(ipns.length > before, 'the IPN was sent again');
    await page.goto(`${admin}/ipn-deliveries`);
    await page.getByRole('heading', { level: 1, name: 'IPN deliveries' }).waitFor();
    const attempts = page.locator('details.attempts').first();
    await attempts.locator('summary').click();
    await attempts.getByText('ok from the shop <b>not markup</b>').first().waitFor();
    await shots(page, '07-ipn-deliveries');
    await page.context().close();
});

await scenario('panel: owner creates an API key, sees its secret once, and revokes it', async () => {
    const page = await newPage('panel-keys', [401]);
    await logIn(page, ownerEmail, ownerPassword, totpSecret);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('Panel reporting');
    await dialog.getByLabel('checkout:create').uncheck();
    await dialog.getByLabel('keys:read').uncheck();
    await shots(page, '08-create-key');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const secretInput = dialog.getByLabel('Secret key');
    await secretInput.waitFor();
    const secret = await secretInput.inputValue();
    assert.match(secret, /^sk_test_/);
    await shots(page, '09-key-secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // The key works, with the scopes chosen.
    assert.equal((await adminCall('GET', '/transactions', undefined, secret)).status, 200);
    assert.equal((await adminCall('GET', '/api-keys', undefined, secret)).status, 403);
    const row = page.locator('table.data tbody tr').filter({ hasText: 'Panel reporting' });
    await row.waitFor();
    assert.ok(!(await page.locator('main').textContent()).includes(secret), 'the secret is not shown again');
    await row.getByRole('button', { name: 'Revoke Panel reporting' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke Panel reporting?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'detached' });
    await row.getByText('revoked').waitFor();
    assert.equal((await adminCall('GET', '/transactions', undefined, secret)).status, 401);

    // The mode switch: live data, visibly, and every request says so.
    const modes = [];
    page.on('request', (request) => {
        if (request.url().includes('/api/v1/') && !request.url().includes('/auth/')) {
            modes.push(request.headers()['paygate-mode']);
        }
    });
    await page.getByRole('button', { name: 'Live mode' }).click();
    await page.locator('.app.live').waitFor();
    assert.equal(await page.locator('.mode-banner').count(), 0);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.locator('table.data, .state.empty').first().waitFor();
    await shots(page, '10-live-mode');
    assert.ok(modes.length > 0 && modes.every((m) => m === 'live'), JSON.stringify(modes));
    await page.getByRole('button', { name: 'Test mode' }).click();
    await page.locator('.mode-banner').waitFor();

    // Invite a viewer: the link is shown once.
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('button', { name: 'Invite someone' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite someone' });
    await invite.getByLabel('Email').fill(`viewer.${unique}@example.com`);
    await invite.getByLabel('Role').selectOption('viewer');
    await invite.getByRole('button', { name: 'Create invitation' }).click();
    viewerInvite = await invite.getByLabel('Invitation link').inputValue();
    assert.match(viewerInvite, /\/accept-invite#token=/);
    await invite.getByRole('button', { name: 'Done' }).click();
    await page.locator('table.data tbody tr').filter({ hasText: `viewer.${unique}@example.com` }).waitFor();
    await shots(page, '11-team');
    await page.goto(`${admin}/audit-log`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.locator('table.data').getByText('refund.create').first().waitFor();
    await shots(page, '12-audit-log');
    await page.goto(`${admin}/account`);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await shots(page, '13-account');

    // Every other page opens from the menu without an error, with its data or an empty state.
    const pages = [
        ['Checkouts', 'checkouts'], ['Customers', 'customers'], ['Subscriptions', 'subscriptions'], ['Plans', 'plans'],
        ['Invoices', 'invoices'], ['Credit notes', 'credit-notes'], ['Sites', 'sites'], ['Providers', 'providers'],
        ['Custom domains', 'domains'], ['Organization', 'organization'], ['Tax rules', 'tax-rules'],
    ];
    for (const [name, file] of pages) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
        await page.getByRole('heading', { level: 1, name }).waitFor();
        await page.locator('main table.data, main .state.empty, main form.stack').first().waitFor();
        assert.equal(await page.locator('main .alert[role="alert"]:not(:empty)').count(), 0, `${name} shows an error`);
        await shots(page, `16-${file}`);
    }
    // An invoice downloads as a PDF, fetched with the bearer header.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invoices', exact: true }).click();
    const pdfButton = page.getByRole('button', { name: /^Download PDF of / }).first();
    await pdfButton.waitFor();
    const [pdf] = await Promise.all([page.waitForEvent('download'), pdfButton.click()]);
    assert.match(pdf.suggestedFilename(), /\.pdf$/);
    assert.equal(fs.readFileSync(await pdf.path()).subarray(0, 4).toString(), '%PDF');
    // A checkout page and a site page.
    await page.goto(`${admin}/checkouts/${ada.checkoutId}`);
    await page.getByRole('heading', { level: 1, name: '€123.45' }).waitFor();
    assert.match(await page.locator('main').textContent(), /Ada <script>alert\(1\)<\/script> Lovelace/);
    await shots(page, '17-checkout');
    await page.goto(`${admin}/sites/${siteId}`);
    await page.getByRole('heading', { level: 1, name: 'Alpine Outfitters' }).waitFor();
    await shots(page, '18-site');
    await page.context().close();
});

await scenario('panel: an invited viewer sets a password and does not see the refund button', async () => {
    assert.ok(viewerInvite, 'the invitation was made');
    const page = await newPage('panel-viewer', [401]);
    const link = new URL(viewerInvite);
    await page.goto(`${admin}${link.pathname}${link.hash}`);
    await page.getByRole('heading', { name: 'Join your team on Paygate' }).waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
    await page.getByLabel('Your name').fill('Vera Viewer');
    await page.getByLabel('Choose a password').fill('viewer password 123');
    await page.getByLabel('Type it again').fill('viewer password 123');
    await shots(page, '14-accept-invite');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await page.getByRole('link', { name: 'Go to log in' }).click();
    await page.getByLabel('Password').fill('viewer password 123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.topbar').waitFor();
    await page.goto(`${admin}/transactions/${ada.transactionId}`);
    await page.getByRole('heading', { level: 1, name: '€123.45' }).waitFor();
    await page.locator('.timeline').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Refund' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Resend/ }).count(), 0);
    await shots(page, '15-viewer-transaction');
    // A viewer reads keys and the team, and changes neither; the audit log is not theirs.
    assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('table.data tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create API key' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Revoke/ }).count(), 0);
    await page.getByRole('link', { name: 'Team' }).click();
    await page.locator('table.data tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Invite someone' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(Change role|Remove)/ }).count(), 0);
    await page.goto(`${admin}/audit-log`);
    await page.getByRole('heading', { level: 1, name: 'Not available to your role' }).waitFor();

    // The viewer turns on two-factor authentication: QR code, setup key, a code, recovery codes once.
    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const setupDialog = page.getByRole('dialog', { name: 'Turn on two-factor authentication' });
    await setupDialog.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    assert.ok(await setupDialog.getByRole('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code renders');
    const viewerSecret = await setupDialog.getByLabel('Setup key').inputValue();
    await setupDialog.getByLabel('Code from the app').fill(await freshTotp(viewerSecret));
    await shots(page, '19-enable-two-factor');
    await setupDialog.getByRole('button', { name: 'Turn on' }).click();
    const codes = setupDialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    const recoveryCode = (await codes.first().textContent()).trim();
    await shots(page, '20-recovery-codes');
    await setupDialog.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Logging in asks for a code').waitFor();
    // Logging out ends the session: a reload lands on the login page.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to Paygate' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to Paygate' }).waitFor();
    // Back in with a recovery code instead of the app.
    await page.getByLabel('Email').fill(`viewer.${unique}@example.com`);
    await page.getByLabel('Password').fill('viewer password 123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.topbar').waitFor();
    await page.context().close();
});

await browser.close();
ipnServer.close();

console.log(results.join('\n'));
console.log(`screenshots:\n  ${screenshots.join('\n  ')}`);
if (problems.length > 0) {
    console.log(`console errors or CSP violations:\n  ${problems.join('\n  ')}`);
}
if (problems.length > 0 || results.some((r) => r.startsWith('FAIL'))) {
    process.exit(1);
}
