// A foreign verifier of mrgate's credentials, written only with the tooling others use
// (did-resolver, web-did-resolver, jose; pinned by package-lock.json): it reads the
// credential's issuer DID and the JWS header's `kid`, resolves the DID over HTTPS, takes
// the verification method the `kid` names, and verifies the compact JWS with that JWK.
// It never reads `x5c`. A DID proves who signed, not who may: the verifier pins the
// gateway's DID it was given, and checks the credential's media type and validity period.
// Usage: node verify.mjs <credential.jwt> <the gateway's did:web>; prints one JSON line
// {"valid": bool, "reason": ..., "issuer": ..., "kid": ...} and exits 0 when valid, 1 not.
import { readFileSync } from "node:fs";
import { Resolver } from "did-resolver";
import { getResolver } from "web-did-resolver";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";

const say = (result) => {
  console.log(JSON.stringify(result));
  process.exit(result.valid ? 0 : 1);
};

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
const method = (document.verificationMethod ?? []).find((m) => m.id === kid);
const asserts = (document.assertionMethod ?? []).some((m) => (typeof m === "string" ? m : m.id) === kid);
if (!method || !asserts) say({ valid: false, reason: "kid-not-listed", issuer, kid });

try {
  const key = await importJWK(method.publicKeyJwk, header.alg);
  await compactVerify(token, key, { algorithms: ["EdDSA", "ES256"] });
} catch (e) {
  say({ valid: false, reason: "signature", issuer, kid, detail: String(e.code ?? e) });
}
say({ valid: true, reason: "verified", issuer, kid });
