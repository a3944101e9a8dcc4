// Shared set-up for the face-api.js reference tools (gen.js, bench/faceapi-wasm.js):
// start tfjs on the wasm backend with the .wasm files from node_modules (never a CDN),
// load the models from a directory, and read binary PPM images into tensors.
'use strict';

const fs = require('fs');
const path = require('path');

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

// Directory holding tfjs-backend-wasm*.wasm inside our own node_modules.
function wasmDir() {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

// Starts the wasm backend. threads > 0 asks for that many threads, but tfjs 4.22
// reports WASM_HAS_MULTITHREAD_SUPPORT=false under node (tfjs issue 3830), so in
// node it always runs the single-threaded SIMD build.
async function initBackend(threads) {
  // usePlatformFetch=false: emscripten reads the file with fs, no fetch/URL.
  wasm.setWasmPaths(wasmDir(), false);
  if (threads > 0) wasm.setThreadsCount(threads);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error('wasm backend did not start');
  return backendInfo();
}

function backendInfo() {
  return {
    backend: tf.getBackend(),
    tfjs_version: tf.version_core,
    faceapi_version: faceapi.version,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? wasm.getThreadsCount() : 1,
  };
}

// Loads the nets we use; the tiny ones only when asked, so a model folder
// without them still works for the default pipeline.
async function loadModels(dir, { tinyDetector = false, tinyLandmarks = false } = {}) {
  const { nets } = faceapi;
  await nets.ssdMobilenetv1.loadFromDisk(dir);
  await nets.faceLandmark68Net.loadFromDisk(dir);
  await nets.faceRecognitionNet.loadFromDisk(dir);
  if (tinyDetector) await nets.tinyFaceDetector.loadFromDisk(dir);
  if (tinyLandmarks) await nets.faceLandmark68TinyNet.loadFromDisk(dir);
}

// Reads a binary PPM (P6, maxval 255). Returns { width, height, data: Uint8Array rgb }.
function readPpm(file) {
  const buf = fs.readFileSync(file);
  let pos = 0;
  const token = () => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] !== 0x23) break; // '#': comment to end of line
      while (pos < buf.length && buf[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    return buf.toString('latin1', start, pos);
  };
  if (token() !== 'P6') throw new Error(`${file}: not a binary PPM (P6)`);
  const width = parseInt(token(), 10);
  const height = parseInt(token(), 10);
  const maxval = parseInt(token(), 10);
  if (!(width > 0 && height > 0)) throw new Error(`${file}: bad PPM size`);
  if (maxval !== 255) throw new Error(`${file}: PPM maxval ${maxval}, only 255 supported`);
  pos++; // the single whitespace byte after maxval
  const n = width * height * 3;
  if (buf.length - pos < n) throw new Error(`${file}: PPM truncated`);
  return { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + pos, n) };
}

// int32 [h, w, 3] tensor, as face-api's own node demos build it from decoded pixels.
function ppmTensor(img) {
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

function ssdOptions(minScore) {
  return new faceapi.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: 100 });
}

function tinyOptions(minScore, inputSize) {
  return new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: minScore });
}

module.exports = {
  tf, wasm, faceapi, initBackend, backendInfo, loadModels, readPpm, ppmTensor, ssdOptions, tinyOptions,
};
