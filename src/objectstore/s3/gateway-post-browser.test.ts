import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { chromium } from 'playwright-core';
import { sdkClient, startTestGateway } from './test-gateway.js';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, or a skip (a failure under CI=true) naming what is missing. */
function chromiumPath(t: TestContext): string | undefined {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is required under CI (apt-get install chromium)`);
  t.skip(`${CHROMIUM} is not installed (apt-get install chromium)`);
  return undefined;
}

const escape = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The page a web app would serve: a form with the presigned fields as hidden inputs and a file
 * input. `#send` posts it with fetch (cross-origin, with a header that makes the browser send a
 * CORS preflight first) and writes the answer into `#result`; the form's own submit button
 * posts it as a plain HTML form, whose answer is a redirect back to this server.
 */
function page(url: string, fields: Record<string, string>): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join('\n');
  return `<!doctype html><html><body>
<form id="upload" action="${escape(url)}" method="post" enctype="multipart/form-data">
${hidden}
<input type="file" id="file" name="file">
<button id="submit" type="submit">Upload</button>
</form>
<button id="send">Upload with fetch</button>
<pre id="result"></pre>
<script>
document.getElementById('send').addEventListener('click', async () => {
  const out = document.getElementById('result');
  try {
    const r = await fetch(${JSON.stringify(url)}, {
      method: 'POST',
      body: new FormData(document.getElementById('upload')),
      headers: { 'x-requested-with': 'stratus-test' },
    });
    out.textContent = JSON.stringify({ status: r.status, etag: r.headers.get('etag'), body: await r.text() });
  } catch (err) {
    out.textContent = JSON.stringify({ error: String(err) });
  }
});
</script></body></html>`;
}

test('headless Chromium uploads a file with a POST policy, by fetch (CORS preflight) and by a plain form; it reads back byte for byte', async (t) => {
  const executablePath = chromiumPath(t);
  if (executablePath === undefined) return;
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  let html = '';
  const site: Server = createServer((req, res) => {
    if (req.url?.startsWith('/done')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p id="done">uploaded</p>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Root cannot use chromium's sandbox; no proxy, so that every request stays on loopback.
    args: ['--no-sandbox', '--no-proxy-server', '--disable-component-update'],
  });
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'browser' }));
    await c.send(
      new PutBucketCorsCommand({
        Bucket: 'browser',
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [siteUrl],
              AllowedMethods: ['POST'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag'],
            },
          ],
        },
      }),
    );
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    const p = await browser.newPage();

    // fetch + FormData from the page, cross-origin: a preflight, then the POST.
    const fetched = await createPresignedPost(c, {
      Bucket: 'browser',
      Key: 'fetch/${filename}',
      Conditions: [['content-length-range', 1, 1024 * 1024], { success_action_status: '201' }],
      Fields: { success_action_status: '201' },
    });
    html = page(fetched.url, fetched.fields);
    await p.goto(siteUrl);
    await p.setInputFiles('#file', { name: 'bytes.bin', mimeType: 'application/octet-stream', buffer: data });
    await p.click('#send');
    // A string: it runs in the page, which the test's own types (no DOM) do not describe.
    await p.waitForFunction("document.getElementById('result').textContent !== ''");
    const answer = JSON.parse((await p.textContent('#result')) ?? '{}') as {
      status?: number;
      etag?: string;
      body?: string;
      error?: string;
    };
    assert.equal(answer.status, 201, JSON.stringify(answer));
    assert.equal(answer.etag, etag);
    assert.match(answer.body ?? '', /<Key>fetch\/bytes\.bin<\/Key>/);
    const viaFetch = await c.send(new GetObjectCommand({ Bucket: 'browser', Key: 'fetch/bytes.bin' }));
    assert.ok(Buffer.from(await viaFetch.Body!.transformToByteArray()).equals(data));

    // A plain HTML form submit: the browser follows the redirect back to the site.
    const done = `${siteUrl}/done`;
    const formPost = await createPresignedPost(c, {
      Bucket: 'browser',
      Key: 'form/${filename}',
      Conditions: [{ success_action_redirect: done }],
      Fields: { success_action_redirect: done },
    });
    html = page(formPost.url, formPost.fields);
    await p.goto(siteUrl);
    await p.setInputFiles('#file', { name: 'plain.bin', mimeType: 'application/octet-stream', buffer: data });
    await Promise.all([p.waitForURL(/\/done\?/), p.click('#submit')]);
    const landed = new URL(p.url());
    assert.equal(landed.searchParams.get('bucket'), 'browser');
    assert.equal(landed.searchParams.get('key'), 'form/plain.bin');
    assert.equal(landed.searchParams.get('etag'), etag);
    const viaForm = await c.send(new GetObjectCommand({ Bucket: 'browser', Key: 'form/plain.bin' }));
    assert.ok(Buffer.from(await viaForm.Body!.transformToByteArray()).equals(data));
  } finally {
    await browser.close();
    await new Promise((resolve) => site.close(resolve));
    c.destroy();
    await g.close();
  }
});
