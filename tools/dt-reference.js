// dt-reference.js - runs Double Take's own code on the cases of
// tests/dt/test_dt_result.c and prints what it produces, which that test
// reads as its expected text: detectors' normalize(), actions.checks(),
// recognize.util.js normalize(), mqtt.util.js recognize() (every message,
// with its topic and retain flag, and the 30 s reset), and luxon's
// timestamps, toFixed, String(number) and toLowerCase.
//
//   git clone https://github.com/jakowenko/double-take   (v1.13.1)
//   npm install --no-save luxon@2      (Double Take's major version)
//   node tools/dt-reference.js double-take/api/src \
//     > tests/data/dt/double-take-v1.13.1.txt
//
// Only the pure parts are loaded, with their I/O modules stubbed. A case
// changed here must be changed the same way in the C test.
'use strict';
console.log('# tools/dt-reference.js: Double Take v1.13.1 (8e2728d) with luxon 2');
const fs = require('fs');
const path = require('path');

const src = process.argv[2];
if (!src) {
  console.error('usage: node dt-reference.js <double-take>/api/src');
  process.exit(2);
}

// Load a CommonJS file with require() answered from stubs.
function load(file, stubs, extra = {}) {
  const code = fs.readFileSync(path.join(src, file), 'utf8');
  const module = { exports: {} };
  const names = Object.keys(extra);
  const fn = new Function('require', 'module', 'exports', '__dirname', ...names, code);
  const req = (name) => {
    if (name in stubs) return stubs[name];
    return require(name);
  };
  fn.call(module.exports, req, module, module.exports, path.dirname(file), ...names.map((n) => extra[n]));
  return module.exports;
}

const TH = (m, mArea, u, uArea) => ({
  MATCH: { CONFIDENCE: m, MIN_AREA: mArea },
  UNKNOWN: { CONFIDENCE: u, MIN_AREA: uArea },
});
let thresholds = TH(60, 10000, 40, 0);

const actions = load('util/detectors/actions/index.js', { '../factory': {} });
const detectorStubs = {
  axios: {},
  'form-data': function FormData() {},
  fs: {},
  './actions': actions,
  '../../constants': () => ({ DETECTORS: {} }),
  '../../constants/config': { detect: () => JSON.parse(JSON.stringify(thresholds)) },
};
const detectors = {
  compreface: load('util/detectors/compreface.js', detectorStubs),
  deepstack: load('util/detectors/deepstack.js', detectorStubs),
  facebox: load('util/detectors/facebox.js', detectorStubs),
};
const recognize = load('util/recognize.util.js', {
  fs: {},
  '../constants': () => ({ STORAGE: {} }),
});

// mqtt.util.js with its client replaced by a recorder and its 30 s timer
// run on demand.
function mqttFor(topics) {
  const timers = [];
  const mqtt = load(
    'util/mqtt.util.js',
    {
      fs: {},
      uuid: { v4: () => 'x' },
      axios: {},
      mqtt: {},
      './fs.util': {},
      './auth.util': { jwt: {} },
      '../constants': () => ({
        AUTH: false, SERVER: {}, FRIGATE: {}, CAMERAS: null, STORAGE: {}, UI: {},
        MQTT: { HOST: 'broker', TOPICS: topics },
      }),
      '../constants/config': {},
    },
    { setTimeout: (f) => timers.push(f), clearTimeout: () => {} }
  );
  const sent = [];
  mqtt.publish = (data) => (Array.isArray(data) ? data : [data]).forEach((m) => sent.push(m));
  return { mqtt, sent, timers };
}

// An attempt as process.util.js start() builds it.
function attempt(detector, data, { duration, n, filename, base64, camera = 'cam' }) {
  const out = {
    detector,
    duration,
    attempt: n,
    results: data ? detectors[detector].normalize({ camera, data }) : [],
    filename,
  };
  if (base64) out.base64 = base64;
  return out;
}

// recognize.controller.js start(): the answer, then mqtt.recognize().
function event(groups, ev, topics, all) {
  const { best, misses, unknowns, results, attempts, counts } = recognize.normalize(groups);
  const output = {
    id: ev.id, duration: ev.duration, timestamp: ev.timestamp, attempts,
    camera: ev.camera, zones: ev.zones, counts, matches: best, misses, unknowns,
  };
  if (ev.token) output.token = ev.token;
  if (all) output.results = results;
  const answer = JSON.stringify(output);
  const { mqtt, sent, timers } = mqttFor(topics);
  mqtt.recognize(output);
  const messages = sent.splice(0);
  timers.forEach((f) => f());
  return { answer, messages, reset: sent };
}

const defaults = {
  FRIGATE: 'frigate/events', MATCHES: 'double-take/matches',
  CAMERAS: 'double-take/cameras', HOMEASSISTANT: 'homeassistant',
};
const cf = (subjects, x0, y0, x1, y1) => ({
  subjects, box: { probability: 1, x_min: x0, y_min: y0, x_max: x1, y_max: y1 },
});
const show = (name, r) => {
  console.log(`== ${name}: answer\n${r.answer}`);
  r.messages.forEach((m) => console.log(`-- ${m.topic} retain=${m.retain}\n${m.message}`));
  r.reset.forEach((m) => console.log(`-- reset ${m.topic} retain=${m.retain}\n${m.message}`));
};

// README: double-take/matches/david
show('readme-david', event([{
  duration: 1.1, type: 'latest', attempts: 3, results: [
    attempt('compreface', { result: [] }, { duration: 0.31, n: 1, filename: 'a.jpg' }),
    attempt('compreface', { result: [] }, { duration: 0.3, n: 2, filename: 'b.jpg' }),
    attempt('compreface', { result: [cf([{ subject: 'david', similarity: 0.6607 }], 1018, 308, 1182, 485)] },
      { duration: 0.28, n: 3, filename: '2f07d1ad-9252-43fd-9233-2786a36a15a9.jpg' }),
  ] }], { id: '1623906078.684285-5l9hw6', duration: 1.26, timestamp: '2021-06-17T05:01:36.030Z',
  camera: 'living-room', zones: [] }, defaults, false));

// README: double-take/cameras/back-door
const david = (s) => ({ result: [cf([{ subject: 'david', similarity: s }], 744, 286, 1063, 683)] });
show('readme-back-door', event([{
  duration: 4.1, type: 'manual', attempts: 5, results: [
    attempt('compreface', david(0.985), { duration: 0.7, n: 1, filename: '1.jpg' }),
    attempt('compreface', { result: [] }, { duration: 0.6, n: 2, filename: '2.jpg' }),
    attempt('compreface', david(1), { duration: 0.8, n: 3, filename: 'dcb772de-d8e8-4074-9bce-15dbba5955c5.jpg' }),
    attempt('compreface', { result: [] }, { duration: 0.6, n: 4, filename: '4.jpg' }),
    attempt('compreface', david(0.99), { duration: 0.9, n: 5, filename: '5.jpg' }),
  ] }], { id: 'ff894ff3-2215-4cea-befa-43fe00898b65', duration: 4.25,
  timestamp: '2021-06-17T03:19:55.695Z', camera: 'back-door', zones: [] }, defaults, false));

// Three detectors, two loops, every kind of face.
thresholds = TH(60, 10000, 40, 900);
show('mixed', event([
  { duration: 2.5, type: 'latest', attempts: 2, results: [
    attempt('compreface', { result: [
      cf([{ subject: 'Alice', similarity: 0.70123 }], 100, 50, 220, 180),
      cf([{ subject: 'Bob', similarity: 0.3 }], 400, 60, 460, 130),
      cf([], 0, 0, 20, 20),
    ] }, { duration: 0.41, n: 1, filename: 'l1.jpg' }),
    attempt('deepstack', { success: true, predictions: [
      { userid: 'alice', confidence: 0.75, x_min: 100, y_min: 50, x_max: 220, y_max: 180 },
      { userid: 'Carol', confidence: 0.5512, x_min: 300, y_min: 40, x_max: 380, y_max: 110 },
      { userid: 'unknown', confidence: 0, x_min: 500, y_min: 40, x_max: 550, y_max: 140 },
    ] }, { duration: 0.22, n: 1, filename: 'l1.jpg' }),
    attempt('compreface', { result: [
      cf([{ subject: 'alice', similarity: 0.70123 }], 101, 51, 221, 181),
      cf([{ subject: 'bob', similarity: 0.35 }], 400, 60, 460, 130),
    ] }, { duration: 0.38, n: 2, filename: 'l2.jpg' }),
    attempt('deepstack', null, { duration: 0, n: 2, filename: 'l2.jpg' }),
  ] },
  { duration: 1.9, type: 'snapshot', attempts: 1, results: [
    attempt('facebox', { success: true, faces: [
      { rect: { top: 10, left: 20, width: 150, height: 160 }, name: 'Bob Smith', matched: true, confidence: 0.9 },
      { rect: { top: 30, left: 300, width: 50, height: 60 }, name: 'carol', matched: true, confidence: 0.58 },
      { rect: { top: 30, left: 500, width: 40, height: 50 }, name: 'zed', matched: false, confidence: 0.35 },
    ] }, { duration: 0.6, n: 1, filename: 's1.jpg', base64: 'QUJD' }),
  ] },
], { id: '1623906078.684285-5l9hw6', duration: 4.57, timestamp: '2021-06-17T01:01:36.030-04:00',
  camera: 'Front Door', zones: ['porch', 'yard'], token: 'tok.en' },
{ FRIGATE: 'frigate/events', MATCHES: 'dt/m', CAMERAS: 'dt/c', HOMEASSISTANT: 'ha' }, true));

// Names JavaScript takes for array indices come first in Object.values().
thresholds = TH(60, 10000, 40, 0);
show('index-keys', event([{
  duration: 1, type: 'manual', attempts: 1, results: [
    attempt('compreface', { result: ['zed', '42', '7', 'alice', '007'].map((n, i) =>
      cf([{ subject: n, similarity: 0.9 }], i * 200, 0, i * 200 + 150, 150)) },
    { duration: 0.5, n: 1, filename: 'k.jpg' }),
  ] }], { id: 'k', duration: 1, timestamp: 't', camera: 'c', zones: [] },
{ FRIGATE: 'f', MATCHES: 'm', CAMERAS: 'c', HOMEASSISTANT: false }, false));

// Classification, face by face, under several thresholds.
const one = (det, data, th) => {
  thresholds = th;
  return JSON.stringify(detectors[det].normalize({ camera: 'c', data }));
};
console.log('== faces');
console.log(one('compreface', { result: [cf([{ subject: 'Dävid', similarity: 0.6607 }], 0, 0, 164, 177)] }, TH(60, 10000, 40, 0)));
console.log(one('compreface', { result: [cf([{ subject: 'david', similarity: 0.50 }], 0, 0, 90, 100)] }, TH(60, 10000, 40, 0)));
console.log(one('compreface', { result: [cf([{ subject: 'david', similarity: 0.3999 }], 0, 0, 200, 200)] }, TH(60, 10000, 40, 0)));
console.log(one('compreface', { result: [cf([{ subject: 'david', similarity: 0.5 }], 0, 0, 200, 200)] }, TH(62.5, 10000.5, 40, 0)));
console.log(one('compreface', { result: [cf([], 0, 0, 10, 10), cf([], 0, 0, 30, 30)] }, TH(60, 10000, 40, 500)));
console.log(one('deepstack', { success: true, predictions: [{ userid: 'unknown', confidence: 0.8, x_min: 0, y_min: 0, x_max: 200, y_max: 200 }] }, TH(60, 10000, 40, 0)));
console.log(one('facebox', { success: true, faces: [{ rect: { top: 0, left: 0, width: 200, height: 200 }, name: 'Ann', matched: false, confidence: 0.9 }] }, TH(60, 10000, 40, 0)));

console.log('== numbers');
console.log([0.6607, 0.66075, 0.01125, 0.285, 0.999949, 0.123456].map((x) => parseFloat((x * 100).toFixed(2))).join(' '));
console.log([1.125, 1.005, 2.675, -1.125, 0.125, 1.255, 8.345].map((x) => parseFloat(x.toFixed(2))).join(' '));
console.log([66.07, 100, 0.8, 1e21, 1e-7, 123456789012345680000, 0.000001, -0, 62.5, 0.1 + 0.2, 10000, -3.5e-9].map(String).join(' '));
console.log(['ÉMILE Zoë', 'ИВАН Ёлкин', 'ΆΛΦΑ', 'İstanbul', 'ŸĲŁŽ', 'ԱՐԱՄ', 'ẠẤ'].map((s) => s.toLowerCase()).join('|'));
console.log(['David Smith', "Jean-Luc O'Brien", 'john.doe', ' anne\t marie ', 'Zoë', 'a_b'].map((n) =>
  n.replace(/\s+/g, '-').replace(/[^a-z0-9-]/gi, '')).join('|'));

// luxon, as time.util.js current() uses it.
const { DateTime, Settings } = require('luxon');
const at = (ms, zone, format) => {
  Settings.now = () => ms;
  const dt = DateTime.now().setZone(zone.toUpperCase());
  return format ? dt.toFormat(format) : dt.toString();
};
console.log('== time');
[
  [1623906096030, 'UTC', null], [1623906096030, 'Europe/Berlin', null],
  [1623906096030, 'America/New_York', null], [1623906096030, 'Europe/London', null],
  [1623906096030, 'Africa/Abidjan', null], [1623906096030, 'Africa/Abidjan', 'ZZ Z'],
  [1615861521000, 'UTC', 'MM/dd/yyyy hh:mm:ss a'],
  [1623931509007, 'UTC', "yyyy-MM-dd'T'HH:mm"], [1623931509007, 'UTC', 'd/M/yy H:m:s.S'],
  [1623931509007, 'UTC', 'EEE, MMM d yyyy'], [1623931509007, 'UTC', 'EEEE MMMM E MMMMM EEEEE'],
  [1623931509007, 'Asia/Kolkata', 'ZZ Z ZZZ'], [1623931509007, 'America/New_York', 'ZZ Z ZZZ'],
  [1623931509007, 'UTC', 'ZZ Z ZZZ'], [1623888000000, 'UTC', 'h a hh'], [1623931509007, 'UTC', 'h a'],
  [1623931509007, 'UTC', "'at' HH 'o''clock' q qq"], [1623931509007, 'UTC', 'X x'],
  [1623931509007, 'UTC', 'yyy LLL HHH ccc c LL'],
  [-1, 'UTC', null], [1709251199999, 'UTC', 'yyyy-MM-dd EEEE HH:mm:ss.SSS'],
].forEach(([ms, zone, fmt]) => console.log(`${ms} ${zone} ${fmt} => ${at(ms, zone, fmt)}`));
