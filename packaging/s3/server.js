// packaging/s3/server.js: one S3 replica of a stack — s3rver behind a real SigV4 check.
//
// s3rver stores and serves objects but verifies no SigV4 signature at all (a wrong secret or no
// Authorization header is accepted). This process runs s3rver in-process and puts a middleware in
// front of its routes that recomputes each request's signature with AWS's own signer from npm
// (@smithy/signature-v4, hashing with @smithy/hash-node), so the check shares no code or
// assumptions with complaintd's C signer. Requests that fail get the error real S3 gives; requests
// that pass are handed to s3rver with the credential rewritten to the one it knows (S3RVER).
//
// Usage: S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... node server.js --port P
//          --address 127.0.0.1 --directory DIR --bucket NAME [--region REGION]
// The credentials come from the environment, never argv (argv is visible in ps). Without
// --region any region in the credential scope is accepted (the signature still covers it).
'use strict';

const crypto = require('crypto');
const { Readable } = require('stream');
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

// complaintd's uploads are a few MiB; a body we must hash is held in memory, so cap it.
const MAX_HASHED_BODY = 64 * 1024 * 1024;
const MAX_SKEW_MS = 15 * 60 * 1000;
const S3RVER_KEY = 'S3RVER'; // the only access key s3rver knows (lib/models/account.js)

// The HTTP status real S3 gives with each error code we produce.
const STATUS = {
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  AuthorizationHeaderMalformed: 400,
  InvalidRequest: 400,
  InvalidArgument: 400,
  XAmzContentSHA256Mismatch: 400,
  EntityTooLarge: 400,
  NotImplemented: 501,
};

function usage(message) {
  process.stderr.write(`s3/server.js: ${message}\n` +
    'usage: node server.js --port P --address 127.0.0.1 --directory DIR --bucket NAME [--region R]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const known = new Set(['--port', '--address', '--directory', '--bucket', '--region']);
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.has(argv[i]) || i + 1 >= argv.length) usage(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of ['port', 'address', 'directory', 'bucket']) {
    if (!args[name]) usage(`--${name} is required`);
  }
  if (!/^[0-9]{1,5}$/.test(args.port) || Number(args.port) < 1 || Number(args.port) > 65535) {
    usage(`bad port ${args.port}`);
  }
  // A test double with a well-known layout must never be reachable from the network.
  if (args.address !== '127.0.0.1') usage('--address must be 127.0.0.1');
  return args;
}

class S3Failure extends Error {
  constructor(code, message, detail = {}) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorXml(code, message, detail, requestId) {
  const extra = Object.entries(detail).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId></Error>`;
}

// "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex"
function parseAuthorization(value) {
  const match = /^AWS4-HMAC-SHA256 +(.*)$/.exec(value);
  if (!match) {
    throw new S3Failure('AuthorizationHeaderMalformed',
      'The authorization header is malformed; only AWS4-HMAC-SHA256 is supported.');
  }
  const parts = {};
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    parts[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!parts[name]) {
      throw new S3Failure('AuthorizationHeaderMalformed',
        `The authorization header is malformed; missing ${name}.`);
    }
  }
  const scope = parts.Credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    throw new S3Failure('AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (!/^[0-9a-f]{64}$/.test(parts.Signature)) {
    throw new S3Failure('AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Signature is not 64 hex digits.');
  }
  return {
    accessKeyId: scope[0], date: scope[1], region: scope[2], service: scope[3],
    signedHeaders: parts.SignedHeaders.split(';'), signature: parts.Signature,
  };
}

// "20240102T030405Z" -> Date, or null.
function parseAmzDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value || '');
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? null : new Date(t);
}

// The query as the signer wants it: decoded names and values, repeated names as arrays.
function parseQuery(raw) {
  const query = {};
  if (!raw) return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(query, name)) query[name] = value;
    else query[name] = [].concat(query[name], value);
  }
  return query;
}

// Reads the whole body. Past the cap it keeps draining (so the client still gets our answer
// on a usable connection) and fails at the end.
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_HASHED_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_HASHED_BODY) {
        reject(new S3Failure('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.',
          { ProposedSize: size, MaxSizeAllowed: MAX_HASHED_BODY }));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
  });
}

function sameHex(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// Verifies the request in ctx; throws S3Failure, or returns with ctx ready for s3rver.
async function verify(ctx, expected) {
  const req = ctx.req;
  const rawQuery = ctx.querystring;
  if (Object.keys(ctx.query).some((name) => name.toLowerCase() === 'x-amz-algorithm')) {
    throw new S3Failure('NotImplemented',
      'Presigned (query string) SigV4 requests are not supported by this test double.');
  }
  const authorization = req.headers.authorization;
  if (!authorization) {
    throw new S3Failure('AccessDenied', 'Access Denied');
  }
  const auth = parseAuthorization(authorization);
  if (auth.accessKeyId !== expected.accessKeyId) {
    throw new S3Failure('InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: auth.accessKeyId });
  }
  const amzDate = req.headers['x-amz-date'];
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) {
    throw new S3Failure('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  const now = new Date();
  if (Math.abs(now - signingDate) > MAX_SKEW_MS) {
    throw new S3Failure('RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      { RequestTime: amzDate, ServerTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
        MaxAllowedSkewMilliseconds: MAX_SKEW_MS });
  }
  if (auth.date !== amzDate.slice(0, 8)) {
    throw new S3Failure('AuthorizationHeaderMalformed',
      `Invalid credential date "${auth.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (auth.service !== 's3') {
    throw new S3Failure('AuthorizationHeaderMalformed',
      `The authorization header is malformed; incorrect service "${auth.service}". This endpoint belongs to "s3".`);
  }
  if (expected.region && auth.region !== expected.region) {
    throw new S3Failure('AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${expected.region}'`,
      { Region: expected.region });
  }
  const contentSha = req.headers['x-amz-content-sha256'];
  if (contentSha === undefined) {
    throw new S3Failure('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const hexSha = /^[0-9a-f]{64}$/.test(contentSha);
  if (!hexSha && contentSha !== 'UNSIGNED-PAYLOAD') {
    throw new S3Failure('InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value (streaming payloads are not supported here).',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: contentSha });
  }

  // The request as the client signed it: only the headers it named, values as received (repeated
  // headers joined with commas, as SigV4 canonicalisation wants), path exactly as sent (S3 does
  // not normalise or re-encode the path), query decoded so the signer sorts and encodes it.
  const headers = {};
  for (const name of auth.signedHeaders) {
    const values = req.headersDistinct[name];
    if (values !== undefined) headers[name] = values.join(',');
  }
  const rawPath = req.url.split('?')[0];
  const signer = new SignatureV4({
    credentials: { accessKeyId: expected.accessKeyId, secretAccessKey: expected.secretAccessKey },
    region: auth.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  let query;
  try {
    query = parseQuery(rawQuery);
  } catch (err) {
    throw new S3Failure('InvalidArgument', 'The query string holds a malformed percent-escape.');
  }
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: rawPath, query, headers },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) });
  const computed = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization)[1];
  const computedSignedHeaders = /SignedHeaders=([^,]*),/.exec(signed.headers.authorization)[1];
  if (computedSignedHeaders !== auth.signedHeaders.join(';') || !sameHex(computed, auth.signature)) {
    throw new S3Failure('SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: auth.accessKeyId });
  }

  if (hexSha) {
    // Real S3 hashes the body as it arrives and rejects the request at the end when the hash
    // differs from the signed one; nothing is stored. Hold the body, then hand s3rver a copy.
    const body = await readBody(req);
    const actual = crypto.createHash('sha256').update(body).digest('hex');
    if (actual !== contentSha) {
      throw new S3Failure('XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        { ClientComputedContentSHA256: contentSha, S3ComputedContentSHA256: actual });
    }
    const replay = Readable.from(body.length ? [body] : []);
    replay.headers = req.headers;
    ctx.req = replay; // s3rver reads bodies from ctx.req; ctx.request still has the real headers
  }

  // s3rver knows one account only: show it that one. Its own v4 "check" looks at nothing else.
  req.headers.authorization = authorization.replace(/Credential=[^/]*\//, `Credential=${S3RVER_KEY}/`);
}

function sigv4Middleware(expected) {
  return async function sigv4(ctx, next) {
    const started = process.hrtime.bigint();
    let status;
    let code = '';
    try {
      await verify(ctx, expected);
      try {
        await next();
        status = ctx.status;
      } catch (err) {
        status = err.status || 500;
        code = err.code || '';
        throw err;
      }
    } catch (err) {
      if (!(err instanceof S3Failure)) throw err;
      // Leave the connection usable: drain what the client still sends.
      if (!ctx.req.readableEnded) ctx.req.resume();
      code = err.code;
      status = STATUS[err.code] || 400;
      const requestId = crypto.randomBytes(8).toString('hex').toUpperCase();
      ctx.status = status;
      ctx.set('x-amz-request-id', requestId);
      ctx.type = 'application/xml';
      ctx.body = errorXml(err.code, err.message, err.detail, requestId);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Never the query (it could carry a presigned signature), the secret or the signature.
      process.stderr.write(`${new Date().toISOString()} ${ctx.method} ${ctx.path} ${status}` +
        `${code ? ' ' + code : ''} ${ms.toFixed(1)}ms\n`);
    }
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const expected = {
    accessKeyId: process.env.S3_ACCESS_KEY_ID,
    secretAccessKey: process.env.S3_SECRET_ACCESS_KEY,
    region: args.region,
  };
  if (!expected.accessKeyId || !expected.secretAccessKey) {
    usage('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set in the environment');
  }
  delete process.env.S3_SECRET_ACCESS_KEY;
  delete process.env.S3_ACCESS_KEY_ID;

  const server = new S3rver({
    port: Number(args.port),
    address: args.address,
    directory: args.directory,
    silent: true,
    configureBuckets: [{ name: args.bucket, configs: [] }],
  });
  // Koa composes app.middleware when the server starts listening: first in the list runs first.
  server.middleware.unshift(sigv4Middleware(expected));
  const address = await server.run();
  process.stderr.write(`${new Date().toISOString()} s3 replica listening on ` +
    `${address.address}:${address.port}, bucket ${args.bucket}, directory ${args.directory}\n`);
  // Stop at once: a test that stops a replica wants its port refused, not a graceful drain.
  const stop = () => {
    server.httpServer.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`s3/server.js: ${err.stack || err}\n`);
  process.exit(1);
});
