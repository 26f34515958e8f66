// The verification page. It calls only the gateway's public API and checks every log
// receipt itself, in this browser, with WebCrypto: SHA-256 for the Merkle proofs, Ed25519
// for the checkpoint signatures. It never trusts the gateway's word that a receipt is good.
"use strict";

const TEXT = {
  en: {
    title: "Certificate verification",
    subtitle: "Check a quality certificate against the signed trust list and the public log.",
    skip: "Skip to the result",
    langHint: "Switch language",
    langButton: "中文",
    lookupTitle: "Look up by number",
    issuer: "Issuing body (approval number or id)",
    number: "Certificate number",
    lookupButton: "Look up",
    verifyTitle: "Verify a document",
    document: "Paste a CN XML certificate, a signed IAF XML document or a UNTP credential (JWS)",
    file: "…or choose or drop a file",
    verifyButton: "Verify",
    linkLabel: "Link to this look-up:",
    checksTitle: "Checks",
    factsTitle: "The certificate",
    historyTitle: "Status history",
    hStatus: "Status",
    hSince: "Since",
    hBy: "Recorded by",
    receiptTitle: "Log receipt",
    footer: "Receipts are checked in this browser with SHA-256 and Ed25519 (WebCrypto) against the log's published checkpoint.",
    trustList: "Current trust list",
    checkpoint: "Published checkpoint",
    working: "Checking…",
    needBoth: "Enter both the issuing body and the certificate number.",
    needDocument: "Paste a document or choose a file first.",
    notFound: "No certificate {number} from {issuer} is known to this gateway.",
    failed: "The gateway could not answer: {detail}",
    status: {
      valid: "Valid", invalid: "Not valid", suspended: "Suspended", withdrawn: "Withdrawn",
      cancelled: "Cancelled", expired: "Expired", unknown: "Unknown",
    },
    headlineNote: {
      valid: "Every check passed.",
      invalid: "At least one check failed; see below.",
      suspended: "The certificate is suspended and must not be relied on.",
      withdrawn: "The certificate was withdrawn.",
      cancelled: "The certificate was cancelled.",
      expired: "The certificate's validity period has ended.",
      unknown: "The status could not be determined.",
    },
    // Plain words for the gateway's reason codes; unknown codes fall back to their prefix.
    reason: {
      "format.valid": "The document is well-formed and follows its schema.",
      "format.unknown": "The document is not a format this gateway reads.",
      "format": "The document is malformed or breaks its schema.",
      "sig.valid": "The signature over the document is intact.",
      "sig.absent": "The document is not signed.",
      "sig.invalid": "The signature does not match the document: it was altered or signed with another key.",
      "sig": "The signature could not be checked.",
      "alg.unsupported": "The signature uses an algorithm this gateway does not accept.",
      "x509.untrusted": "The signer's certificate does not chain to an accreditation body in the trust list.",
      "x509.expired": "The signer's certificate has expired.",
      "x509.not_yet_valid": "The signer's certificate is not yet valid.",
      "x509.revoked": "The signer's certificate has been revoked.",
      "x509.crl_stale": "The revocation list is out of date.",
      "x509": "The signer's certificate is not acceptable.",
      "trust.mra_active": "The accreditation body is an active IAF MLA / ILAC MRA signatory for this scope.",
      "trust.mra_none": "The accreditation body has no mutual-recognition status for this scope.",
      "trust.mra_not_yet": "The mutual-recognition status is not yet in force.",
      "trust.mra_suspended": "The accreditation body's mutual-recognition status is suspended.",
      "trust.mra_withdrawn": "The accreditation body's mutual-recognition status was withdrawn.",
      "trust.cb_unknown": "The certification body is not in the trust list.",
      "trust.body_unknown": "The accreditation body is not in the trust list.",
      "trust.signer_not_listed": "The signer is not a key listed for this certification body.",
      "trust": "The trust list does not support this certificate.",
      "standards.equivalent": "The standards are recognized equivalents.",
      "standards": "A standard could not be matched to a recognized equivalent.",
      "validity.in_force": "The certificate is in force today.",
      "validity.expired": "The certificate's validity period has ended.",
      "validity.not_yet_valid": "The certificate is not yet in force.",
      "validity": "The certificate is not in force.",
      "status.valid": "The register records the certificate as valid and in force.",
      "status": "The register records the certificate as not in force.",
      "recognition.not_reached": "Not checked, because an earlier check failed.",
    },
    noFacts: "The document's contents are not shown, because it could not be trusted.",
    lookupLink: "Look this certificate up in the register:",
    recordedNote: "Recorded by the gateway ({origin}).",
    origin: { export: "exported domestic certificate", recognition: "recognized foreign certificate" },
    check: {
      format: "Document format", signature: "Signature", chain: "Signer's certificate chain",
      accreditation: "Accreditation and recognition", standards: "Standards", validity: "Status and dates",
    },
    outcome: { pass: "passed", fail: "failed", skipped: "not checked" },
    fact: {
      number: "Certificate number", holder: "Holder", holder_credit_code: "Unified social credit code",
      program: "Programme", scope: "Scope", standards: "Standards", products: "Products",
      issue_date: "Issued", expiry_date: "Expires", certification_body: "Certification body",
      accreditation: "Accreditation", assessment_level: "Recognition level",
    },
    level: { GlobalMRA: "Covered by IAF MLA / ILAC MRA", Accredited: "Accredited (no mutual-recognition claim)" },
    receipt: {
      none: "No receipt is available for this certificate.",
      checking: "Checking the receipt in this browser…",
      ok: "This decision is recorded in the public log, checked in this browser: entry {index} is in the log, and the log's published checkpoint (size {published}) extends the one this receipt was issued against (size {size}).",
      bad: "The receipt does not verify: {why}",
      unsupported: "This browser cannot verify Ed25519 signatures, so the receipt was not checked.",
      index: "Entry", tree: "Tree size at issue", published: "Published checkpoint size", key: "Log key",
      kind: "Decision", time: "Recorded at", leaf: "Leaf hash",
    },
    why: {
      leaf: "the entry does not hash to the receipt's leaf hash",
      inclusion: "the inclusion proof does not lead to the checkpoint's root",
      signature: "the checkpoint is not signed by the log key",
      size: "the receipt's tree size differs from its checkpoint's",
      consistency: "the published checkpoint does not extend the receipt's checkpoint",
      shrunk: "the published checkpoint is smaller than the receipt's",
      malformed: "the receipt or checkpoint is malformed",
    },
  },
  zh: {
    title: "证书验证",
    subtitle: "依据已签名的信任列表和公开日志核验质量认证证书。",
    skip: "跳至结果",
    langHint: "切换语言",
    langButton: "English",
    lookupTitle: "按编号查询",
    issuer: "发证机构（批准号或标识）",
    number: "证书编号",
    lookupButton: "查询",
    verifyTitle: "核验文件",
    document: "粘贴中国证书 XML、已签名的 IAF XML 文件或 UNTP 凭证（JWS）",
    file: "……或选择、拖放文件",
    verifyButton: "核验",
    linkLabel: "本次查询的链接：",
    checksTitle: "核验项目",
    factsTitle: "证书信息",
    historyTitle: "状态历史",
    hStatus: "状态",
    hSince: "起始时间",
    hBy: "记录方",
    receiptTitle: "日志回执",
    footer: "回执在本浏览器中使用 SHA-256 和 Ed25519（WebCrypto）依据日志公布的检查点进行验证。",
    trustList: "当前信任列表",
    checkpoint: "公布的检查点",
    working: "正在核验……",
    needBoth: "请同时输入发证机构和证书编号。",
    needDocument: "请先粘贴文件内容或选择文件。",
    notFound: "本网关没有 {issuer} 颁发的证书 {number}。",
    failed: "网关无法应答：{detail}",
    status: {
      valid: "有效", invalid: "无效", suspended: "暂停", withdrawn: "撤销",
      cancelled: "注销", expired: "过期", unknown: "未知",
    },
    headlineNote: {
      valid: "全部核验项目均已通过。",
      invalid: "至少一项核验未通过，详见下方。",
      suspended: "证书已暂停，不得采信。",
      withdrawn: "证书已被撤销。",
      cancelled: "证书已被注销。",
      expired: "证书已超过有效期。",
      unknown: "无法确定证书状态。",
    },
    reason: {
      "format.valid": "文件格式正确，符合其模式。",
      "format.unknown": "本网关无法识别该文件格式。",
      "format": "文件格式有误或不符合其模式。",
      "sig.valid": "文件签名完好。",
      "sig.absent": "文件未签名。",
      "sig.invalid": "签名与文件不符：文件已被篡改或由其他密钥签名。",
      "sig": "无法验证签名。",
      "alg.unsupported": "签名所用算法不被本网关接受。",
      "x509.untrusted": "签名者证书无法追溯到信任列表中的认可机构。",
      "x509.expired": "签名者证书已过期。",
      "x509.not_yet_valid": "签名者证书尚未生效。",
      "x509.revoked": "签名者证书已被吊销。",
      "x509.crl_stale": "证书吊销列表已过期。",
      "x509": "签名者证书不可接受。",
      "trust.mra_active": "该认可机构是此范围内有效的 IAF MLA / ILAC MRA 签约方。",
      "trust.mra_none": "该认可机构在此范围内没有互认资格。",
      "trust.mra_not_yet": "互认资格尚未生效。",
      "trust.mra_suspended": "该认可机构的互认资格已暂停。",
      "trust.mra_withdrawn": "该认可机构的互认资格已撤销。",
      "trust.cb_unknown": "该认证机构不在信任列表中。",
      "trust.body_unknown": "该认可机构不在信任列表中。",
      "trust.signer_not_listed": "签名者不是该认证机构登记的密钥。",
      "trust": "信任列表不支持该证书。",
      "standards.equivalent": "所列标准为公认的等同标准。",
      "standards": "有标准无法对应到公认的等同标准。",
      "validity.in_force": "证书当前有效。",
      "validity.expired": "证书已超过有效期。",
      "validity.not_yet_valid": "证书尚未生效。",
      "validity": "证书当前无效。",
      "status.valid": "登记簿记录该证书有效。",
      "status": "登记簿记录该证书不在有效状态。",
      "recognition.not_reached": "前一项核验未通过，未进行本项核验。",
    },
    noFacts: "该文件不可信，因此不显示其内容。",
    lookupLink: "在登记簿中查询该证书：",
    recordedNote: "由网关记录（{origin}）。",
    origin: { export: "出口的国内证书", recognition: "已承认的境外证书" },
    check: {
      format: "文件格式", signature: "签名", chain: "签名者证书链",
      accreditation: "认可与互认", standards: "标准", validity: "状态与日期",
    },
    outcome: { pass: "通过", fail: "未通过", skipped: "未核验" },
    fact: {
      number: "证书编号", holder: "获证组织", holder_credit_code: "统一社会信用代码",
      program: "认证项目", scope: "认证范围", standards: "认证依据标准", products: "产品",
      issue_date: "颁证日期", expiry_date: "有效期至", certification_body: "认证机构",
      accreditation: "认可", assessment_level: "互认级别",
    },
    level: { GlobalMRA: "属于 IAF MLA / ILAC MRA 互认范围", Accredited: "已认可（未声明互认）" },
    receipt: {
      none: "该证书没有可用的回执。",
      checking: "正在本浏览器中验证回执……",
      ok: "本次决定已记入公开日志，并已在本浏览器中验证：第 {index} 条记录在日志中，且日志公布的检查点（大小 {published}）延续了回执所依据的检查点（大小 {size}）。",
      bad: "回执验证失败：{why}",
      unsupported: "本浏览器不支持 Ed25519 签名验证，未验证回执。",
      index: "记录序号", tree: "签发时树大小", published: "公布的检查点大小", key: "日志密钥",
      kind: "决定", time: "记录时间", leaf: "叶哈希",
    },
    why: {
      leaf: "记录内容与回执中的叶哈希不符",
      inclusion: "包含证明无法推导出检查点的根哈希",
      signature: "检查点不是由日志密钥签名的",
      size: "回执的树大小与其检查点不符",
      consistency: "公布的检查点没有延续回执的检查点",
      shrunk: "公布的检查点比回执的检查点小",
      malformed: "回执或检查点格式有误",
    },
  },
};

const STORE_KEY = "mrgate.lang";
let lang = chooseLanguage();
let last = null; // the last result, re-rendered when the language changes

function chooseLanguage() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved === "zh" || saved === "en") return saved;
  } catch (_) { /* storage may be disabled; fall back to the browser's language */ }
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function t(path, vars) {
  let v = path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), TEXT[lang]);
  if (v === undefined) v = path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), TEXT.en);
  if (typeof v !== "string") return path;
  return v.replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] !== undefined ? String(vars[k]) : ""));
}

const $ = (id) => document.getElementById(id);

// Reason codes look like "x509.expired"; the map is keyed by exact code, then by prefix.
function reasonText(code) {
  const map = TEXT[lang].reason;
  return map[code] || map[code.split(".")[0]] || code;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title") + " — mrgate";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang").textContent = t("langButton");
  $("lang").setAttribute("aria-label", t("langHint"));
  if (last) render(last);
}

function formatDate(text) {
  if (!text) return "";
  const onlyDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const d = new Date(onlyDate ? text + "T00:00:00Z" : text);
  if (isNaN(d)) return text;
  const options = onlyDate
    ? { dateStyle: "long", timeZone: "UTC" }
    : { dateStyle: "long", timeStyle: "short" };
  return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", options).format(d);
}

// ---- rendering ----

function render(result) {
  $("error").hidden = true;
  const section = $("result");
  section.hidden = false;
  const headline = result.headline;
  const box = $("headline");
  box.className = "headline " + headline;
  box.dataset.verdict = headline;
  // A refusal leads with its first reason, so the headline alone says why.
  const failed = (result.checks || []).find((c) => c.outcome === "fail");
  const note = headline === "invalid" && failed ? reasonText(failed.reason) : t("headlineNote." + headline);
  box.replaceChildren(t("status." + headline), el("small", {}, note));

  const link = $("link");
  if (result.permalink) {
    $("permalink").firstElementChild.textContent = t(result.kind === "lookup" ? "linkLabel" : "lookupLink");
    link.href = result.permalink;
    link.textContent = new URL(result.permalink, location.href).href;
    $("permalink").hidden = false;
  } else {
    $("permalink").hidden = true;
  }

  const checks = $("checks");
  checks.replaceChildren();
  for (const c of result.checks) {
    const mark = c.outcome === "pass" ? "✓" : c.outcome === "fail" ? "✗" : "–";
    checks.append(el("li", { class: c.outcome, "data-check": c.check },
      el("span", { class: "mark", "aria-hidden": "true" }, mark),
      el("strong", {}, t("check." + c.check) !== "check." + c.check ? t("check." + c.check) : c.check),
      ": " + t("outcome." + c.outcome) + " — " + reasonText(c.reason),
      el("span", { class: "detail" }, (c.messageKey ? t(c.messageKey, { origin: t("origin." + c.origin) }) : c.message) + " [" + c.reason + "]")));
  }

  const facts = $("facts");
  facts.replaceChildren();
  const f = result.facts;
  if (!f) facts.append(el("dd", { class: "detail" }, t("noFacts")));
  if (f) {
    const add = (key, value) => {
      if (value == null || value === "" || (Array.isArray(value) && value.length === 0)) return;
      facts.append(el("dt", {}, t("fact." + key)), el("dd", { "data-fact": key }, Array.isArray(value) ? value.join("; ") : value));
    };
    add("number", f.number);
    add("holder", lang === "en" && f.holder_en ? f.holder_en : f.holder);
    add("holder_credit_code", f.holder_credit_code);
    add("program", f.program + " (" + f.program_code + ")");
    add("scope", lang === "en" && f.scope_en ? f.scope_en : f.scope);
    add("standards", f.standards);
    add("products", f.products);
    add("issue_date", formatDate(f.issue_date));
    add("expiry_date", formatDate(f.expiry_date));
    add("certification_body", (lang === "en" && f.certification_body_en ? f.certification_body_en : f.certification_body) + " (" + f.certification_body_id + ")");
    add("accreditation", f.accreditation ? f.accreditation.body + " " + f.accreditation.number : null);
    add("assessment_level", t("level." + f.assessment_level));
  }

  const history = $("history");
  history.replaceChildren();
  $("history-card").hidden = !result.history || result.history.length === 0;
  for (const h of result.history || []) {
    history.append(el("tr", {}, el("td", {}, t("status." + h.status)), el("td", {}, formatDate(h.since)), el("td", {}, h.actor)));
  }

  renderReceipt(result);
}

function renderReceipt(result) {
  const status = $("receipt-status");
  const details = $("receipt");
  details.replaceChildren();
  const r = result.receiptCheck;
  status.className = "receipt";
  if (!result.receipt) {
    status.textContent = t("receipt.none");
    status.dataset.state = "none";
    return;
  }
  const rc = result.receipt;
  const add = (key, value) => details.append(el("dt", {}, t("receipt." + key)), el("dd", {}, String(value)));
  add("index", rc.index);
  add("tree", rc.tree_size);
  if (!r) {
    status.textContent = t("receipt.checking");
    status.dataset.state = "checking";
    return;
  }
  status.dataset.state = r.state;
  if (r.state === "ok") {
    status.classList.add("ok");
    status.textContent = t("receipt.ok", { index: rc.index, size: rc.tree_size, published: r.published });
    add("published", r.published);
    add("key", r.keyName);
    add("kind", r.kind);
    add("time", formatDate(r.time));
    add("leaf", rc.leaf_hash);
  } else if (r.state === "unsupported") {
    status.textContent = t("receipt.unsupported");
  } else {
    status.classList.add("bad");
    status.textContent = t("receipt.bad", { why: t("why." + r.why) });
  }
}

function showError(message) {
  $("result").hidden = true;
  const e = $("error");
  e.textContent = message;
  e.hidden = false;
}

// ---- log receipts, checked here ----

const enc = new TextEncoder();
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

class ReceiptError extends Error {
  constructor(why) { super(why); this.why = why; }
}

// RFC 9162 §2.1.3.2: walk the audit path from the leaf up to the root.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) throw new ReceiptError("inclusion");
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new ReceiptError("inclusion");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(r, root)) throw new ReceiptError("inclusion");
}

// RFC 9162 §2.1.4.2: the old root and the new root both follow from one proof.
async function verifyConsistency(from, to, fromRoot, toRoot, proof) {
  if (from === 0 || from > to) throw new ReceiptError("consistency");
  if (from === to) {
    if (proof.length !== 0 || !equal(fromRoot, toRoot)) throw new ReceiptError("consistency");
    return;
  }
  const path = (from & (from - 1)) === 0 ? [fromRoot, ...proof] : proof.slice();
  if (path.length === 0) throw new ReceiptError("consistency");
  let fn = from - 1, sn = to - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ReceiptError("consistency");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(fr, fromRoot) || !equal(sr, toRoot)) throw new ReceiptError("consistency");
}

// The log key is PEM SPKI; an Ed25519 SPKI ends with the 32 raw key bytes.
async function logKey() {
  const pem = await (await fetch("/v1/log/key")).text();
  const der = b64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  const key = await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
  return { key, raw: der.slice(der.length - 32) };
}

// A C2SP signed note: "origin\nsize\nroot\n\n— name base64(keyid ‖ signature)\n".
async function verifyNote(note, logKey) {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new ReceiptError("malformed");
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = body.split("\n");
  const root = b64(rootText);
  if (!/^\d+$/.test(sizeText) || root.length !== 32) throw new ReceiptError("malformed");
  for (const line of note.slice(split + 2).split("\n")) {
    if (!line.startsWith("\u2014 ")) continue;
    // c2sp.org/signed-note: a key name has no spaces and no "+", so the first space ends it.
    const rest = line.slice(2);
    const space = rest.indexOf(" ");
    const name = rest.slice(0, space);
    if (space <= 0 || name.includes("+") || /\s/u.test(name)) throw new ReceiptError("malformed");
    const blob = b64(rest.slice(space + 1));
    if (blob.length !== 68) continue;
    const id = (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, 0x01), logKey.raw))).slice(0, 4);
    if (!equal(id, blob.slice(0, 4))) continue;
    if (await crypto.subtle.verify({ name: "Ed25519" }, logKey.key, blob.slice(4), enc.encode(body))) {
      return { origin, size: Number(sizeText), root, name };
    }
  }
  throw new ReceiptError("signature");
}

async function checkReceipt(receipt) {
  let key;
  try {
    key = await logKey();
  } catch (_) {
    return { state: "unsupported" };
  }
  try {
    const entry = b64(receipt.entry);
    const leaf = await leafHash(entry);
    if (!equal(leaf, b64(receipt.leaf_hash))) throw new ReceiptError("leaf");
    const issued = await verifyNote(receipt.checkpoint, key);
    if (issued.size !== receipt.tree_size) throw new ReceiptError("size");
    await verifyInclusion(receipt.index, receipt.tree_size, leaf, receipt.hashes.map(b64), issued.root);
    // The receipt's checkpoint must be a prefix of what the log publishes now.
    const published = await verifyNote(await (await fetch("/v1/log/checkpoint")).text(), key);
    if (published.origin !== issued.origin) throw new ReceiptError("consistency");
    if (published.size < issued.size) throw new ReceiptError("shrunk");
    let hashes = [];
    if (published.size > issued.size) {
      const p = await (await fetch(`/v1/log/proof/consistency?from=${issued.size}&to=${published.size}`)).json();
      hashes = (p.hashes || []).map(b64);
    }
    await verifyConsistency(issued.size, published.size, issued.root, published.root, hashes);
    const text = new TextDecoder().decode(entry);
    const field = (k) => (text.split("\n").find((l) => l.startsWith(k + " ")) || "").slice(k.length + 1);
    return { state: "ok", published: published.size, keyName: issued.name, kind: field("kind"), time: field("time") };
  } catch (e) {
    return { state: "bad", why: e instanceof ReceiptError ? e.why : "malformed" };
  }
}

// ---- actions ----

async function show(result) {
  last = result;
  render(result);
  $("result").focus();
  if (result.receipt) {
    result.receiptCheck = await checkReceipt(result.receipt);
    if (last === result) renderReceipt(result);
  }
}

async function problemText(response) {
  try {
    const p = await response.json();
    return p.detail || p.title || String(response.status);
  } catch (_) {
    return String(response.status);
  }
}

async function lookup(issuer, number) {
  if (!issuer || !number) return showError(t("needBoth"));
  const path = `/v1/certificates/${encodeURIComponent(issuer)}/${encodeURIComponent(number)}`;
  const permalink = `#lookup=${encodeURIComponent(issuer)}/${encodeURIComponent(number)}`;
  history.replaceState(null, "", permalink);
  const response = await fetch(path);
  if (response.status === 404) return showError(t("notFound", { issuer, number }));
  if (!response.ok) return showError(t("failed", { detail: await problemText(response) }));
  const c = await response.json();
  const validity = {
    check: "validity",
    outcome: c.headline === "valid" ? "pass" : "fail",
    reason: "status." + c.headline,
    messageKey: "recordedNote",
    origin: c.origin,
  };
  await show({
    kind: "lookup",
    headline: c.headline,
    checks: [validity],
    facts: c.facts,
    history: c.history,
    receipt: c.receipt && c.receipt.entry ? c.receipt : null,
    permalink,
  });
}

async function verify(documentBytes) {
  if (!documentBytes || documentBytes.length === 0) return showError(t("needDocument"));
  const response = await fetch("/v1/verify/public", { method: "POST", body: documentBytes });
  if (!response.ok) return showError(t("failed", { detail: await problemText(response) }));
  const v = await response.json();
  const headline = v.valid ? "valid" : v.status && v.status !== "valid" && v.status !== "unknown" ? v.status : "invalid";
  const permalink = v.valid && v.issuer && v.number ? `#lookup=${encodeURIComponent(v.issuer)}/${encodeURIComponent(v.number)}` : null;
  await show({
    kind: "verify",
    headline,
    checks: v.checks || [],
    facts: v.facts || null,
    history: [],
    receipt: v.receipt || null,
    permalink,
  });
}

function openFromLocation() {
  const m = /^#lookup=([^/]+)\/(.+)$/.exec(location.hash);
  if (!m) return;
  const issuer = decodeURIComponent(m[1]);
  const number = decodeURIComponent(m[2]);
  $("issuer").value = issuer;
  $("number").value = number;
  lookup(issuer, number);
}

document.addEventListener("DOMContentLoaded", () => {
  applyLanguage();
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem(STORE_KEY, lang); } catch (_) { /* not remembered, still switched */ }
    applyLanguage();
  });
  $("lookup").addEventListener("submit", (e) => {
    e.preventDefault();
    lookup($("issuer").value.trim(), $("number").value.trim());
  });
  $("verify").addEventListener("submit", (e) => {
    e.preventDefault();
    verify(enc.encode($("document").value.trim()));
  });
  const readFile = async (file) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    // Show what was read when it is text; verify the exact bytes either way.
    $("document").value = new TextDecoder().decode(bytes);
    verify(bytes);
  };
  $("file").addEventListener("change", (e) => readFile(e.target.files[0]));
  const drop = $("drop");
  for (const target of [drop, $("document")]) {
    target.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    target.addEventListener("dragleave", () => drop.classList.remove("over"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      readFile(e.dataTransfer.files[0]);
    });
  }
  window.addEventListener("hashchange", openFromLocation);
  openFromLocation();
});
