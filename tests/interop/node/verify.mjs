// A foreign verifier of mrgate's credentials, written only with the tooling others use
// (did-resolver, web-did-resolver, jose, jsonld, @digitalbazaar/vc-bitstring-status-list and
// the W3C contexts of @digitalbazaar/credentials-context; pinned by package-lock.json): it
// reads the credential's issuer DID and the JWS header's `kid`, resolves the DID over HTTPS,
// takes the verification method the `kid` names, and verifies the compact JWS with that JWK.
// It never reads `x5c`. A DID proves who signed, not who may: the verifier pins the
// gateway's DID it was given, and checks the credential's media type and validity period.
// It then expands the credential as JSON-LD in safe mode (an undefined term is an error)
// with the contexts pinned locally (never fetched), and reads each status entry: fetches
// the status list credential, verifies it with the same DID's key, expands it, and reads
// the credential's bit.
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
import { decodeList, getCredentialStatus } from "@digitalbazaar/vc-bitstring-status-list";

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

// Each status the credential names: its list credential, signed by the same DID, read.
const status = {};
for (const purpose of ["revocation", "suspension"]) {
  let entry;
  try {
    entry = getCredentialStatus({ credential: payload, statusPurpose: purpose });
  } catch (e) {
    say({ valid: false, reason: "status-entry", issuer, kid, detail: String(e.message ?? e) });
  }
  const listToken = process.env.STATUS_LIST_JWS
    ? readFileSync(process.env.STATUS_LIST_JWS, "utf8").trim()
    : await (await fetch(entry.statusListCredential)).text();
  let list;
  try {
    const listHeader = decodeProtectedHeader(listToken);
    if (listHeader.typ !== "vc+jwt") throw new Error("typ");
    const key = await keyOf(listHeader.kid, listHeader.alg);
    if (!key) throw new Error("kid-not-listed");
    const verified = await compactVerify(listToken, key, { algorithms: ["EdDSA", "ES256"] });
    list = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (e) {
    say({ valid: false, reason: "status-list-signature", issuer, kid, detail: String(e.code ?? e.message ?? e) });
  }
  const listIssuer = typeof list.issuer === "string" ? list.issuer : list.issuer?.id;
  const fresh = Date.parse(list.validFrom) <= now + 60_000 && now <= Date.parse(list.validUntil);
  if (
    listIssuer !== pinned ||
    list.id !== entry.statusListCredential ||
    !list.type?.includes("BitstringStatusListCredential") ||
    list.credentialSubject?.statusPurpose !== purpose ||
    !fresh
  ) {
    say({ valid: false, reason: "status-list", issuer, kid, detail: list.id });
  }
  const listTerm = await expands(list);
  if (listTerm) say({ valid: false, reason: "jsonld", issuer, kid, detail: listTerm });
  const bits = await decodeList({ encodedList: list.credentialSubject.encodedList });
  status[purpose] = bits.getStatus(parseInt(entry.statusListIndex, 10));
}
if (status.revocation) say({ valid: false, reason: "revoked", issuer, kid, status });
if (status.suspension) say({ valid: false, reason: "suspended", issuer, kid, status });
say({ valid: true, reason: "verified", issuer, kid, status });
