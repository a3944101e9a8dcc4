#!/usr/bin/env node
// Side-by-side table for bench/run.sh.
//   node bench/report.js FACEAPI.json LIKENESS.json
// Both files hold one JSON object (bench/faceapi-wasm.js and `likeness bench --json`).
'use strict';

const fs = require('fs');

const [refFile, ourFile] = process.argv.slice(2);
if (!refFile || !ourFile) {
  process.stderr.write('usage: report.js FACEAPI.json LIKENESS.json\n');
  process.exit(2);
}
const ref = JSON.parse(fs.readFileSync(refFile, 'utf8'));
const our = JSON.parse(fs.readFileSync(ourFile, 'utf8'));

// Same derivation for both sides: (full - detect) spread over the faces found.
function perFace(j) {
  if (!j.faces || j.ms_per_image_full == null || j.ms_per_image_detect == null) return null;
  return ((j.ms_per_image_full - j.ms_per_image_detect) * j.images) / j.faces;
}

// likeness reports this as ms_per_face_descriptor, (full - detect) / faces as well.
const ourPerFace = our.ms_per_face_descriptor != null ? our.ms_per_face_descriptor : perFace(our);
const rows = [
  ['detect (per image)', ref.ms_per_image_detect, our.ms_per_image_detect],
  ['full pipeline (per image)', ref.ms_per_image_full, our.ms_per_image_full],
  ['landmarks+descriptor (per face)', perFace(ref), ourPerFace],
];

const fmt = (v) => (v == null ? '-' : v.toFixed(2));
const ratio = (a, b) => (a == null || b == null || b <= 0 ? '-' : `${(a / b).toFixed(1)}x`);
const header = ['stage', 'face-api.js wasm ms', 'likeness ms', 'speed-up'];
const table = [header, ...rows.map(([name, a, b]) => [name, fmt(a), fmt(b), ratio(a, b)])];
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');

const out = [];
out.push(line(header));
out.push(widths.map((w) => '-'.repeat(w)).join('  '));
table.slice(1).forEach((r) => out.push(line(r)));
out.push('');
out.push(`images: ${ref.images} (face-api.js) / ${our.images} (likeness); `
  + `faces: ${ref.faces} (face-api.js) / ${our.faces} (likeness)`);
out.push(`face-api.js: ${ref.faceapi_version}, tfjs ${ref.tfjs_version}, backend ${ref.backend}, `
  + `simd=${ref.simd}, multithread=${ref.multithread}, threads ${ref.threads}, node ${ref.node_version}, `
  + `${ref.passes} passes, detector ${ref.detector}`);
const known = new Set(['ms_per_image_full', 'ms_per_image_detect', 'ms_per_face_descriptor', 'images', 'faces']);
const extra = Object.keys(our).filter((k) => !known.has(k)).map((k) => `${k}=${JSON.stringify(our[k])}`);
out.push(`likeness: ${extra.length ? extra.join(', ') : '(no build information reported)'}`);
process.stdout.write(`${out.join('\n')}\n`);
