// A foreign verifier of mrgate's credentials, written only with the tooling others use
// (did-resolver, web-did-resolver, jose, jsonld, @digitalbazaar/vc-bitstring-status-list and
// the W3C contexts of @digitalbazaar/credentials-context; pinned by package-lock.json): it
// reads the credential's issuer DID and the JWS header's `kid`, resolves the DID over HTTPS,
// takes the verification method the `kid` names, and verifies the compact JWS with that JWK.
// It never reads `x5c`. A DID proves who signed, not who may: the verifier pins the
// gateway's DID it was given, and checks the credential's media type and validity period.
// It then expands the credential as JSON-LD in safe mode (an undefined term is an error)
// with the contexts pinned locally (never fetched), and reads each status entry: fetches
// the status list credential, verifies it with the same DID's key, expands it, and has
// the package's `checkStatus` read the credential's bit.
// Usage: node verify.mjs <credential.jwt> <the gateway's did:web>; prints one JSON line
// {"valid": bool, "reason": ..., "issuer": ..., "kid": ..., "status": {...}} and exits 0
// when valid, 1 not. Environment: UNTP_CONTEXT, the UNTP DCC 0.6.0 context file;
// STATUS_LIST_JWS, a file whose list credential is used instead of the one fetched (a
// substituted list, for the test that it is refused).
import { readFileSync } from "node:fs";
import { Resolver } from "did-resolver";
import { getResolver } from "web-did-resolver";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { expands } from "./contexts.mjs";
import { checkStatus } from "@digitalbazaar/vc-bitstring-status-list";

const say = (result) => {
  console.log(JSON.stringify(result));
  process.exit(result.valid ? 0 : 1);
};
// Whatever fails unforeseen is a verdict too, never a crash without one.
process.on("uncaughtException", (e) => say({ valid: false, reason: "error", detail: String(e?.message ?? e) }));
process.on("unhandledRejection", (e) => say({ valid: false, reason: "error", detail: String(e?.message ?? e) }));

const token = readFileSync(process.argv[2], "utf8").trim();
const pinned = process.argv[3];
let header, payload;
try {
  header = decodeProtectedHeader(token);
  payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
} catch (e) {
  say({ valid: false, reason: "unreadable", detail: String(e) });
}
const issuer = typeof payload.issuer === "string" ? payload.issuer : payload.issuer?.id;
const kid = header.kid;
if (!issuer?.startsWith("did:web:")) say({ valid: false, reason: "issuer-not-did-web", issuer });
if (issuer !== pinned) say({ valid: false, reason: "issuer-not-pinned", issuer });
if (header.typ !== "vc+jwt") say({ valid: false, reason: "typ", issuer });
const now = Date.now();
if (!(Date.parse(payload.validFrom) <= now && now <= Date.parse(payload.validUntil))) {
  say({ valid: false, reason: "validity", issuer });
}
if (!kid?.startsWith(`${issuer}#`)) say({ valid: false, reason: "kid-not-of-issuer", issuer, kid });

const resolver = new Resolver(getResolver());
const resolved = await resolver.resolve(issuer);
if (resolved.didResolutionMetadata?.error) {
  say({ valid: false, reason: "did-unresolved", issuer, detail: resolved.didResolutionMetadata });
}
const document = resolved.didDocument;
if (!document) say({ valid: false, reason: "did-unresolved", issuer });
// The key a `kid` names in the resolved DID document, to verify a JWS of `alg` with.
const keyOf = async (kid, alg) => {
  const m = (document.verificationMethod ?? []).find((v) => v.id === kid);
  const listed = (document.assertionMethod ?? []).some((v) => (typeof v === "string" ? v : v.id) === kid);
  return m && listed ? importJWK(m.publicKeyJwk, alg).catch(() => null) : null;
};
if (!(await keyOf(kid, header.alg))) say({ valid: false, reason: "kid-not-listed", issuer, kid });

try {
  await compactVerify(token, await keyOf(kid, header.alg), { algorithms: ["EdDSA", "ES256"] });
} catch (e) {
  say({ valid: false, reason: "signature", issuer, kid, detail: String(e.code ?? e) });
}
const undefinedTerm = await expands(payload);
if (undefinedTerm) say({ valid: false, reason: "jsonld", issuer, kid, detail: undefinedTerm });

// Each status the credential names, read by @digitalbazaar/vc-bitstring-status-list
// (`checkStatus`: the entries, the list's purpose and type, the issuers matching, the bit).
// The list credential is VC-JOSE, which that library does not verify itself: the loader
// below verifies it with the same DID's key (never `x5c`), holds its id and validity, and
// expands it, before the library reads it. Each failure is a tagged error: its verdict.
const fail = (tag, detail) => {
  throw new Error(`${tag}|${detail}`);
};
const listLoader = async (url) => {
  let listToken;
  try {
    listToken = process.env.STATUS_LIST_JWS
      ? readFileSync(process.env.STATUS_LIST_JWS, "utf8").trim()
      : await (await fetch(url)).text();
  } catch (e) {
    fail("status-list-unavailable", String(e.message ?? e));
  }
  let list;
  try {
    const listHeader = decodeProtectedHeader(listToken);
    if (listHeader.typ !== "vc+jwt") throw new Error("typ");
    const key = await keyOf(listHeader.kid, listHeader.alg);
    if (!key) throw new Error("kid-not-listed");
    const verified = await compactVerify(listToken, key, { algorithms: ["EdDSA", "ES256"] });
    list = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (e) {
    fail("status-list-signature", String(e.code ?? e.message ?? e));
  }
  const fresh = Date.parse(list.validFrom) <= now + 60_000 && now <= Date.parse(list.validUntil);
  if (!url.startsWith("https://") || list.id !== url || !fresh) fail("status-list", `${list.id} for ${url}`);
  const listTerm = await expands(list);
  if (listTerm) fail("jsonld", listTerm);
  return { contextUrl: null, documentUrl: url, document: list };
};
const checked = await checkStatus({
  credential: payload,
  documentLoader: listLoader,
  verifyBitstringStatusListCredential: false,
  verifyMatchingIssuers: true,
});
if (checked.error) {
  const [tag, detail] = String(checked.error.message).split("reason: ").pop().split("|");
  const known = ["status-list-unavailable", "status-list-signature", "status-list", "jsonld"];
  say({ valid: false, reason: known.includes(tag) ? tag : "status-list", issuer, kid, detail: detail ?? tag });
}
const status = {};
for (const r of checked.results) status[r.credentialStatus.statusPurpose] = r.status;
if (Object.keys(status).sort().join() !== "revocation,suspension") {
  say({ valid: false, reason: "status-entry", issuer, kid, status });
}
if (status.revocation) say({ valid: false, reason: "revoked", issuer, kid, status });
if (status.suspension) say({ valid: false, reason: "suspended", issuer, kid, status });
say({ valid: true, reason: "verified", issuer, kid, status });
