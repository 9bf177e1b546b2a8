// @paygate/sdk against a running `paygate all` (started by scripts/sdks.sh, which passes
// PAYGATE_ADMIN_URL, PAYGATE_MAIN_URL, PAYGATE_API_KEY, PAYGATE_SITE_ID and
// PAYGATE_WEBHOOK_SECRET of a freshly bootstrapped organization).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { Paygate, PaygateError, IpnVerificationError, verifyIpn } from '../dist/index.js';

const env = (name) => {
    const value = process.env[name];
    assert.ok(value, `${name} must be set (scripts/sdks.sh sets it)`);
    return value;
};
const admin = env('PAYGATE_ADMIN_URL');
const main = env('PAYGATE_MAIN_URL');
const siteId = env('PAYGATE_SITE_ID');
const webhookSecret = env('PAYGATE_WEBHOOK_SECRET');

// Counts the Admin API requests, to see the iterator fetch page after page.
const sent = [];
const paygate = new Paygate({
    apiKey: env('PAYGATE_API_KEY'),
    baseUrl: admin,
    fetch: (url, init) => {
        sent.push({ url: String(url), method: init?.method, headers: new Headers(init?.headers) });
        return fetch(url, init);
    },
});

// The merchant's IPN endpoint: keeps every request's raw body and headers.
const ipns = [];
const ipnWaiters = [];
const ipnServer = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
        ipns.push({ body: Buffer.concat(chunks), headers: request.headers });
        ipnWaiters.splice(0).forEach((wake) => wake());
        response.writeHead(200).end();
    });
});
await new Promise((resolve) => ipnServer.listen(0, '127.0.0.1', resolve));
const ipnUrl = `http://127.0.0.1:${ipnServer.address().port}/ipn`;

async function waitFor(what, probe, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const found = await probe();
        if (found) return found;
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

const ipnOf = (type, transactionId, after = 0) =>
    waitFor(`IPN ${type}`, () =>
        ipns.slice(after).find((ipn) => {
            const event = JSON.parse(ipn.body);
            return event.type === type && event.data.transaction?.id === transactionId;
        }),
    );

/** Pays a checkout on the checkout runtime API, as the hosted page does. */
async function pay(checkoutId) {
    const response = await fetch(`${main}/api/v1/checkouts/${checkoutId}/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ paymentMethod: 'tok_visa' }),
    });
    assert.equal(response.status, 202, await response.clone().text());
    const { transactionId } = await response.json();
    return waitFor('the payment to succeed', async () => {
        const transaction = await paygate.transactions.retrieve(transactionId);
        return transaction.status === 'succeeded' ? transaction : undefined;
    });
}

const order = { amount: 4990, currency: 'EUR', description: 'Trail boots', ipnUrl, successUrl: 'https://shop.example/thanks' };
let paid;

test('the same Idempotency-Key twice creates one checkout', async () => {
    const before = await paygate.checkouts.list({ limit: 100 });
    const key = `order-${Date.now()}`;
    const first = await paygate.checkouts.create(siteId, order, { idempotencyKey: key });
    const second = await paygate.checkouts.create(siteId, order, { idempotencyKey: key });
    assert.equal(second.id, first.id);
    assert.equal(first.status, 'open');
    assert.match(first.paymentUrl, new RegExp(`^${main}/checkout/${first.id}$`));
    const after = await paygate.checkouts.list({ limit: 100 });
    assert.equal(after.data.length, before.data.length + 1);
    assert.equal(sent.filter((r) => r.headers.get('idempotency-key') === key).length, 2);

    paid = { checkout: first, transaction: await pay(first.id) };
    assert.equal(paid.transaction.amount, 4990);
    assert.equal(paid.transaction.checkoutId, first.id);
});

test('a POST without a key gets an automatic UUID Idempotency-Key', async () => {
    const created = await paygate.checkouts.create(siteId, { amount: 100, currency: 'EUR' });
    const request = sent.findLast((r) => r.method === 'POST' && r.url.endsWith(`/checkouts/${siteId}/create`));
    assert.match(request.headers.get('idempotency-key'), /^[0-9a-f-]{36}$/);
    assert.equal((await paygate.checkouts.retrieve(created.id)).id, created.id);
});

test('a partial refund', async () => {
    const refund = await paygate.transactions.refund(paid.transaction.id, { amount: 1000, reason: 'requested_by_customer' });
    assert.equal(refund.amount, 1000);
    const transaction = await paygate.transactions.retrieve(paid.transaction.id);
    assert.equal(transaction.amountRefunded, 1000);
    assert.equal(transaction.status, 'succeeded');
});

test('the list iterator walks every page', async () => {
    const created = [paid.transaction.id];
    for (let i = 0; i < 2; i += 1) {
        const checkout = await paygate.checkouts.create(siteId, { ...order, description: `Socks ${i}` });
        created.push((await pay(checkout.id)).id);
    }
    const firstPage = await paygate.transactions.list({ limit: 2 });
    assert.equal(firstPage.data.length, 2);
    assert.equal(firstPage.hasMore, true);
    const pagesBefore = sent.filter((r) => r.url.includes('/api/v1/transactions?')).length;
    const seen = [];
    for await (const transaction of paygate.transactions.list({ limit: 2 })) seen.push(transaction.id);
    const pages = sent.filter((r) => r.url.includes('/api/v1/transactions?')).slice(pagesBefore);
    assert.equal(new Set(seen).size, seen.length, 'no transaction twice');
    for (const id of created) assert.ok(seen.includes(id), `${id} listed`);
    assert.deepEqual(seen.slice(0, 2), firstPage.data.map((t) => t.id), 'newest first');
    assert.ok(pages.length >= 2 && pages.length >= Math.ceil(seen.length / 2), `${pages.length} pages`);
    assert.match(pages[1].url, new RegExp(`startingAfter=${seen[1]}`));
});

test('a real IPN verifies; a tampered body, a wrong secret and an old timestamp do not', async () => {
    const ipn = await ipnOf('transaction.succeeded', paid.transaction.id);
    const event = await verifyIpn(ipn.body, ipn.headers, webhookSecret);
    assert.equal(event.data.transaction.id, paid.transaction.id);
    assert.equal(event.data.checkout.id, paid.checkout.id);

    const isRejection = (pattern) => (error) => error instanceof IpnVerificationError && pattern.test(error.message);
    const tampered = Buffer.from(ipn.body.toString().replace('"amount":4990', '"amount":1'));
    assert.notDeepEqual(tampered, ipn.body);
    await assert.rejects(verifyIpn(tampered, ipn.headers, webhookSecret), isRejection(/signature mismatch/));
    const wrongSecret = 'whsec_' + Buffer.from('not the site secret, 32 bytes!!!').toString('base64');
    await assert.rejects(verifyIpn(ipn.body, ipn.headers, wrongSecret), isRejection(/signature mismatch/));

    // The same request replayed ten minutes later …
    const signedAt = Number(ipn.headers['x-signature-timestamp']);
    await assert.rejects(verifyIpn(ipn.body, ipn.headers, webhookSecret, { now: signedAt + 600 }), isRejection(/timestamp/));
    // … and a request correctly signed with the site's secret ten minutes ago.
    const old = Math.floor(Date.now() / 1000) - 600;
    const oldHeaders = {
        'x-signature-timestamp': String(old),
        'x-signature-hmac-sha256': createHmac('sha256', webhookSecret).update(`${old}.`).update(ipn.body).digest('hex'),
    };
    await assert.rejects(verifyIpn(ipn.body, oldHeaders, webhookSecret), isRejection(/timestamp/));
    await verifyIpn(ipn.body, oldHeaders, webhookSecret, { toleranceSeconds: 700 });
});

test('after a secret rotation, IPNs verify with the new and the previous secret', async () => {
    const rotated = await paygate.sites.rotateSecret(siteId);
    assert.match(rotated.webhookSecret, /^whsec_/);
    assert.notEqual(rotated.webhookSecret, webhookSecret);
    const received = ipns.length;
    await paygate.transactions.refund(paid.transaction.id, { amount: 500 });
    const ipn = await ipnOf('transaction.refunded', paid.transaction.id, received);
    assert.ok(ipn.headers['x-signature-hmac-sha256-previous'], 'signed with both secrets');
    assert.equal(ipn.headers['webhook-signature'].split(' ').length, 2);
    await verifyIpn(ipn.body, ipn.headers, rotated.webhookSecret);
    await verifyIpn(ipn.body, ipn.headers, webhookSecret);
    // A server that knows only the Standard Webhooks header still accepts either secret.
    const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature } = ipn.headers;
    const standardOnly = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature };
    await verifyIpn(ipn.body, standardOnly, webhookSecret);
    await verifyIpn(ipn.body, standardOnly, rotated.webhookSecret);
});

test('API errors are PaygateError with type, code and param', async () => {
    const error = await paygate.checkouts.create(siteId, { amount: 0, currency: 'EUR' }).catch((e) => e);
    assert.ok(error instanceof PaygateError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, 'amount_invalid');
    assert.equal(error.param, 'amount');
    assert.ok(error.message.length > 0);

    const missing = await paygate.transactions.retrieve('txn_doesnotexist').catch((e) => e);
    assert.ok(missing instanceof PaygateError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'resource_missing');

    const reused = await (async () => {
        await paygate.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'customer-1' });
        return paygate.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'customer-1' }).catch((e) => e);
    })();
    assert.deepEqual([reused.status, reused.type, reused.code], [422, 'idempotency_error', 'idempotency_key_reused']);
});

test('the other resources answer through the generated client', async () => {
    const organization = await paygate.organization.retrieve();
    assert.match(organization.id, /^org_/);
    const sites = await paygate.sites.list();
    assert.ok(sites.data.some((site) => site.id === siteId));
    const plan = await paygate.plans.create({ name: 'Pro', amount: 1900, currency: 'EUR', interval: 'month' });
    assert.equal((await paygate.plans.retrieve(plan.id)).name, 'Pro');
    const deliveries = [];
    for await (const delivery of paygate.ipnDeliveries.list({ limit: 1 })) deliveries.push(delivery);
    assert.ok(deliveries.length >= 4, `${deliveries.length} deliveries`);
    assert.ok((await paygate.apiKeys.list()).data.length >= 1);
});

test('test clocks, tax rules, credit notes and reports', async () => {
    const clock = await paygate.testClocks.create({ frozenTime: '2026-01-01T00:00:00Z', name: 'SDK clock' });
    await paygate.testClocks.advance(clock.id, { frozenTime: '2026-02-01T00:00:00Z' });
    const advanced = await waitFor('the clock to advance', async () => {
        const current = await paygate.testClocks.retrieve(clock.id);
        return current.frozenTime.startsWith('2026-02-01') ? current : undefined;
    });
    assert.equal(advanced.name, 'SDK clock');

    const rule = await paygate.taxRules.create({ country: 'AT', rateBps: 2000, name: 'AT standard' });
    assert.equal((await paygate.taxRules.retrieve(rule.id)).rateBps, 2000);
    assert.ok((await paygate.taxRules.list({ country: 'AT' })).data.some((r) => r.id === rule.id));
    await paygate.taxRules.delete(rule.id);
    const gone = await paygate.taxRules.retrieve(rule.id).catch((e) => e);
    assert.equal(gone.status, 404);

    // The refunds of the first payment each produced a credit note.
    const notes = [];
    for await (const note of paygate.creditNotes.list({ transactionId: paid.transaction.id, limit: 1 })) notes.push(note);
    assert.equal(notes.length, 2);
    const pdf = await paygate.creditNotes.pdf(notes[0].id);
    assert.equal(Buffer.from(pdf).subarray(0, 5).toString(), '%PDF-');

    const today = new Date();
    const summary = await paygate.reports.summary({
        from: new Date(today.getTime() - 86_400_000).toISOString(),
        to: new Date(today.getTime() + 86_400_000).toISOString(),
    });
    const eur = summary.currencies.find((c) => c.currency === 'EUR');
    assert.ok(eur.succeededCount >= 3, JSON.stringify(eur));
});

test.after(() => ipnServer.close());
