// Captures real Chromium SDPs and ICE candidates as rtwire test fixtures.
//
//   cd tests/sdp/capture && npm install && node capture.mjs [/usr/bin/chromium]
//
// Writes to ../fixtures/:
//   chrome_offer.sdp       offer with audio + video + data channel (caller)
//   chrome_answer.sdp      the callee's answer
//   chrome_reoffer.sdp     the caller's re-offer after adding a second video track
//   chrome_candidates.json every trickled candidate: the candidate string and what the browser's
//                          own RTCIceCandidate reports for each field
//   chrome_version.txt     the browser version that produced them
// The SDP files are written byte for byte as the browser returned them (CRLF line ends).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'fixtures');
const executablePath = process.argv[2] ?? '/usr/bin/chromium';
const userDataDir = mkdtempSync(join(tmpdir(), 'rtwire-sdp-capture-'));

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  ],
});

try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('about:blank');
  const result = await page.evaluate(async () => {
    const fields = ['foundation', 'component', 'protocol', 'priority', 'address', 'port', 'type',
                    'relatedAddress', 'relatedPort', 'tcpType', 'usernameFragment'];
    const candidates = [];
    const caller = new RTCPeerConnection();
    const callee = new RTCPeerConnection();
    const gathered = (pc, side) => new Promise((resolve) => {
      pc.addEventListener('icecandidate', (e) => {
        if (!e.candidate) { resolve(); return; }
        if (!e.candidate.candidate) return;  // the empty end-of-candidates marker
        const c = e.candidate;
        const reported = {};
        for (const f of fields) reported[f] = c[f] ?? null;
        candidates.push({ side, candidate: c.candidate, sdpMid: c.sdpMid,
                          sdpMLineIndex: c.sdpMLineIndex, reported });
      });
    });
    const callerDone = gathered(caller, 'caller');
    const calleeDone = gathered(callee, 'callee');

    // Synthetic tracks (about:blank is not a secure context, so no getUserMedia): an oscillator
    // through Web Audio and a canvas capture, in one stream so that a=msid carries a stream id.
    const audioContext = new AudioContext();
    const oscillator = audioContext.createOscillator();
    const destination = audioContext.createMediaStreamDestination();
    oscillator.connect(destination);
    oscillator.start();
    const canvasTrack = () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      canvas.getContext('2d').fillRect(0, 0, 10, 10);
      return canvas.captureStream(30).getVideoTracks()[0];
    };
    const stream = new MediaStream([destination.stream.getAudioTracks()[0], canvasTrack()]);
    for (const track of stream.getTracks()) caller.addTrack(track, stream);
    caller.createDataChannel('chat');

    const offer = await caller.createOffer();
    await caller.setLocalDescription(offer);
    await callee.setRemoteDescription(offer);
    const answer = await callee.createAnswer();
    await callee.setLocalDescription(answer);
    await caller.setRemoteDescription(answer);
    await Promise.race([Promise.all([callerDone, calleeDone]),
                        new Promise((r) => setTimeout(r, 10000))]);

    const second = new MediaStream([canvasTrack()]);
    caller.addTrack(second.getVideoTracks()[0], second);
    const reoffer = await caller.createOffer();
    return { offer: offer.sdp, answer: answer.sdp, reoffer: reoffer.sdp, candidates,
             userAgent: navigator.userAgent };
  });

  writeFileSync(join(out, 'chrome_offer.sdp'), result.offer);
  writeFileSync(join(out, 'chrome_answer.sdp'), result.answer);
  writeFileSync(join(out, 'chrome_reoffer.sdp'), result.reoffer);
  writeFileSync(join(out, 'chrome_candidates.json'),
                JSON.stringify(result.candidates, null, 2) + '\n');
  writeFileSync(join(out, 'chrome_version.txt'), `${context.browser()?.version() ?? ''}\n${result.userAgent}\n`);
  console.log(`captured offer (${result.offer.length} bytes), answer, re-offer and ` +
              `${result.candidates.length} candidates`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
