/* libxmlsec1 verifying one document N times in one process: the yardstick for mrgate's
 * XML-signature verification with process start-up taken out on both sides (issue 27).
 * Each round parses the document, registers its ID attributes (Id, ID, id), finds the
 * signature and verifies it; the time of all rounds is divided by N.
 *
 * Usage: xmlsec1_loop FILE N [TRUSTED_PEM]
 *   without TRUSTED_PEM the key is the embedded certificate's, unverified (xmlsec1
 *   --insecure); with it the signer's chain is verified to that anchor (--trusted-pem).
 * Prints one line: "<nanoseconds per verification> <N>"; exits 1 when a verification fails.
 * Built by benches/ratios.sh with `pkg-config xmlsec1`; never part of the gateway. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>

static char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc(*len);
  if (buf && fread(buf, 1, *len, f) != (size_t)*len) { free(buf); buf = NULL; }
  fclose(f);
  return buf;
}

static int verify_once(xmlSecKeysMngrPtr mngr, const char *buf, long len, int insecure) {
  static const xmlChar *ids[] = { BAD_CAST "Id", BAD_CAST "ID", BAD_CAST "id", NULL };
  xmlDocPtr doc = xmlReadMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET);
  if (!doc) return 0;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  xmlSecAddIDs(doc, root, ids);
  xmlNodePtr node = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs);
  int ok = 0;
  xmlSecDSigCtxPtr ctx = node ? xmlSecDSigCtxCreate(mngr) : NULL;
  if (ctx) {
    if (insecure) ctx->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_DONT_VERIFY_CERTS;
    ok = xmlSecDSigCtxVerify(ctx, node) >= 0 && ctx->status == xmlSecDSigStatusSucceeded;
    xmlSecDSigCtxDestroy(ctx);
  }
  xmlFreeDoc(doc);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s FILE N [TRUSTED_PEM]\n", argv[0]); return 2; }
  long len = 0, n = atol(argv[2]);
  char *buf = slurp(argv[1], &len);
  if (!buf || n <= 0) { fprintf(stderr, "cannot read %s\n", argv[1]); return 2; }
  xmlInitParser();
  if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) return 2;
  xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
  if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0) return 2;
  int insecure = argc < 4;
  if (!insecure &&
      xmlSecCryptoAppKeysMngrCertLoad(mngr, argv[3], xmlSecKeyDataFormatPem, xmlSecKeyDataTypeTrusted) < 0)
    return 2;
  if (!verify_once(mngr, buf, len, insecure)) { fprintf(stderr, "%s does not verify\n", argv[1]); return 1; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++)
    if (!verify_once(mngr, buf, len, insecure)) { fprintf(stderr, "round %ld failed\n", i); return 1; }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n;
  printf("%.0f %ld\n", ns, n);
  xmlSecKeysMngrDestroy(mngr);
  xmlSecCryptoShutdown();
  xmlSecCryptoAppShutdown();
  xmlSecShutdown();
  free(buf);
  return 0;
}
