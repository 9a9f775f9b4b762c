// A real OpenID Provider (panva/oidc-provider) for the kosodate integration tests.
//
//   node tests/oidc-provider/provider.mjs CONFIG.json
//
// Listens on 127.0.0.1 with an ephemeral port and prints exactly one line of JSON to stdout once
// it answers: {"ready":true,"issuer":"http://127.0.0.1:<port>"}. Everything else goes to stderr.
//
// CONFIG.json:
//   clients      oidc-provider client metadata (client_id, client_secret, redirect_uris,
//                id_token_signed_response_alg, token_endpoint_auth_method, ...)
//   accounts     { "<accountId>": { email, name, roles, municipality_code, ... } }
//   claims_in_id_token  optional boolean: scope claims in the ID token too (default: userinfo only)
//   keys_file    optional: where the signing JWKS (RS256 + ES256) is kept across runs
//   exit_on_stdin_close  optional boolean: exit when stdin reaches EOF (the parent died)
//
// Besides the provider's own endpoints:
//   GET|POST /interaction/:uid  login (login_hint naming a known account logs in at once)
//   POST /test/tamper {"mode"}  arms a one-shot tamper of the next /token response's id_token:
//                               expired | wrong_audience | wrong_issuer | bad_signature |
//                               replayed_nonce; answers 204
//   GET /test/health            200 "ok"

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import Provider, { interactionPolicy } from 'oidc-provider';
import * as jose from 'jose';

// stdout carries only the ready line: oidc-provider prints its notices with console.info.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const log = (...args) => console.error('[oidc-provider]', ...args);

// Signals are handled from the start, so that a stop during start-up also exits with 0.
let server;
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: exiting`);
  if (!server?.listening) process.exit(0);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

const configPath = process.argv[2];
if (!configPath) {
  log('usage: node provider.mjs CONFIG.json');
  process.exit(2);
}
const testConfig = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const accounts = testConfig.accounts ?? {};
const clients = testConfig.clients ?? [];
const clientsById = new Map(clients.map((c) => [c.client_id, c]));
if (testConfig.exit_on_stdin_close) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
}

// ---------------------------------------------------------------------------------------------
// Signing keys

async function generateSigningKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = [];
  for (const [pair, alg] of [[rsa, 'RS256'], [ec, 'ES256']]) {
    const jwk = pair.privateKey.export({ format: 'jwk' });
    jwk.kid = await jose.calculateJwkThumbprint(jwk);
    jwk.use = 'sig';
    jwk.alg = alg;
    keys.push(jwk);
  }
  return { keys };
}

async function loadSigningKeys(file) {
  if (file && fs.existsSync(file)) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const jwks = await generateSigningKeys();
  if (file) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
  }
  return jwks;
}

const jwks = await loadSigningKeys(testConfig.keys_file);

// ---------------------------------------------------------------------------------------------
// Listen first, so that the issuer can carry the real port.

let handler = (req, res) => {
  res.statusCode = 503;
  res.end();
};
server = http.createServer((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

// ---------------------------------------------------------------------------------------------
// Provider

function isKnownAccount(id) {
  return typeof id === 'string' && Object.hasOwn(accounts, id);
}

// Login is also required when login_hint names a known account other than the session's, so a
// test can switch users with one cookie jar.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'login_hint_mismatch',
  'login_hint names another End-User than the authenticated one',
  (ctx) => {
    const { oidc } = ctx;
    const hint = oidc.params.login_hint;
    if (oidc.result?.login || !isKnownAccount(hint) || !oidc.session.accountId) {
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }
    return hint === oidc.session.accountId
      ? interactionPolicy.Check.NO_NEED_TO_PROMPT
      : interactionPolicy.Check.REQUEST_PROMPT;
  },
));

const configuration = {
  clients,
  jwks,
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    staff: ['roles', 'municipality_code'],
  },
  scopes: ['openid', 'email', 'profile', 'staff'],
  // The standard (and oidc-provider's default): with an access token issued, claims a scope asks
  // for go to userinfo only. `claims_in_id_token` puts them in the ID token too, as some
  // providers do.
  conformIdTokenClaims: !testConfig.claims_in_id_token,
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256', 'HS256'],
  },
  pkce: {
    required: () => true,
  },
  features: {
    devInteractions: { enabled: false },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, id) {
    if (!isKnownAccount(id)) return undefined;
    return {
      accountId: id,
      async claims() {
        const account = accounts[id];
        return {
          sub: id,
          ...(account.email !== undefined ? { email_verified: true } : undefined),
          ...account,
        };
      },
    };
  },
  // Auto-consent: every requested OIDC scope and claim is granted to the client.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const accountId = oidc.account?.accountId ?? oidc.session.accountId;
    const clientId = oidc.client.clientId;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
      grant = new oidc.provider.Grant({ accountId, clientId });
    }
    const scope = [...oidc.requestParamOIDCScopes].join(' ');
    if (scope) grant.addOIDCScope(scope);
    const claims = [...oidc.requestParamClaims];
    if (claims.length) grant.addOIDCClaims(claims);
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = { error: out.error, error_description: out.error_description };
  },
};

const provider = new Provider(issuer, configuration);

provider.on('server_error', (ctx, err) => log('server_error', err));
provider.on('authorization.error', (ctx, err) => log('authorization.error', err.message, err.error_description ?? ''));
provider.on('grant.error', (ctx, err) => log('grant.error', err.message, err.error_description ?? ''));

// ---------------------------------------------------------------------------------------------
// Tampering of the next /token response's id_token

const TAMPER_MODES = new Set(['expired', 'wrong_audience', 'wrong_issuer', 'bad_signature', 'replayed_nonce']);
let armedTamper = null;
// client_id -> nonces of the authorization requests seen, oldest first
const noncesByClient = new Map();

function signingKeyFor(header, clientId) {
  if (header.alg.startsWith('HS')) {
    const secret = clientsById.get(clientId)?.client_secret;
    if (!secret) throw new Error(`no client_secret for ${clientId}`);
    return crypto.createSecretKey(Buffer.from(secret, 'utf8'));
  }
  const jwk = jwks.keys.find((k) => k.kid === header.kid)
    ?? jwks.keys.find((k) => k.alg === header.alg);
  if (!jwk) throw new Error(`no signing key for ${header.alg} ${header.kid}`);
  return crypto.createPrivateKey({ key: jwk, format: 'jwk' });
}

// A key that did not sign the token. For HS256, another secret; for RS256 and ES256 the token is
// signed with the right key and its signature then altered, because generating a key pair here
// can deadlock Node 20 (see tests/src/oidc.rs).
function otherKeyLike(header) {
  switch (header.alg) {
    case 'HS256': case 'HS384': case 'HS512':
      return crypto.createSecretKey(crypto.randomBytes(64));
    default:
      return null;
  }
}

function alterSignature(jwt) {
  const [head, body, signature] = jwt.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] ^= 0x5a;
  return [head, body, bytes.toString('base64url')].join('.');
}

async function tamperIdToken(idToken, mode, clientId) {
  const header = jose.decodeProtectedHeader(idToken);
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = signingKeyFor(header, clientId);
  switch (mode) {
    case 'expired':
      payload.exp = now - 600;
      payload.iat = now - 4200;
      break;
    case 'wrong_audience':
      payload.aud = 'someone-else';
      break;
    case 'wrong_issuer':
      payload.iss = 'http://127.0.0.1:1/evil';
      break;
    case 'bad_signature': {
      const other = otherKeyLike(header);
      if (!other) {
        return alterSignature(await new jose.SignJWT(payload).setProtectedHeader(header).sign(key));
      }
      key = other;
      break;
    }
    case 'replayed_nonce': {
      const seen = noncesByClient.get(clientId) ?? [];
      payload.nonce = seen.length >= 2 ? seen[seen.length - 2] : 'replayed-nonce';
      break;
    }
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

provider.use(async (ctx, next) => {
  await next();

  if (ctx.path === '/auth') {
    let params;
    try { params = ctx.oidc?.params; } catch { params = undefined; }
    params ??= ctx.query;
    const clientId = params?.client_id;
    const nonce = params?.nonce;
    if (typeof clientId === 'string' && typeof nonce === 'string' && nonce) {
      if (!noncesByClient.has(clientId)) noncesByClient.set(clientId, []);
      noncesByClient.get(clientId).push(nonce);
    }
  }

  if (ctx.path === '/token' && armedTamper && ctx.status === 200
      && ctx.body && typeof ctx.body.id_token === 'string') {
    const mode = armedTamper;
    armedTamper = null;
    let clientId;
    try { clientId = ctx.oidc?.client?.clientId; } catch { clientId = undefined; }
    clientId ??= [jose.decodeJwt(ctx.body.id_token).aud].flat()[0];
    ctx.body = { ...ctx.body, id_token: await tamperIdToken(ctx.body.id_token, mode, clientId) };
    log(`tampered id_token (${mode}) for ${clientId}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Plain node handlers for the interaction pages and the test endpoints

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function sendHtml(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>kosodate test OP</title></head><body>${body}</body></html>`);
}

function sendJson(res, status, obj) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(obj));
}

async function finishInteraction(req, res, details, accountId) {
  // Switching to another End-User than the session's: oidc-provider would answer the resume with
  // an auto-submitting logout form. Drop the old session here instead, so the browser sequence
  // stays a chain of redirects.
  const current = details.session;
  if (current?.accountId && current.accountId !== accountId) {
    if (current.uid) {
      const old = await provider.Session.findByUid(current.uid);
      if (old) await old.destroy();
    }
    delete details.session;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  }
  const result = { login: { accountId } };
  if (details.prompt.name === 'consent') {
    // Not expected (loadExistingGrant grants everything), but never leave a consent page.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session?.accountId ?? accountId, clientId: details.params.client_id });
    if (details.params.scope) grant.addOIDCScope(details.params.scope);
    result.consent = { grantId: await grant.save() };
    delete result.login;
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function handleInteraction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    sendHtml(res, 400, `<h1>interaction not found</h1><p>${escapeHtml(err.message)}</p>`);
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, '<h1>interaction mismatch</h1>');
    return;
  }

  if (req.method === 'GET') {
    const hint = details.params.login_hint;
    if (isKnownAccount(hint)) {
      await finishInteraction(req, res, details, hint);
      return;
    }
    if (details.prompt.name === 'consent' && details.session?.accountId) {
      await finishInteraction(req, res, details, details.session.accountId);
      return;
    }
    sendHtml(res, 200, `<h1>Sign in</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}">
<input name="login" autofocus value="${escapeHtml(hint ?? '')}">
<button type="submit">Sign in</button>
</form>`);
    return;
  }

  if (req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get('login');
    if (!isKnownAccount(login)) {
      sendHtml(res, 400, `<h1>unknown account</h1><p>${escapeHtml(login ?? '')}</p>`);
      return;
    }
    await finishInteraction(req, res, details, login);
    return;
  }

  res.statusCode = 405;
  res.setHeader('Allow', 'GET, POST');
  res.end();
}

async function handleTamper(req, res) {
  let mode;
  try {
    ({ mode } = JSON.parse(await readBody(req)));
  } catch {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON {"mode": ...}' });
    return;
  }
  if (!TAMPER_MODES.has(mode)) {
    sendJson(res, 400, { error: 'invalid_request', error_description: `unknown mode ${mode}` });
    return;
  }
  armedTamper = mode;
  log(`tamper armed: ${mode}`);
  res.statusCode = 204;
  res.end();
}

const providerCallback = provider.callback();

handler = async (req, res) => {
  try {
    const { pathname } = new URL(req.url, issuer);
    const interaction = /^\/interaction\/([^/]+)$/.exec(pathname);
    if (interaction) {
      await handleInteraction(req, res, decodeURIComponent(interaction[1]));
      return;
    }
    if (pathname === '/test/tamper' && req.method === 'POST') {
      await handleTamper(req, res);
      return;
    }
    if (pathname === '/test/health' && req.method === 'GET') {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('ok');
      return;
    }
    await providerCallback(req, res);
  } catch (err) {
    log('handler error', err);
    if (!res.headersSent) {
      sendJson(res, 500, { error: 'server_error', error_description: String(err?.message ?? err) });
    } else {
      res.destroy();
    }
  }
};

// ---------------------------------------------------------------------------------------------

process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
log(`listening on ${issuer}`);
