#!/usr/bin/env node
'use strict';
// Tiny S3 client for tests: talks SigV4 (signed with @smithy/signature-v4) to
// the test peer (or any S3 endpoint on 127.0.0.1) to read back what sluice
// uploaded.
//
//   client.js [options] list            keys under --prefix, one per line
//                                        (--long: SIZE<TAB>ETAG<TAB>KEY)
//   client.js [options] cat             every object under --prefix, in key
//                                        order, .gz ones gunzipped, to stdout
//   client.js [options] get KEY         one object's bytes to stdout
//                                        (--gunzip to decompress)
//   client.js [options] put KEY [FILE]  upload FILE (default stdin)
//   client.js [options] mb              create --bucket
//
// Options: --endpoint http://127.0.0.1:PORT (or --port PORT), --bucket B,
// --access-key AK --secret-key SK [--session-token T], --region us-east-1,
// --prefix P, --vhost (send Host: B.localhost:PORT instead of a /B path),
// --max-keys N (page size of ListObjectsV2, to exercise paging).
// Exit status: 0 on success, 1 on an S3 error (printed to stderr), 2 on usage.

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const { makeSigner, escapeUri, keyPath, parseArgs, xmlAll, xmlOne } = require('./lib');

const USAGE = 'usage: client.js --port PORT|--endpoint URL --bucket B --access-key AK --secret-key SK [--session-token T] [--region R] [--prefix P] [--vhost] [--long] [--gunzip] [--max-keys N] list|cat|get KEY|put KEY [FILE]|mb';

let opts;
try {
  opts = parseArgs(process.argv.slice(2), { flags: ['vhost', 'long', 'gunzip', 'help'] });
} catch (e) {
  console.error(`client.js: ${e.message}\n${USAGE}`);
  process.exit(2);
}
const [cmd, ...args] = opts._;
if (opts.help || !cmd || !opts.bucket || !opts['access-key'] || !opts['secret-key'] || (!opts.endpoint && !opts.port)) {
  console.error(USAGE);
  process.exit(opts.help ? 0 : 2);
}
const endpoint = new URL(opts.endpoint || `http://127.0.0.1:${opts.port}`);
const signer = makeSigner({
  accessKeyId: opts['access-key'],
  secretAccessKey: opts['secret-key'],
  sessionToken: opts['session-token'],
  region: opts.region || 'us-east-1',
});

class S3ClientError extends Error {}

// One signed request; resolves to { status, headers, body: Buffer }.
async function s3(method, key, query = {}, body = Buffer.alloc(0)) {
  const port = endpoint.port || '80';
  let host, path;
  if (opts.vhost) {
    host = `${opts.bucket}.localhost:${port}`;
    path = key === null ? '/' : `/${keyPath(key)}`;
  } else {
    host = `${endpoint.hostname}:${port}`;
    path = `/${escapeUri(opts.bucket)}${key === null ? '' : `/${keyPath(key)}`}`;
  }
  const headers = {
    host,
    'x-amz-content-sha256': crypto.createHash('sha256').update(body).digest('hex'),
  };
  if (body.length) headers['content-length'] = String(body.length);
  const signed = await signer.signRequest({
    method,
    protocol: 'http:',
    hostname: host.replace(/:\d+$/, ''),
    path,
    query,
    headers,
  });
  const qs = Object.keys(query)
    .sort()
    .map((k) => (query[k] === '' ? escapeUri(k) : `${escapeUri(k)}=${escapeUri(query[k])}`))
    .join('&');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: endpoint.hostname,
        port,
        method,
        path: path + (qs ? `?${qs}` : ''),
        headers: signed.headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const r = { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
          if (r.status >= 300) {
            const xml = r.body.toString('utf8');
            reject(new S3ClientError(`${method} ${path}${qs ? '?' + qs : ''}: HTTP ${r.status} ${xmlOne(xml, 'Code') || ''}: ${xmlOne(xml, 'Message') || xml}`));
          } else resolve(r);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function listAll(prefix) {
  const out = [];
  let token;
  do {
    const q = { 'list-type': '2', prefix };
    if (opts['max-keys']) q['max-keys'] = String(opts['max-keys']);
    if (token) q['continuation-token'] = token;
    const xml = (await s3('GET', null, q)).body.toString('utf8');
    for (const c of xmlAll(xml, 'Contents')) {
      out.push({ key: xmlOne(c, 'Key'), size: Number(xmlOne(c, 'Size')), etag: xmlOne(c, 'ETag') });
    }
    token = xmlOne(xml, 'IsTruncated') === 'true' ? xmlOne(xml, 'NextContinuationToken') : undefined;
  } while (token);
  return out;
}

function maybeGunzip(key, buf, force) {
  if (force || /\.gz$/.test(key)) return zlib.gunzipSync(buf); // handles concatenated members
  return buf;
}

function write(buf) {
  return new Promise((resolve) => (process.stdout.write(buf) ? resolve() : process.stdout.once('drain', resolve)));
}

async function main() {
  const prefix = opts.prefix || '';
  switch (cmd) {
    case 'list':
      for (const o of await listAll(prefix)) {
        await write(opts.long ? `${o.size}\t${o.etag}\t${o.key}\n` : `${o.key}\n`);
      }
      break;
    case 'cat':
      for (const o of await listAll(prefix)) {
        await write(maybeGunzip(o.key, (await s3('GET', o.key)).body, false));
      }
      break;
    case 'get':
      if (args.length !== 1) throw new Error(USAGE);
      await write(maybeGunzip(args[0], (await s3('GET', args[0])).body, opts.gunzip));
      break;
    case 'put': {
      if (args.length < 1) throw new Error(USAGE);
      const data = fs.readFileSync(args[1] && args[1] !== '-' ? args[1] : 0);
      const r = await s3('PUT', args[0], {}, data);
      await write(`${r.headers.etag || ''}\n`);
      break;
    }
    case 'mb':
      await s3('PUT', null);
      break;
    default:
      console.error(USAGE);
      process.exit(2);
  }
}

main().catch((e) => {
  console.error(`client.js: ${e instanceof S3ClientError ? e.message : e && e.stack ? e.stack : e}`);
  process.exit(e instanceof S3ClientError ? 1 : 2);
});
