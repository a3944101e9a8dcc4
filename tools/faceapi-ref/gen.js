#!/usr/bin/env node
// Reference outputs from face-api.js on the tfjs wasm backend, one JSON line per image.
//
//   node gen.js --models DIR --detector ssd|tiny [--min-score 0.5] [--input-size 416]
//               [--detect-only] [--tiny-landmarks] FILE.ppm[=LABEL] ... > out.jsonl
//
// Images are binary PPMs made by our own decoder (likeness rgb), so the reference
// sees exactly the pixels we do. See docs/reference.md.
'use strict';

const ref = require('./lib.js');

const USAGE = 'usage: gen.js --models DIR --detector ssd|tiny [--min-score S] [--input-size N]\n'
  + '              [--detect-only] [--tiny-landmarks] [--threads N] FILE.ppm[=LABEL] ...\n';

function die(msg) {
  process.stderr.write(`gen.js: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    models: null, detector: null, minScore: 0.5, inputSize: 416,
    detectOnly: false, tinyLandmarks: false, threads: 0, images: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--models') o.models = val();
    else if (a === '--detector') o.detector = val();
    else if (a === '--min-score') o.minScore = Number(val());
    else if (a === '--input-size') o.inputSize = Number(val());
    else if (a === '--threads') o.threads = Number(val());
    else if (a === '--detect-only') o.detectOnly = true;
    else if (a === '--tiny-landmarks') o.tinyLandmarks = true;
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); process.exit(0); }
    else if (a.startsWith('--')) die(`unknown option ${a}`);
    else {
      const eq = a.indexOf('=');
      o.images.push(eq > 0 ? { file: a.slice(0, eq), label: a.slice(eq + 1) } : { file: a, label: a });
    }
  }
  if (!o.models) die('--models is required');
  if (o.detector !== 'ssd' && o.detector !== 'tiny') die('--detector must be ssd or tiny');
  if (!(o.minScore >= 0 && o.minScore <= 1)) die('--min-score must be in [0, 1]');
  if (!(o.inputSize > 0 && o.inputSize % 32 === 0)) die('--input-size must be a multiple of 32');
  if (o.images.length === 0) die('no images');
  return o;
}

// 6 significant digits keeps the files small and is far below the model noise.
const r6 = (v) => Number(v.toPrecision(6));

function boxJson(box) {
  return { x_min: r6(box.x), y_min: r6(box.y), x_max: r6(box.x + box.width), y_max: r6(box.y + box.height) };
}

function faceJson(res, detectOnly) {
  const det = detectOnly ? res : res.detection;
  const face = { box: boxJson(det.box), score: r6(det.score) };
  if (detectOnly) return face;
  face.landmarks = res.landmarks.positions.map((p) => [r6(p.x), r6(p.y)]);
  // The rect face-api cuts the descriptor's input from (ComputeAllFaceDescriptorsTask).
  const a = res.landmarks.align(null, { useDlibAlignment: true });
  face.aligned_rect = { x: r6(a.x), y: r6(a.y), width: r6(a.width), height: r6(a.height) };
  face.descriptor = Array.from(res.descriptor, r6);
  return face;
}

function runPipeline(tensor, o) {
  const { faceapi } = ref;
  const options = o.detector === 'ssd' ? ref.ssdOptions(o.minScore) : ref.tinyOptions(o.minScore, o.inputSize);
  const task = faceapi.detectAllFaces(tensor, options);
  if (o.detectOnly) return task;
  return task.withFaceLandmarks(o.tinyLandmarks).withFaceDescriptors();
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const info = await ref.initBackend(o.threads);
  await ref.loadModels(o.models, { tinyDetector: o.detector === 'tiny', tinyLandmarks: o.tinyLandmarks });
  process.stderr.write(`gen.js: face-api ${info.faceapi_version} tfjs ${info.tfjs_version} `
    + `backend ${info.backend} simd=${info.simd} multithread=${info.multithread} threads=${info.threads}\n`);
  for (const { file, label } of o.images) {
    const img = ref.readPpm(file);
    const tensor = ref.ppmTensor(img);
    const t0 = performance.now();
    const results = await runPipeline(tensor, o);
    const ms = performance.now() - t0;
    ref.tf.dispose(tensor);
    const line = {
      image: label,
      width: img.width,
      height: img.height,
      detector: o.detector,
      min_score: o.minScore,
    };
    if (o.detector === 'tiny') line.input_size = o.inputSize;
    if (o.tinyLandmarks) line.landmarks_net = 'tiny';
    line.faces = results.map((r) => faceJson(r, o.detectOnly));
    process.stdout.write(`${JSON.stringify(line)}\n`);
    process.stderr.write(`gen.js: ${label}: ${results.length} faces, ${ms.toFixed(0)} ms\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`gen.js: ${err.stack || err}\n`);
  process.exit(1);
});
