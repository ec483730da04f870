#!/usr/bin/env node
'use strict';
// Fake EC2 instance-metadata service (IMDSv2 only) for sluice's tests.
// Node.js built-ins only: no npm install needed.
//
//   PUT /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds: 1..21600)
//       -> a token, valid for that many seconds
//   GET /latest/meta-data/iam/security-credentials/        -> ROLE
//   GET /latest/meta-data/iam/security-credentials/ROLE    -> credentials JSON
//   GET /latest/meta-data/placement/region                 -> REGION
//   GET /latest/dynamic/instance-identity/document         -> JSON with region
// Every GET needs a valid X-aws-ec2-metadata-token header, else 401 (as an
// instance configured with "HttpTokens: required").
//
// Credentials rotate: generation g expires at START+g*E (E =
// --expiry-seconds, START = whole second the server started) and, as on
// EC2 (new credentials are available well before the old ones expire), is
// handed out from half a lifetime before its predecessor expires: a
// credentials request at time t returns generation floor((t-START)/E + 1/2)
// + 1. Its keys carry the generation number (AccessKeyId ASIAFAKEIMDS + g
// in 8 digits, SecretAccessKey/Token ...-gen-g-...).
//
// Options: --port 0 (0 = any free port) --port-file F --role NAME
//   --expiry-seconds 3600 --region us-east-1 --credentials-file F (appends
//   each generation, once, as one JSON line, for ../s3/server.js
//   --credentials-file) --fail-first N (first N credential GETs answer 500)
//   --quiet.
// Prints "listening PORT" on stdout. Logs every request on stderr as
//   imds: <ISO time> <METHOD> <path> -> <status> [detail]
// and each credentials answer as "... -> 200 credentials gen=G AccessKeyId=..."
// so a test can count refreshes with grep -c ' credentials gen='.

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const USAGE = 'usage: imds/server.js [--port 0] [--port-file F] [--role NAME] [--expiry-seconds 3600] [--region us-east-1] [--credentials-file F] [--fail-first N] [--quiet]';

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quiet' || a === '--help') {
      o[a.slice(2)] = true;
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    if (m[2] !== undefined) o[m[1]] = m[2];
    else if (i + 1 < argv.length) o[m[1]] = argv[++i];
    else throw new Error(`option --${m[1]} needs a value`);
  }
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`imds/server.js: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const ROLE = opts.role || 'sluice-test-role';
const EXPIRY = Number(opts['expiry-seconds'] || 3600);
const REGION = opts.region || 'us-east-1';
const START = Math.floor(Date.now() / 1000); // whole seconds: Expiration has no fraction
const RUN = crypto.randomBytes(4).toString('hex'); // keys differ between runs
let failRemaining = Number(opts['fail-first'] || 0);
if (!(EXPIRY > 0)) {
  console.error('imds/server.js: --expiry-seconds must be > 0');
  process.exit(2);
}

function log(msg) {
  if (!opts.quiet) process.stderr.write(`imds: ${new Date().toISOString()} ${msg}\n`);
}

const iso = (sec) => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const written = new Set();
function credentials() {
  const now = Date.now() / 1000;
  const gen = Math.floor((now - START) / EXPIRY + 0.5) + 1;
  const c = {
    Code: 'Success',
    LastUpdated: iso(Math.max(START, Math.floor(START + (gen - 1.5) * EXPIRY))),
    Type: 'AWS-HMAC',
    AccessKeyId: `ASIAFAKEIMDS${String(gen).padStart(8, '0')}`,
    SecretAccessKey: `imds-secret-gen-${gen}-${RUN}`,
    Token: `imds-token-gen-${gen}-${RUN}`,
    Expiration: iso(START + gen * EXPIRY),
  };
  if (opts['credentials-file'] && !written.has(gen)) {
    written.add(gen);
    fs.appendFileSync(opts['credentials-file'], `${JSON.stringify(c)}\n`);
  }
  return { gen, c };
}

const tokens = new Map(); // token -> expiry (ms)

function validToken(req) {
  const t = req.headers['x-aws-ec2-metadata-token'];
  if (!t) return false;
  const exp = tokens.get(t);
  if (exp === undefined) return false;
  if (Date.now() >= exp) {
    tokens.delete(t);
    return false;
  }
  return true;
}

function reply(req, res, status, body, type, detail) {
  const b = Buffer.from(body);
  const h = { 'content-type': type || 'text/plain', 'content-length': b.length, server: 'EC2ws' };
  res.writeHead(status, h);
  res.end(req.method === 'HEAD' ? undefined : b);
  log(`${req.method} ${req.url} -> ${status}${detail ? ' ' + detail : ''}`);
}

function handle(req, res) {
  req.resume(); // bodies are ignored
  const url = req.url.split('?')[0];

  if (url === '/latest/api/token') {
    if (req.method !== 'PUT') return reply(req, res, 405, 'Method Not Allowed', null, 'token needs PUT');
    if (req.headers['x-forwarded-for'] !== undefined) return reply(req, res, 403, 'Forbidden', null, 'X-Forwarded-For');
    const ttlHdr = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const ttl = Number(ttlHdr);
    if (ttlHdr === undefined || !/^\d+$/.test(ttlHdr) || ttl < 1 || ttl > 21600) {
      return reply(req, res, 400, 'Bad Request', null, `bad ttl ${ttlHdr}`);
    }
    const token = crypto.randomBytes(30).toString('base64');
    tokens.set(token, Date.now() + ttl * 1000);
    res.setHeader('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
    return reply(req, res, 200, token, null, `token ttl=${ttl}`);
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(req, res, 405, 'Method Not Allowed');
  if (!validToken(req)) return reply(req, res, 401, 'Unauthorized', null, 'no valid token');

  const credsBase = '/latest/meta-data/iam/security-credentials';
  if (url === `${credsBase}/` || url === credsBase) return reply(req, res, 200, ROLE, null, 'role');
  if (url === `${credsBase}/${ROLE}` || url === `${credsBase}/${ROLE}/`) {
    if (failRemaining > 0) {
      failRemaining--;
      return reply(req, res, 500, 'Internal Server Error', null, 'injected by --fail-first');
    }
    const { gen, c } = credentials();
    return reply(req, res, 200, JSON.stringify(c, null, 2), null, `credentials gen=${gen} AccessKeyId=${c.AccessKeyId} Expiration=${c.Expiration}`);
  }
  if (url === '/latest/meta-data/placement/region') return reply(req, res, 200, REGION);
  if (url === '/latest/dynamic/instance-identity/document') {
    return reply(req, res, 200, JSON.stringify({ region: REGION, instanceId: 'i-0123456789abcdef0', accountId: '123456789012', availabilityZone: `${REGION}a` }, null, 2), 'application/json');
  }
  return reply(req, res, 404, 'Not Found');
}

const server = http.createServer(handle);
server.listen(Number(opts.port || 0), '127.0.0.1', () => {
  const port = server.address().port;
  log(`role ${ROLE}, credentials expire every ${EXPIRY}s, region ${REGION}`);
  if (opts['port-file']) {
    const tmp = `${opts['port-file']}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, opts['port-file']);
  }
  process.stdout.write(`listening ${port}\n`);
});
server.on('error', (e) => {
  console.error(`imds/server.js: ${e.message}`);
  process.exit(1);
});
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
