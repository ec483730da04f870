'use strict';
// Helpers shared by the S3 test peer's server.js and client.js: argument
// parsing, RFC 3986 encoding, and a SigV4 signer for S3 built on AWS's own
// @smithy/signature-v4.

const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

// The signer wants a constructor taking an optional HMAC secret.
class Sha256 extends Hash {
  constructor(secret) {
    super('sha256', secret);
  }
}

// An S3 signer. uriEscapePath: false because S3 is the one service whose
// canonical URI is the path URI-encoded once and NOT normalized (no removal of
// "." / ".." / empty segments, no second encoding); with false the signer
// takes request.path verbatim, so callers pass the canonical (once-encoded)
// path, see canonicalPath(). applyChecksum: true makes it use (or add) the
// x-amz-content-sha256 header as the payload hash, as S3 requires.
function makeSigner({ accessKeyId, secretAccessKey, sessionToken, region }) {
  const credentials = { accessKeyId, secretAccessKey };
  if (sessionToken) credentials.sessionToken = sessionToken;
  return new SignatureV4({
    service: 's3',
    region,
    credentials,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

// URI-encode per SigV4 / RFC 3986: everything but A-Z a-z 0-9 - _ . ~
function escapeUri(s) {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

// The canonical URI of a request path as received on the wire: each segment
// is decoded and re-encoded once, "/" kept, nothing normalized. This is what
// S3 computes, so a client that puts "=" or " " raw on the wire but signs
// the encoded form (or the other way round) is judged as S3 would judge it.
// Throws URIError on a malformed %-escape.
function canonicalPath(rawPath) {
  return rawPath
    .split('/')
    .map((seg) => escapeUri(decodeURIComponent(seg)))
    .join('/');
}

// The path of an object key, encoded once.
function keyPath(key) {
  return key.split('/').map(escapeUri).join('/');
}

// Parse a raw query string into { name: value | [values] } with names and
// values decoded ("+" is kept as a literal plus, as AWS does).
function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(q, k)) q[k] = v;
    else if (Array.isArray(q[k])) q[k].push(v);
    else q[k] = [q[k], v];
  }
  return q;
}

// Minimal command-line parser: --name value, --name=value, --flag; names in
// `repeatable` collect arrays; names in `flags` take no value.
function parseArgs(argv, { flags = [], repeatable = [] } = {}) {
  const opts = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      opts._.push(a);
      continue;
    }
    let name = a.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (flags.includes(name)) {
      value = true;
    } else {
      if (i + 1 >= argv.length) throw new Error(`option --${name} needs a value`);
      value = argv[++i];
    }
    if (repeatable.includes(name)) (opts[name] = opts[name] || []).push(value);
    else opts[name] = value;
  }
  return opts;
}

function xmlEscape(s) {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function xmlUnescape(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (m, e) => {
    switch (e) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
      default:
        return String.fromCodePoint(
          e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10),
        );
    }
  });
}

// All texts of <tag>...</tag> in xml (no nesting of the same tag assumed).
function xmlAll(xml, tag) {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  const out = [];
  let m;
  while ((m = re.exec(xml)) !== null) out.push(m[1]);
  return out;
}

function xmlOne(xml, tag) {
  const all = xmlAll(xml, tag);
  return all.length ? xmlUnescape(all[0]) : undefined;
}

module.exports = {
  Sha256,
  makeSigner,
  escapeUri,
  canonicalPath,
  keyPath,
  parseQuery,
  parseArgs,
  xmlEscape,
  xmlUnescape,
  xmlAll,
  xmlOne,
};
