#!/usr/bin/env node
'use strict';
// S3 test peer: s3rver (a fake S3 that does not check SigV4 signatures) on an
// internal 127.0.0.1 port, behind a proxy on 127.0.0.1:PORT that checks every
// request's SigV4 signature with AWS's @smithy/signature-v4 and only then
// forwards it. See ../README.md for options and behaviour.

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

// s3rver makes ListObjectsV2 continuation tokens with single DES, which
// OpenSSL 3 only has in its legacy provider: without it every truncated
// listing is a 500. Tokens are opaque to clients, so where DES is missing
// substitute AES-128-CTR (length-preserving like DES here, same 8-byte IV
// prefix in the token) for s3rver's 'des' calls.
(function patchDes() {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch (e) {
    /* no DES: patch below */
  }
  const pad16 = (b) => Buffer.concat([Buffer.from(b), Buffer.alloc(16)]).subarray(0, 16);
  const { createCipheriv, createDecipheriv } = crypto;
  crypto.createCipheriv = (alg, key, iv, o) =>
    alg === 'des' ? createCipheriv('aes-128-ctr', pad16(key), pad16(iv), o) : createCipheriv(alg, key, iv, o);
  crypto.createDecipheriv = (alg, key, iv, o) =>
    alg === 'des' ? createDecipheriv('aes-128-ctr', pad16(key), pad16(iv), o) : createDecipheriv(alg, key, iv, o);
})();

const S3rver = require('s3rver');
const { getCanonicalHeaders } = require('@smithy/signature-v4');
const {
  makeSigner,
  canonicalPath,
  parseQuery,
  parseArgs,
  xmlEscape,
  xmlAll,
  xmlUnescape,
} = require('./lib');

const USAGE = `usage: server.js --data-dir DIR --access-key AK --secret-key SK
         [--session-token TOKEN] [--region us-east-1] [--port 0] [--port-file F]
         [--bucket NAME]... [--credentials-file F] [--vhost-domain localhost]
         [--max-skew-seconds 900] [--expiry-grace-seconds 0]
         [--min-part-size 5242880] [--max-body-bytes 1073741824]
         [--fail-first N] [--fail-status 503] [--fail-ops Op,Op] [--quiet]`;

let opts;
try {
  opts = parseArgs(process.argv.slice(2), {
    flags: ['quiet', 'help'],
    repeatable: ['bucket'],
  });
} catch (e) {
  console.error(`server.js: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const dataDir = opts['data-dir'] || opts._[0];
if (!dataDir || ((!opts['access-key'] || !opts['secret-key']) && !opts['credentials-file'])) {
  console.error(`server.js: --data-dir and credentials are required\n${USAGE}`);
  process.exit(2);
}
const REGION = opts.region || 'us-east-1';
const PORT = Number(opts.port || 0);
const VHOST_DOMAIN = (opts['vhost-domain'] === undefined ? 'localhost' : opts['vhost-domain']).toLowerCase();
const MAX_SKEW_MS = Number(opts['max-skew-seconds'] || 900) * 1000;
const EXPIRY_GRACE_MS = Number(opts['expiry-grace-seconds'] || 0) * 1000;
const MIN_PART_SIZE = Number(opts['min-part-size'] === undefined ? 5 * 1024 * 1024 : opts['min-part-size']);
const MAX_BODY = Number(opts['max-body-bytes'] || 1024 * 1024 * 1024);
let failRemaining = Number(opts['fail-first'] || 0);
const FAIL_STATUS = Number(opts['fail-status'] || 503);
const FAIL_OPS = opts['fail-ops'] ? new Set(opts['fail-ops'].split(',')) : null;
const QUIET = !!opts.quiet;
const BUCKETS = opts.bucket || [];

function log(msg) {
  if (!QUIET) process.stderr.write(`s3: ${new Date().toISOString()} ${msg}\n`);
}

// ---------------------------------------------------------------- credentials

const staticCreds = new Map();
if (opts['access-key']) {
  staticCreds.set(opts['access-key'], {
    secretAccessKey: opts['secret-key'],
    sessionToken: opts['session-token'] || undefined,
    expiration: null,
  });
}

// --credentials-file: JSON lines (or one JSON array) of objects with
// AccessKeyId, SecretAccessKey, optional Token and Expiration, as written by
// ../imds/server.js --credentials-file. Re-read whenever it changes.
let fileCreds = new Map();
let fileCredsStamp = '';
function credentialsFor(accessKeyId) {
  const file = opts['credentials-file'];
  if (file) {
    let st = null;
    try {
      st = fs.statSync(file);
    } catch (e) {
      /* not written yet */
    }
    const stamp = st ? `${st.mtimeMs}:${st.size}` : '';
    if (stamp !== fileCredsStamp) {
      const m = new Map();
      if (st) {
        const text = fs.readFileSync(file, 'utf8').trim();
        const entries = text.startsWith('[')
          ? JSON.parse(text)
          : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
        for (const e of entries) {
          m.set(e.AccessKeyId, {
            secretAccessKey: e.SecretAccessKey,
            sessionToken: e.Token || undefined,
            expiration: e.Expiration ? new Date(e.Expiration) : null,
          });
        }
      }
      fileCreds = m;
      fileCredsStamp = stamp;
    }
  }
  return staticCreds.get(accessKeyId) || fileCreds.get(accessKeyId);
}

// ---------------------------------------------------------------- errors

class S3Error extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

function sendError(ctx, err) {
  const { res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>`;
  for (const [k, v] of Object.entries(err.extra)) {
    if (v !== undefined) xml += `<${k}>${xmlEscape(v)}</${k}>`;
  }
  xml += `<Resource>${xmlEscape(ctx.req.url)}</Resource><RequestId>${ctx.rid}</RequestId></Error>`;
  const body = Buffer.from(xml);
  const headers = {
    'content-type': 'application/xml',
    'content-length': body.length,
    'x-amz-request-id': ctx.rid,
  };
  // A body we did not read (e.g. refused before "100 Continue"): do not try
  // to keep the connection.
  if (!ctx.bodyConsumed && hasBody(ctx.req)) headers.connection = 'close';
  res.writeHead(err.status, headers);
  res.end(ctx.req.method === 'HEAD' ? undefined : body);
  logDone(ctx, err.status, err.code);
}

function logDone(ctx, status, code) {
  log(`${ctx.req.method} ${ctx.req.url} host=${ctx.req.headers.host || '-'} op=${ctx.op} -> ${status}${code ? ' ' + code : ''}`);
}

function hasBody(req) {
  return (
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
    req.headers['transfer-encoding'] !== undefined
  );
}

// ---------------------------------------------------------------- request parsing

function classify(method, bucket, key, q) {
  const has = (n) => Object.prototype.hasOwnProperty.call(q, n);
  if (!bucket) return method === 'GET' ? 'ListBuckets' : 'Service';
  if (key === '') {
    switch (method) {
      case 'PUT': return has('cors') || has('website') ? 'PutBucketConfig' : 'CreateBucket';
      case 'DELETE': return 'DeleteBucket';
      case 'HEAD': return 'HeadBucket';
      case 'POST': return has('delete') ? 'DeleteObjects' : 'PostBucket';
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('uploads')) return 'ListMultipartUploads';
        return q['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects';
      default: return 'Bucket' + method;
    }
  }
  switch (method) {
    case 'PUT':
      if (has('uploadId')) return 'UploadPart';
      if (has('tagging')) return 'PutObjectTagging';
      return 'PutObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      return 'PostObject';
    case 'DELETE': return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET': return has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD': return 'HeadObject';
    default: return 'Object' + method;
  }
}

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return isNaN(d.getTime()) ? null : d;
}

function parseAuthorization(value) {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(value);
  if (!m) return null;
  const fields = {};
  for (const part of m[1].split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq <= 0) return null;
    fields[p.slice(0, eq)] = p.slice(eq + 1);
  }
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) return null;
  const cred = fields.Credential.split('/');
  if (cred.length !== 5) return null;
  return {
    credential: fields.Credential,
    accessKeyId: cred[0],
    date: cred[1],
    region: cred[2],
    service: cred[3],
    terminator: cred[4],
    signedHeaders: fields.SignedHeaders,
    signature: fields.Signature,
  };
}

// ---------------------------------------------------------------- SigV4 check

async function verifySignature(ctx) {
  const { req } = ctx;
  const h = req.headers;
  if ('X-Amz-Algorithm' in ctx.query || 'X-Amz-Signature' in ctx.query || 'Signature' in ctx.query) {
    throw new S3Error(501, 'NotImplemented', 'Query-string (presigned URL) authentication is not supported by this test peer');
  }
  if (h.authorization === undefined) {
    throw new S3Error(403, 'AccessDenied', 'Access Denied (no Authorization header: anonymous requests are refused)');
  }
  const auth = parseAuthorization(h.authorization);
  if (!auth) {
    if (/^AWS /.test(h.authorization)) {
      throw new S3Error(400, 'InvalidRequest', 'Signature version 2 is not supported; use AWS4-HMAC-SHA256');
    }
    throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; expected "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/s3/aws4_request, SignedHeaders=..., Signature=..."');
  }
  ctx.accessKeyId = auth.accessKeyId;
  const creds = credentialsFor(auth.accessKeyId);
  if (!creds) {
    throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: auth.accessKeyId });
  }
  if (creds.expiration && Date.now() > creds.expiration.getTime() + EXPIRY_GRACE_MS) {
    throw new S3Error(400, 'ExpiredToken', 'The provided token has expired.', { 'Token-0': h['x-amz-security-token'] });
  }
  const amzDate = h['x-amz-date'];
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) {
    throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header (this peer requires x-amz-date in basic ISO 8601 form, YYYYMMDDTHHMMSSZ)');
  }
  if (auth.date !== amzDate.slice(0, 8)) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `Invalid credential date "${auth.date}". Date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (auth.region !== REGION) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${REGION}'`, { Region: REGION });
  }
  if (auth.service !== 's3' || auth.terminator !== 'aws4_request') {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service "${auth.service}" or terminator "${auth.terminator}"; expecting "s3/aws4_request"`);
  }
  if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: amzDate,
      ServerTime: new Date().toISOString(),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  }
  const signedList = auth.signedHeaders.split(';');
  const signedSet = new Set(signedList);
  if (!signedSet.has('host')) {
    throw new S3Error(403, 'AccessDenied', 'The host header must be signed (SignedHeaders lacks "host")');
  }
  if (h['x-amz-content-sha256'] === undefined) {
    throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const unsigned = Object.keys(h).filter((n) => n.startsWith('x-amz-') && !signedSet.has(n));
  if (unsigned.length) {
    throw new S3Error(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
  const token = h['x-amz-security-token'];
  if ((creds.sessionToken || token !== undefined) && token !== creds.sessionToken) {
    throw new S3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }

  // The request as the signer sees it: method, the canonical (once-encoded,
  // unnormalized) path, the decoded query, and only the headers the client
  // listed as signed, repeated ones joined with ",".
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const n = req.rawHeaders[i].toLowerCase();
    if (!signedSet.has(n)) continue;
    const v = req.rawHeaders[i + 1];
    headers[n] = headers[n] === undefined ? v : `${headers[n]},${v}`;
  }
  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: ctx.hostname,
    path: ctx.canonicalPath,
    query: ctx.query,
    headers,
  };
  const signer = makeSigner({
    accessKeyId: auth.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    sessionToken: creds.sessionToken,
    region: REGION,
  });

  // What S3 would show in a SignatureDoesNotMatch error, for debugging.
  const payloadHash = h['x-amz-content-sha256'];
  const scope = `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const canonicalHeaders = getCanonicalHeaders(request, undefined, signedSet);
  const canonicalRequest = signer.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  const stringToSign = await signer.createStringToSign(amzDate, scope, canonicalRequest, 'AWS4-HMAC-SHA256');

  let expected;
  if (!signedSet.has('date')) {
    // The ordinary path: let the signer's public signRequest() sign the
    // request afresh, with the client's date, and compare the whole
    // Authorization header it produces.
    const signed = await signer.signRequest(request, { signingDate, signableHeaders: signedSet });
    expected = parseAuthorization(signed.headers.authorization);
  } else {
    // signRequest() drops a "Date" header (it regenerates dates); a client
    // may still sign one, so compute the same signature from its parts.
    const signature = await signer.getSignature(
      amzDate,
      scope,
      signer.getSigningKey({ accessKeyId: auth.accessKeyId, secretAccessKey: creds.secretAccessKey }, REGION, amzDate.slice(0, 8)),
      canonicalRequest,
    );
    expected = { credential: `${auth.accessKeyId}/${scope}`, signedHeaders: Object.keys(canonicalHeaders).sort().join(';'), signature };
  }
  if (
    expected.signature !== auth.signature ||
    expected.signedHeaders !== auth.signedHeaders ||
    expected.credential !== auth.credential
  ) {
    log(`signature mismatch for ${req.method} ${req.url}: expected ${expected.signature} SignedHeaders=${expected.signedHeaders}, got ${auth.signature} SignedHeaders=${auth.signedHeaders}\n--- canonical request ---\n${canonicalRequest}\n--- string to sign ---\n${stringToSign}\n---`);
    throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: auth.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: auth.signature,
      CanonicalRequest: canonicalRequest,
    });
  }
}

// ---------------------------------------------------------------- multipart

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function uploadDir(bucket, uploadId) {
  return path.join(dataDir, bucket, '._S3rver_uploads', uploadId);
}

// s3rver accepts parts for any upload id (it just creates a directory) and
// does not implement AbortMultipartUpload, so the proxy checks the upload.
function checkUpload(ctx) {
  const { bucket, key } = ctx;
  if (!BUCKET_RE.test(bucket) || !fs.existsSync(path.join(dataDir, bucket))) {
    throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
  const id = ctx.query.uploadId;
  const noSuch = new S3Error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id });
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) throw noSuch;
  let storedKey;
  try {
    storedKey = fs.readFileSync(path.join(uploadDir(bucket, id), 'key'), 'utf8');
  } catch (e) {
    throw noSuch;
  }
  if (storedKey !== key) throw noSuch;
}

// What S3 checks on CompleteMultipartUpload and s3rver does not: listed parts
// exist with the listed ETags, ascending part numbers, non-last parts of at
// least --min-part-size bytes.
function checkCompleteBody(ctx, body) {
  const xml = body.toString('utf8');
  const parts = xmlAll(xml, 'Part').map((p) => ({
    number: Number((xmlAll(p, 'PartNumber')[0] || '').trim()),
    etag: xmlUnescape((xmlAll(p, 'ETag')[0] || '').trim()).replace(/"/g, ''),
  }));
  if (!/<CompleteMultipartUpload[\s>]/.test(xml) || parts.length === 0) {
    throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const dir = uploadDir(ctx.bucket, ctx.query.uploadId);
  let prev = 0;
  parts.forEach((p, i) => {
    if (!Number.isInteger(p.number) || p.number < 1 || p.number > 10000) {
      throw new S3Error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'PartNumber', ArgumentValue: p.number });
    }
    if (p.number <= prev) {
      throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    }
    prev = p.number;
    let md5, size;
    try {
      md5 = fs.readFileSync(path.join(dir, `${p.number}.md5`), 'utf8').trim();
      size = fs.statSync(path.join(dir, String(p.number))).size;
    } catch (e) {
      throw new S3Error(400, 'InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', { UploadId: ctx.query.uploadId, PartNumber: p.number, ETag: p.etag });
    }
    if (md5 !== p.etag) {
      throw new S3Error(400, 'InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', { UploadId: ctx.query.uploadId, PartNumber: p.number, ETag: p.etag, ExpectedETag: md5 });
    }
    if (i < parts.length - 1 && size < MIN_PART_SIZE) {
      throw new S3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', { PartNumber: p.number, ProposedSize: size, MinSizeAllowed: MIN_PART_SIZE });
    }
  });
}

// ---------------------------------------------------------------- body

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) {
        reject(new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size of this test peer (--max-body-bytes).', { MaxSizeAllowed: limit }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- proxy

let innerPort;

const HOP_HEADERS = new Set(['authorization', 'x-amz-security-token', 'host', 'expect', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection']);

function forward(ctx, body) {
  const { req, res } = ctx;
  return new Promise((resolve, reject) => {
    const headers = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const n = req.rawHeaders[i].toLowerCase();
      if (HOP_HEADERS.has(n)) continue;
      if (body && (n === 'content-length' || n === 'transfer-encoding')) continue;
      const v = req.rawHeaders[i + 1];
      if (headers[n] === undefined) headers[n] = v;
      else headers[n] = [].concat(headers[n], v);
    }
    headers.host = `127.0.0.1:${innerPort}`;
    if (body) headers['content-length'] = String(body.length);
    const up = http.request({
      host: '127.0.0.1',
      port: innerPort,
      method: req.method,
      path: ctx.forwardPath + (ctx.rawQuery ? `?${ctx.rawQuery}` : ''),
      headers,
    });
    up.on('error', reject);
    up.on('response', (ur) => {
      const out = {};
      for (const [n, v] of Object.entries(ur.headers)) {
        if (n === 'connection' || n === 'keep-alive' || n === 'transfer-encoding') continue;
        out[n] = v;
      }
      if (!out['x-amz-request-id']) out['x-amz-request-id'] = ctx.rid;
      res.writeHead(ur.statusCode, out);
      ur.pipe(res);
      ur.on('end', () => {
        logDone(ctx, ur.statusCode, ur.statusCode >= 300 ? '(from s3rver)' : '');
        resolve();
      });
      ur.on('error', reject);
    });
    if (body) up.end(body);
    else {
      ctx.bodyConsumed = true;
      req.pipe(up);
    }
  });
}

async function handleRequest(req, res, expectContinue) {
  const ctx = {
    req,
    res,
    rid: crypto.randomBytes(8).toString('hex').toUpperCase(),
    op: '-',
    bodyConsumed: false,
  };
  try {
    await handle(ctx, expectContinue);
  } catch (e) {
    if (!(e instanceof S3Error)) {
      log(`internal error: ${e && e.stack ? e.stack : e}`);
      e = new S3Error(500, 'InternalError', `We encountered an internal error (${e && e.message}).`);
    }
    sendError(ctx, e);
  }
}

async function handle(ctx, expectContinue) {
  const { req, res } = ctx;
  const url = req.url;
  if (!url.startsWith('/')) throw new S3Error(400, 'InvalidURI', 'Couldn\'t parse the specified URI.');
  const qi = url.indexOf('?');
  const rawPath = qi < 0 ? url : url.slice(0, qi);
  ctx.rawQuery = qi < 0 ? '' : url.slice(qi + 1);
  const host = (req.headers.host || '').toLowerCase();
  ctx.hostname = host.replace(/:\d+$/, '');
  try {
    ctx.query = parseQuery(ctx.rawQuery);
    ctx.canonicalPath = canonicalPath(rawPath);
  } catch (e) {
    throw new S3Error(400, 'InvalidURI', 'Couldn\'t parse the specified URI.');
  }
  // Virtual-host style: BUCKET.<vhost-domain>[:port] -> path-style /BUCKET/...
  if (VHOST_DOMAIN && ctx.hostname.endsWith(`.${VHOST_DOMAIN}`)) {
    const bucket = ctx.hostname.slice(0, -(VHOST_DOMAIN.length + 1));
    ctx.forwardPath = `/${bucket}${rawPath === '/' ? '' : rawPath}`;
  } else {
    ctx.forwardPath = rawPath;
  }
  const segs = ctx.forwardPath.split('/').slice(1).map((s) => decodeURIComponent(s));
  ctx.bucket = segs[0] || '';
  ctx.key = segs.slice(1).join('/');
  ctx.op = classify(req.method, ctx.bucket, ctx.key, ctx.query);

  await verifySignature(ctx);

  const sha = req.headers['x-amz-content-sha256'];
  if (/^STREAMING-/.test(sha)) {
    throw new S3Error(501, 'NotImplemented', `x-amz-content-sha256: ${sha} (aws-chunked uploads) is not supported by this test peer`);
  }
  const hexSha = /^[0-9a-f]{64}$/.test(sha);
  if (!hexSha && sha !== 'UNSIGNED-PAYLOAD') {
    throw new S3Error(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.', { ArgumentName: 'x-amz-content-sha256', ArgumentValue: sha });
  }
  if ((ctx.op === 'PutObject' || ctx.op === 'UploadPart') && req.headers['content-length'] === undefined) {
    throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  if (ctx.op === 'UploadPart') {
    const pn = ctx.query.partNumber;
    if (typeof pn !== 'string' || !/^\d+$/.test(pn) || +pn < 1 || +pn > 10000) {
      throw new S3Error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: pn });
    }
  }
  if (['UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts'].includes(ctx.op)) {
    checkUpload(ctx);
  }

  if (expectContinue) res.writeContinue();

  const md5 = req.headers['content-md5'];
  const failNow = failRemaining > 0 && (!FAIL_OPS || FAIL_OPS.has(ctx.op));
  let body = null;
  if (hexSha || md5 !== undefined || ctx.op === 'CompleteMultipartUpload' || failNow) {
    body = await readBody(req, MAX_BODY);
    ctx.bodyConsumed = true;
    if (hexSha) {
      const got = crypto.createHash('sha256').update(body).digest('hex');
      if (got !== sha) {
        throw new S3Error(400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.', {
          ClientComputedContentSHA256: sha,
          S3ComputedContentSHA256: got,
        });
      }
    }
    if (md5 !== undefined) {
      const want = Buffer.from(md5, 'base64');
      if (want.length !== 16 || want.toString('base64') !== md5.trim()) {
        throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': md5 });
      }
      if (!crypto.createHash('md5').update(body).digest().equals(want)) {
        throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', {
          ExpectedDigest: md5,
          CalculatedDigest: crypto.createHash('md5').update(body).digest('base64'),
        });
      }
    }
  }

  if (failNow) {
    failRemaining--;
    if (FAIL_STATUS === 503) throw new S3Error(503, 'SlowDown', 'Please reduce your request rate. (injected by --fail-first)');
    if (FAIL_STATUS === 400) throw new S3Error(400, 'ExpiredToken', 'The provided token has expired. (injected by --fail-first)');
    throw new S3Error(FAIL_STATUS, 'InternalError', 'We encountered an internal error. Please try again. (injected by --fail-first)');
  }

  if (ctx.op === 'AbortMultipartUpload') {
    if (!body && hasBody(req)) {
      body = await readBody(req, MAX_BODY);
      ctx.bodyConsumed = true;
    }
    fs.rmSync(uploadDir(ctx.bucket, ctx.query.uploadId), { recursive: true, force: true });
    res.writeHead(204, { 'x-amz-request-id': ctx.rid });
    res.end();
    logDone(ctx, 204, '');
    return;
  }
  if (ctx.op === 'CompleteMultipartUpload') checkCompleteBody(ctx, body);

  await forward(ctx, body);
}

// ---------------------------------------------------------------- main

async function main() {
  fs.mkdirSync(dataDir, { recursive: true });
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dataDir,
    vhostBuckets: false,
    resetOnClose: false,
    configureBuckets: BUCKETS.map((name) => ({ name })),
  });
  const inner = await s3rver.run();
  innerPort = inner.port;

  const server = http.createServer((req, res) => handleRequest(req, res, false));
  server.on('checkContinue', (req, res) => handleRequest(req, res, true));
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  server.keepAliveTimeout = 30000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(PORT, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  log(`s3rver on 127.0.0.1:${innerPort}, data in ${dataDir}, buckets: ${BUCKETS.join(',') || '(none)'}, region ${REGION}`);
  if (opts['port-file']) {
    const tmp = `${opts['port-file']}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, opts['port-file']);
  }
  process.stdout.write(`listening ${port}\n`);

  const stop = () => {
    server.close();
    s3rver.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(`server.js: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
