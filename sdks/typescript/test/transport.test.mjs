// The SDK's own behaviour against a scripted HTTP server: idempotency keys, retries and their
// limits, pagination, error mapping. The gateway itself is exercised in gateway.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Paygate, PaygateError } from '../dist/index.js';

/** Serves `answers` in order (one per request) and records every request. */
async function scripted(answers) {
    const requests = [];
    const server = http.createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
            requests.push({ method: request.method, url: request.url, headers: request.headers, body });
            const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
            response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
            response.end(JSON.stringify(answer.body ?? {}));
        });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    const client = new Paygate({ apiKey: 'sk_test_x', baseUrl, retry: { initialDelayMs: 10, maxDelayMs: 2000 } });
    return { client, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

const errorBody = (type, code, message, param) => ({ error: { type, code, message, ...(param ? { param } : {}) } });
const checkout = { id: 'chk_1', object: 'checkout', status: 'open' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a POST carries a fresh UUID Idempotency-Key, reused by its retries', async () => {
    const s = await scripted([
        { status: 503, body: errorBody('api_error', 'service_unavailable', 'busy') },
        { status: 201, body: checkout },
    ]);
    const created = await s.client.checkouts.create('site_1', { amount: 100, currency: 'EUR' });
    assert.equal(created.id, 'chk_1');
    assert.equal(s.requests.length, 2);
    const [first, second] = s.requests;
    assert.match(first.headers['idempotency-key'], uuid);
    assert.equal(second.headers['idempotency-key'], first.headers['idempotency-key']);
    assert.equal(second.body, first.body, 'the body is sent again');
    assert.equal(first.headers.authorization, 'Bearer sk_test_x');
    const again = await s.client.checkouts.create('site_1', { amount: 100, currency: 'EUR' }).catch((e) => e);
    assert.notEqual(s.requests[2].headers['idempotency-key'], first.headers['idempotency-key'], 'a new call, a new key');
    assert.equal(again.id, 'chk_1');
    await s.close();
});

test('a caller-given Idempotency-Key is sent as is', async () => {
    const s = await scripted([{ status: 201, body: checkout }]);
    await s.client.checkouts.create('site_1', { amount: 100, currency: 'EUR' }, { idempotencyKey: 'order-42' });
    assert.equal(s.requests[0].headers['idempotency-key'], 'order-42');
    await s.close();
});

test('409 idempotency_request_in_progress is retried, other 409s are not', async () => {
    const inProgress = await scripted([
        { status: 409, body: errorBody('idempotency_error', 'idempotency_request_in_progress', 'still running') },
        { status: 201, body: checkout },
    ]);
    assert.equal((await inProgress.client.checkouts.create('site_1', { amount: 1, currency: 'EUR' })).id, 'chk_1');
    assert.equal(inProgress.requests.length, 2);
    await inProgress.close();

    const conflict = await scripted([
        { status: 409, body: errorBody('invalid_request_error', 'transaction_state_invalid', 'not capturable') },
        { status: 200, body: {} },
    ]);
    const error = await conflict.client.transactions.capture('txn_1').catch((e) => e);
    assert.ok(error instanceof PaygateError);
    assert.equal(error.code, 'transaction_state_invalid');
    assert.equal(conflict.requests.length, 1);
    await conflict.close();
});

test('429 waits for Retry-After before the retry', async () => {
    const s = await scripted([
        { status: 429, headers: { 'Retry-After': '1' }, body: errorBody('rate_limit_error', 'rate_limited', 'slow down') },
        { status: 200, body: checkout },
    ]);
    const started = Date.now();
    await s.client.checkouts.retrieve('chk_1');
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(s.requests.length, 2);
    await s.close();
});

test('5xx retries stop after maxRetries and surface the error', async () => {
    const s = await scripted([{ status: 500, body: errorBody('api_error', 'internal_error', 'boom') }]);
    const error = await s.client.transactions.retrieve('txn_1').catch((e) => e);
    assert.ok(error instanceof PaygateError);
    assert.deepEqual([error.status, error.type, error.code, error.message], [500, 'api_error', 'internal_error', 'boom']);
    assert.equal(s.requests.length, 3, 'the first attempt and two retries');
    await s.close();
});

test('a mutating call sent without a key is never retried', async () => {
    const s = await scripted([
        { status: 503, body: errorBody('api_error', 'service_unavailable', 'busy') },
        { status: 201, body: checkout },
    ]);
    const error = await s.client.checkouts
        .create('site_1', { amount: 1, currency: 'EUR' }, { idempotencyKey: false })
        .catch((e) => e);
    assert.equal(error.status, 503);
    assert.equal(s.requests.length, 1);
    assert.equal(s.requests[0].headers['idempotency-key'], undefined);
    await s.close();
});

test('4xx errors map to PaygateError with code and param, without retries', async () => {
    const s = await scripted([{ status: 400, body: errorBody('invalid_request_error', 'amount_invalid', 'bad amount', 'amount') }]);
    const error = await s.client.checkouts.create('site_1', { amount: -1, currency: 'EUR' }).catch((e) => e);
    assert.ok(error instanceof PaygateError);
    assert.deepEqual([error.status, error.type, error.code, error.param], [400, 'invalid_request_error', 'amount_invalid', 'amount']);
    assert.equal(s.requests.length, 1);
    await s.close();
});

test('an unreachable gateway is a connection_error after the retries', async () => {
    const client = new Paygate({ apiKey: 'sk_test_x', baseUrl: 'http://127.0.0.1:9', retry: { initialDelayMs: 5 } });
    const error = await client.organization.retrieve().catch((e) => e);
    assert.ok(error instanceof PaygateError);
    assert.deepEqual([error.status, error.type], [0, 'connection_error']);
});

test('list iteration follows hasMore with startingAfter', async () => {
    const s = await scripted([
        { status: 200, body: { data: [{ id: 'txn_3' }, { id: 'txn_2' }], hasMore: true } },
        { status: 200, body: { data: [{ id: 'txn_1' }], hasMore: false } },
    ]);
    const ids = [];
    for await (const transaction of s.client.transactions.list({ limit: 2, status: 'succeeded' })) ids.push(transaction.id);
    assert.deepEqual(ids, ['txn_3', 'txn_2', 'txn_1']);
    assert.deepEqual(
        s.requests.map((r) => r.url),
        ['/api/v1/transactions?limit=2&status=succeeded', '/api/v1/transactions?limit=2&status=succeeded&startingAfter=txn_2'],
    );
    await s.close();
});

test('awaiting a list gives its first page', async () => {
    const s = await scripted([{ status: 200, body: { data: [{ id: 'cus_1' }], hasMore: true } }]);
    const page = await s.client.customers.list({ limit: 1 });
    assert.deepEqual(page, { data: [{ id: 'cus_1' }], hasMore: true });
    assert.equal(s.requests.length, 1);
    await s.close();
});

test('Idempotency-Keys without a global crypto (Node.js 18) and with getRandomValues only (insecure browser pages)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
        import { Paygate } from './dist/index.js';
        const keys = [];
        const fake = async (url, init) => { keys.push(new Headers(init.headers).get('idempotency-key'));
            return new Response('{"id":"chk_1"}', { status: 201, headers: { 'Content-Type': 'application/json' } }); };
        const client = new Paygate({ apiKey: 'sk_test_x', baseUrl: 'http://127.0.0.1:9', fetch: fake });
        if (process.argv[1] === 'node18') {
            // Node.js 18 has no global crypto by default.
            Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
        } else {
            const getRandomValues = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
            Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues }, configurable: true });
        }
        await client.checkouts.create('site_1', { amount: 1, currency: 'EUR' });
        await client.checkouts.create('site_1', { amount: 1, currency: 'EUR' });
        console.log(JSON.stringify({ hasGlobalCrypto: typeof globalThis.crypto?.randomUUID === 'function', keys }));`;
    for (const mode of ['node18', 'no-random-uuid']) {
        const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, mode], {
            cwd: new URL('..', import.meta.url),
            encoding: 'utf8',
        });
        const { hasGlobalCrypto, keys } = JSON.parse(output);
        assert.equal(hasGlobalCrypto, false, mode);
        assert.equal(keys.length, 2);
        for (const key of keys) assert.match(key, uuid, mode);
        assert.notEqual(keys[0], keys[1]);
    }
});
