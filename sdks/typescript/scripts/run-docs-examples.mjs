// Runs the TypeScript examples of docs/sdks.md against a running gateway (scripts/sdks.sh
// passes PAYGATE_ADMIN_URL, PAYGATE_MAIN_URL and PAYGATE_API_KEY): the blocks are
// type-checked against the built SDK, compiled, and executed.
//   ```ts sdk-quickstart   run as a program; must exit 0 and print the checkout's paymentUrl
//   ```ts sdk-ipn          exports handleIpn, mounted on a local server given as the ipnUrl of a
//                          checkout paid here; it must accept that IPN and refuse a forged one
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { Paygate } from '@paygate/sdk';

const [docPath] = process.argv.slice(2);
assert.ok(docPath, 'usage: run-docs-examples.mjs docs/sdks.md');
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside the package, so `import … from "@paygate/sdk"` resolves to it by its own name.
const workDir = path.join(packageDir, '.docs-examples');
fs.rmSync(workDir, { recursive: true, force: true });
fs.mkdirSync(workDir);

const markdown = fs.readFileSync(docPath, 'utf8');
const block = (tag) => {
    const blocks = [...markdown.matchAll(new RegExp('^```' + tag + '\\n([\\s\\S]*?)^```$', 'gm'))];
    assert.equal(blocks.length, 1, `exactly one \`\`\`${tag} block in ${docPath}`);
    return blocks[0][1];
};
const sources = { quickstart: block('ts sdk-quickstart'), ipn: block('ts sdk-ipn') };

// Type-check as a user's project would (strict), against the SDK's declarations.
const files = Object.entries(sources).map(([name, source]) => {
    const file = path.join(workDir, `${name}.ts`);
    fs.writeFileSync(file, source);
    return file;
});
const options = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'], skipLibCheck: true,
};
const program = ts.createProgram(files, options);
const diagnostics = ts.getPreEmitDiagnostics(program);
assert.equal(diagnostics.length, 0, ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f, getCurrentDirectory: () => workDir, getNewLine: () => '\n',
}));
const compile = (name) => {
    const out = path.join(workDir, `${name}.mjs`);
    const { outputText } = ts.transpileModule(sources[name], {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    });
    fs.writeFileSync(out, outputText);
    return out;
};

const paygate = new Paygate({ apiKey: process.env.PAYGATE_API_KEY, baseUrl: process.env.PAYGATE_ADMIN_URL });
// A site of its own: its signing secret is known only at creation.
const site = await paygate.sites.create({ name: 'Docs examples' });
const env = { ...process.env, PAYGATE_SITE_ID: site.id, PAYGATE_WEBHOOK_SECRET: site.webhookSecret };

// The quick start, twice: the idempotency key keeps it to one checkout.
const runs = [0, 1].map(() => execFileSync(process.execPath, [compile('quickstart')], { env, encoding: 'utf8' }));
const urls = runs.map((output) => /Send the payer to (\S+)/.exec(output)?.[1]);
assert.match(urls[0], new RegExp(`^${process.env.PAYGATE_MAIN_URL}/checkout/chk_`), runs[0]);
assert.equal(urls[1], urls[0], 'the second run replays the first checkout');
assert.equal((await paygate.checkouts.list({ siteId: site.id })).data.length, 1);
console.log('ok - docs/sdks.md sdk-quickstart ran twice, one checkout');

// The IPN handler, on a real IPN and a forged one.
Object.assign(process.env, { PAYGATE_WEBHOOK_SECRET: site.webhookSecret });
const { handleIpn } = await import(pathToFileURL(compile('ipn')).href);
const answered = [];
const server = http.createServer(async (request, response) => {
    await handleIpn(request, response);
    answered.push(response.statusCode);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const ipnUrl = `http://127.0.0.1:${server.address().port}/ipn`;
try {
    const checkout = await paygate.checkouts.create(site.id, { amount: 500, currency: 'EUR', ipnUrl });
    const paid = await fetch(`${process.env.PAYGATE_MAIN_URL}/api/v1/checkouts/${checkout.id}/pay`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ paymentMethod: 'tok_visa' }),
    });
    assert.equal(paid.status, 202);
    for (let i = 0; i < 200 && !answered.includes(200); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(answered, [200], 'the genuine IPN was accepted');
    const forged = await fetch(ipnUrl, {
        method: 'POST',
        headers: { 'X-Signature-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Signature-HMAC-SHA256': 'ab'.repeat(32) },
        body: '{"id":"evt_forged","type":"transaction.succeeded","data":{}}',
    });
    assert.equal(forged.status, 400);
    console.log('ok - docs/sdks.md sdk-ipn accepted a real IPN and refused a forged one');
} finally {
    server.close();
    fs.rmSync(workDir, { recursive: true, force: true });
}
