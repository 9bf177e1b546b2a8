// A shop selling one product through Paygate: the smallest complete integration.
//
//   PAYGATE_ADMIN_URL=… PAYGATE_API_KEY=sk_test_… PAYGATE_SITE_ID=site_… \
//   PAYGATE_WEBHOOK_SECRET=whsec_… SHOP_URL=http://127.0.0.1:3000 node server.mjs
//
// Add to cart creates a Paygate checkout and sends the buyer to its payment page; Paygate sends
// the buyer back to the order page and, independently, POSTs a signed IPN to /ipn. Only the
// verified IPN marks the order paid: the buyer's return proves nothing.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Paygate, verifyIpn } from '@paygate/sdk';

const product = { name: 'Trail boots', price: 12900, currency: 'EUR' };

const escape = (text) =>
    String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const money = (amount, currency) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount / 100);

function page(title, body, { refresh = false } = {}) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
${refresh ? '<meta http-equiv="refresh" content="1">' : ''}
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
button{font:inherit;padding:.6rem 1.2rem;cursor:pointer}.paid{color:#0a7a32}.pending{color:#8a6100}</style>
</head><body><h1>Alpine Shop</h1>${body}</body></html>`;
}

const readBody = (request) =>
    new Promise((resolve, reject) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => resolve(Buffer.concat(chunks)));
        request.on('error', reject);
    });

/**
 * Starts the shop. `shopUrl` is where buyers and Paygate reach it (by default the address it
 * listens on). Returns the server, its URL, its orders and the IPNs it accepted.
 */
export async function startShop({ paygate, siteId, webhookSecret, shopUrl, port = 0, host = '127.0.0.1' }) {
    const orders = new Map();
    const processedEvents = new Set();
    const acceptedIpns = [];

    async function handle(request, response) {
        const url = new URL(request.url, shopUrl);
        const send = (status, html, headers = {}) => {
            response.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
            response.end(html);
        };

        if (request.method === 'GET' && url.pathname === '/') {
            return send(200, page(product.name, `<h2>${escape(product.name)}</h2>
<p>Waterproof leather, made to last. <strong>${money(product.price, product.currency)}</strong></p>
<form method="post" action="/cart"><button type="submit">Add to cart and pay</button></form>`));
        }

        if (request.method === 'POST' && url.pathname === '/cart') {
            const order = { id: randomUUID(), status: 'awaiting payment', amount: product.price, currency: product.currency };
            orders.set(order.id, order);
            const checkout = await paygate.checkouts.create(
                siteId,
                {
                    amount: order.amount,
                    currency: order.currency,
                    description: product.name,
                    lineItems: [{ name: product.name, quantity: 1, amount: product.price }],
                    successUrl: `${shopUrl}/orders/${order.id}`,
                    cancelUrl: `${shopUrl}/`,
                    ipnUrl: `${shopUrl}/ipn`,
                    metadata: { orderId: order.id },
                },
                // A retried request (ours or the SDK's) can never make a second checkout.
                { idempotencyKey: `order-${order.id}` },
            );
            order.checkoutId = checkout.id;
            return send(303, '', { Location: checkout.paymentUrl });
        }

        if (request.method === 'POST' && url.pathname === '/ipn') {
            const raw = await readBody(request);
            let event;
            try {
                event = await verifyIpn(raw, request.headers, webhookSecret);
            } catch (error) {
                response.writeHead(400).end(error.message);
                return;
            }
            if (!processedEvents.has(event.id)) {
                processedEvents.add(event.id);
                acceptedIpns.push({ body: raw, headers: request.headers, event });
                const { checkout, transaction } = event.data;
                const order = orders.get(checkout?.metadata?.orderId);
                if (
                    event.type === 'transaction.succeeded' &&
                    order &&
                    order.checkoutId === checkout.id &&
                    transaction.amount === order.amount &&
                    transaction.currency === order.currency
                ) {
                    order.status = 'paid';
                    order.transactionId = transaction.id;
                }
            }
            response.writeHead(200).end();
            return;
        }

        const match = /^\/orders\/([0-9a-f-]{36})$/.exec(url.pathname);
        if (request.method === 'GET' && match && orders.has(match[1])) {
            const order = orders.get(match[1]);
            const paid = order.status === 'paid';
            // Until the IPN arrives the page reloads itself; the redirect may well come first.
            const body = `<h2>Your order</h2><p>${escape(product.name)}, ${money(order.amount, order.currency)}</p>
<p id="order-status" class="${paid ? 'paid' : 'pending'}">${paid ? 'Paid' : 'Awaiting payment'}</p>
${paid ? `<p>Payment ${escape(order.transactionId)}. Thank you!</p>` : ''}`;
            return send(200, page(`Order ${order.id}`, body, { refresh: !paid }));
        }

        if (url.pathname === '/favicon.ico') {
            response.writeHead(204).end();
            return;
        }
        send(404, page('Not found', '<p>Not found.</p>'));
    }

    const server = http.createServer((request, response) => {
        handle(request, response).catch((error) => {
            console.error(error);
            if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
            response.end('Something went wrong.');
        });
    });
    await new Promise((resolve) => server.listen(port, host, resolve));
    shopUrl ??= `http://${host}:${server.address().port}`;
    return { server, url: shopUrl, orders, acceptedIpns };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
    const env = (name) => process.env[name] || (console.error(`${name} is not set`), process.exit(2));
    const shopUrl = env('SHOP_URL');
    const paygate = new Paygate({ apiKey: env('PAYGATE_API_KEY'), baseUrl: env('PAYGATE_ADMIN_URL') });
    await startShop({
        paygate,
        siteId: env('PAYGATE_SITE_ID'),
        webhookSecret: env('PAYGATE_WEBHOOK_SECRET'),
        shopUrl,
        port: Number(new URL(shopUrl).port || 80),
    });
    console.log(`Shop at ${shopUrl}`);
}
