// JSON-LD expansion as a foreign verifier does it, with every context pinned locally: the
// W3C ones from @digitalbazaar/credentials-context, UNTP's released DCC 0.6.0 one from the
// file UNTP_CONTEXT names. A context not pinned is an error, never a network fetch.
import { readFileSync } from "node:fs";
import jsonld from "jsonld";
import * as w3c from "@digitalbazaar/credentials-context";

const contexts = new Map(w3c.contexts);
contexts.set(
  "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/",
  JSON.parse(readFileSync(process.env.UNTP_CONTEXT, "utf8")),
);

const documentLoader = async (url) => {
  const document = contexts.get(url);
  if (!document) throw new Error(`context not pinned: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

// Expands `credential` in safe mode (an undefined term or type is an error): null when it
// expands cleanly, else what was refused.
export const expands = async (credential) => {
  try {
    await jsonld.expand(credential, { documentLoader, safe: true });
    return null;
  } catch (e) {
    const event = e.details?.event;
    return event ? `${event.code}: ${JSON.stringify(event.details)}` : String(e.message ?? e);
  }
};
