#!/usr/bin/env node
// Times face-api.js 1.7.15 on the tfjs wasm backend over decoded images (PPM).
//
//   node bench/faceapi-wasm.js [--models DIR] [--passes N] [--detector ssd|tiny]
//                              [--min-score S] [--input-size N] FILE.ppm ...
//
// All images are read and turned into tensors first, so the timings cover only
// face-api.js work: detectAllFaces(...).withFaceLandmarks().withFaceDescriptors()
// ("full") and detectAllFaces(...) alone ("detect"). One untimed warm-up pass of
// both, then N timed passes of each. Prints one JSON object on stdout.
'use strict';

const path = require('path');
const ref = require('../tools/faceapi-ref/lib.js');

const USAGE = 'usage: faceapi-wasm.js [--models DIR] [--passes N] [--detector ssd|tiny]\n'
  + '                       [--min-score S] [--input-size N] FILE.ppm ...\n';

function die(msg) {
  process.stderr.write(`faceapi-wasm.js: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    models: path.join(__dirname, '..', '.models', 'face-api-1.7.15', 'model'),
    passes: 3, detector: 'ssd', minScore: 0.5, inputSize: 416, files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--models') o.models = val();
    else if (a === '--passes') o.passes = Number(val());
    else if (a === '--detector') o.detector = val();
    else if (a === '--min-score') o.minScore = Number(val());
    else if (a === '--input-size') o.inputSize = Number(val());
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); process.exit(0); }
    else if (a.startsWith('--')) die(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (!(Number.isInteger(o.passes) && o.passes > 0)) die('--passes must be a positive integer');
  if (o.detector !== 'ssd' && o.detector !== 'tiny') die('--detector must be ssd or tiny');
  if (o.files.length === 0) die('no images');
  return o;
}

// One pass over all tensors; returns { ms, faces }.
async function pass(tensors, options, full) {
  let faces = 0;
  const t0 = performance.now();
  for (const t of tensors) {
    const task = ref.faceapi.detectAllFaces(t, options);
    const res = full ? await task.withFaceLandmarks().withFaceDescriptors() : await task;
    faces += res.length;
  }
  return { ms: performance.now() - t0, faces };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const info = await ref.initBackend(0);
  await ref.loadModels(o.models, { tinyDetector: o.detector === 'tiny' });
  const options = o.detector === 'ssd' ? ref.ssdOptions(o.minScore) : ref.tinyOptions(o.minScore, o.inputSize);
  const tensors = o.files.map((f) => ref.ppmTensor(ref.readPpm(f)));

  await pass(tensors, options, true); // warm-up: kernels, weights upload, allocator
  await pass(tensors, options, false);

  let fullMs = 0;
  let detectMs = 0;
  let faces = 0;
  for (let p = 0; p < o.passes; p++) {
    const f = await pass(tensors, options, true);
    fullMs += f.ms;
    faces = f.faces;
    detectMs += (await pass(tensors, options, false)).ms;
  }
  ref.tf.dispose(tensors);

  const n = o.files.length * o.passes;
  const full = fullMs / n;
  const detect = detectMs / n;
  const r2 = (v) => Math.round(v * 100) / 100;
  const out = {
    ms_per_image_full: r2(full),
    ms_per_image_detect: r2(detect),
    // Derived: landmarks + alignment crop + descriptor, per face.
    ms_per_face_landmarks_descriptor: faces ? r2(((full - detect) * o.files.length) / faces) : null,
    images: o.files.length,
    faces,
    passes: o.passes,
    detector: o.detector,
    threads: info.threads,
    backend: info.backend,
    simd: info.simd,
    multithread: info.multithread,
    tfjs_version: info.tfjs_version,
    faceapi_version: info.faceapi_version,
    node_version: process.versions.node,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`faceapi-wasm.js: ${err.stack || err}\n`);
  process.exit(1);
});
