// verifyIpn against requests signed here as docs/webhooks.md describes. Real IPNs from the
// gateway are verified in gateway.test.mjs; the Web Crypto path runs in Chromium in
// examples/shop/test/shop.browser.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyIpn, IpnVerificationError } from '../dist/index.js';

const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const oldSecret = 'whsec_' + Buffer.from('fedcba9876543210fedcba9876543210').toString('base64');
const body = JSON.stringify({ id: 'evt_1', type: 'transaction.succeeded', livemode: false, createdAt: 'x', data: {} });

const hex = (key, ts, raw) => createHmac('sha256', key).update(`${ts}.${raw}`).digest('hex');
const standard = (key, id, ts, raw) =>
    createHmac('sha256', Buffer.from(key.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${raw}`).digest('base64');

function signed({ ts = Math.floor(Date.now() / 1000), raw = body, secrets = [secret] } = {}) {
    const [current, previous] = secrets;
    return {
        'x-signature-timestamp': String(ts),
        'x-signature-hmac-sha256': hex(current, ts, raw),
        ...(previous ? { 'x-signature-hmac-sha256-previous': hex(previous, ts, raw) } : {}),
        'webhook-id': 'evt_1',
        'webhook-timestamp': String(ts),
        'webhook-signature': secrets.map((s) => `v1,${standard(s, 'evt_1', ts, raw)}`).join(' '),
    };
}

const rejects = (promise, message) => assert.rejects(promise, (error) => error instanceof IpnVerificationError && message.test(error.message));

test('a genuine IPN verifies and its event is returned', async () => {
    const event = await verifyIpn(Buffer.from(body), signed(), secret);
    assert.equal(event.id, 'evt_1');
    assert.equal((await verifyIpn(body, new Headers(signed()), secret)).type, 'transaction.succeeded');
});

test('a tampered body, a wrong secret and a stale timestamp are rejected', async () => {
    await rejects(verifyIpn(body.replace('evt_1', 'evt_2'), signed(), secret), /signature mismatch/);
    await rejects(verifyIpn(body, signed(), oldSecret), /signature mismatch/);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    await rejects(verifyIpn(body, signed({ ts: tenMinutesAgo }), secret), /timestamp/);
    await rejects(verifyIpn(body, signed({ ts: tenMinutesAgo + 1200 }), secret), /timestamp/, 'the future too');
    // A wider tolerance accepts it: the signature itself is right.
    await verifyIpn(body, signed({ ts: tenMinutesAgo }), secret, { toleranceSeconds: 900 });
});

test('missing headers are rejected', async () => {
    await rejects(verifyIpn(body, {}, secret), /missing/);
    await rejects(verifyIpn(body, { 'x-signature-timestamp': '1', 'x-signature-hmac-sha256': 'zz' }, secret), /missing/);
    await rejects(verifyIpn(body, signed(), ''), /no signing secret/);
});

test('during a rotation both the new and the previous secret verify', async () => {
    const headers = signed({ secrets: [secret, oldSecret] });
    await verifyIpn(body, headers, secret);
    await verifyIpn(body, headers, oldSecret);
    await verifyIpn(body, headers, [oldSecret, secret]);
    // Only the Standard Webhooks header, with two entries: either secret matches one.
    const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig } = headers;
    const onlyStandard = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig };
    assert.match(sig, /^v1,\S+ v1,\S+$/);
    await verifyIpn(body, onlyStandard, oldSecret);
    await verifyIpn(body, onlyStandard, secret);
    const third = 'whsec_' + Buffer.from('another secret, never used').toString('base64');
    await rejects(verifyIpn(body, onlyStandard, third), /signature mismatch/);
});
