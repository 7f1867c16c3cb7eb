// Checks each RFC 6962 inclusion proof on the page again, in the browser (RFC 9162 s2.1.3.2),
// with WebCrypto's SHA-256: the server's "verified" is not taken on trust. A row carries the
// leaf hash, the proof and the root in base64; node hash = SHA-256(0x01 || left || right).
(function () {
  "use strict";
  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    var d = 0;
    for (var i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  async function node(left, right) {
    var buf = new Uint8Array(1 + left.length + right.length);
    buf[0] = 1; buf.set(left, 1); buf.set(right, 1 + left.length);
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  }
  async function verify(index, size, leaf, proof, root) {
    if (index < 0 || index >= size) return false;
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (sn === 0) return false;
      if ((fn & 1) || fn === sn) {
        r = await node(p, r);
        if (!(fn & 1)) { while (fn && !(fn & 1)) { fn >>= 1; sn >>= 1; } }
      } else {
        r = await node(r, p);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 && same(r, root);
  }
  async function run() {
    var rows = document.querySelectorAll("tr.proof");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], cell = row.querySelector(".browser-check");
      if (!window.crypto || !crypto.subtle) { cell.textContent = "no WebCrypto here"; continue; }
      var d = row.dataset;
      var proof = d.proof ? d.proof.split(",").map(bytes) : [];
      var ok = await verify(+d.seq, +d.size, bytes(d.leaf), proof, bytes(d.root));
      cell.textContent = ok ? "\u2713 OK" : "\u2717 FAILED";
      cell.className = "browser-check " + (ok ? "ok" : "bad");
      row.dataset.browser = ok ? "ok" : "failed";
    }
    document.body.dataset.proofsChecked = "yes";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
