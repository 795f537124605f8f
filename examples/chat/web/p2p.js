// The WebRTC mesh: one RTCPeerConnection per other member of the room, each carrying a data
// channel `chat`. Signaling goes through the chat server as `signal {to, data}` messages, where
// data is {description: {type, sdp}} or {candidate: RTCIceCandidateInit}.
//
// Perfect negotiation (W3C WebRTC §10.7 example): the side with the smaller clientId is polite
// (it rolls back its own offer on a collision), the other impolite (it ignores a colliding offer).
// Only the impolite side creates the `chat` channel, so in the normal case only it ever offers
// and no rollback happens (Chromium 156 was seen to gather no candidates after the polite side's
// implicit rollback). If a connection still stays `new` or becomes `failed`, the impolite side
// restarts ICE, a bounded number of times.

const WATCHDOG_MS = 4000;
const MAX_RESTARTS = 3;
const MAX_P2P_TEXT = 16 * 1024;

export class Mesh {
  // sendSignal(to, data); onMessage({id, from, name, text, ts}); onChange() after any peer or
  // state change; log(text) for diagnostics shown to the user.
  constructor({ sendSignal, onMessage, onChange, log }) {
    this.sendSignal = sendSignal;
    this.onMessage = onMessage;
    this.onChange = onChange;
    this.log = log;
    this.self = null;
    this.iceServers = [];
    this.peers = new Map(); // clientId → peer
    this.seen = new Set(); // p2p message ids already shown
  }

  setSelf(clientId) {
    if (this.self !== clientId) this.closeAll();
    this.self = clientId;
  }

  setIceServers(list) {
    this.iceServers = Array.isArray(list) ? list : [];
  }

  // A member of the room (from `joined` or `user-joined`): connect to it.
  add(clientId, name) {
    if (!this.self || clientId === this.self) return;
    const existing = this.peers.get(clientId);
    if (existing) {
      if (name) existing.name = name;
      return existing;
    }
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const peer = {
      id: clientId,
      name: name ?? clientId,
      pc,
      polite: this.self < clientId,
      makingOffer: false,
      ignoreOffer: false,
      channel: null,
      restarts: 0,
      collisions: 0, // offers that crossed ours (diagnostics)
      queue: Promise.resolve(),
      watchdog: null,
    };
    this.peers.set(clientId, peer);
    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this.#signal(peer, { description: pc.localDescription.toJSON() });
      } catch (e) {
        this.log(`offer to ${peer.name} failed: ${e.message}`);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.#signal(peer, { candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.#restart(peer);
      this.onChange();
    };
    pc.ondatachannel = ({ channel }) => {
      if (channel.label === 'chat') this.#attach(peer, channel);
    };
    if (!peer.polite) this.#attach(peer, pc.createDataChannel('chat'));
    this.#arm(peer);
    this.onChange();
    return peer;
  }

  // A member left: close its connection.
  remove(clientId) {
    const peer = this.peers.get(clientId);
    if (!peer) return;
    this.peers.delete(clientId);
    clearTimeout(peer.watchdog);
    peer.channel?.close();
    peer.pc.close();
    this.onChange();
  }

  closeAll() {
    for (const id of [...this.peers.keys()]) this.remove(id);
  }

  // A `signal` event relayed by the server.
  handle(from, data) {
    if (!this.self || typeof data !== 'object' || data === null) return;
    const peer = this.peers.get(from) ?? this.add(from, null);
    if (!peer) return;
    // The steps of one peer run in order: each awaits the previous one.
    peer.queue = peer.queue.then(() => this.#handle(peer, data)).catch((e) => {
      this.log(`signal from ${peer.name}: ${e.message}`);
    });
  }

  async #handle(peer, { description, candidate }) {
    const pc = peer.pc;
    if (pc.signalingState === 'closed') return;
    if (description) {
      const collision = description.type === 'offer' &&
        (peer.makingOffer || pc.signalingState !== 'stable');
      if (collision) peer.collisions += 1;
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;
      await pc.setRemoteDescription(description); // the polite side rolls back implicitly
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        this.#signal(peer, { description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (e) {
        if (!peer.ignoreOffer) throw e; // candidates of an ignored offer are expected to fail
      }
    }
  }

  // Sends text to every open channel; returns how many peers it went to.
  broadcast(id, name, text) {
    const payload = JSON.stringify({ type: 'chat', id, name, text, ts: Date.now() });
    let sent = 0;
    for (const peer of this.peers.values()) {
      if (peer.channel?.readyState === 'open') {
        peer.channel.send(payload);
        sent += 1;
      }
    }
    return sent;
  }

  list() {
    return [...this.peers.values()].map((p) => ({
      id: p.id,
      name: p.name,
      state: p.pc.connectionState,
      channel: p.channel?.readyState ?? 'none',
    }));
  }

  #attach(peer, channel) {
    peer.channel = channel;
    channel.onopen = () => this.onChange();
    channel.onclose = () => this.onChange();
    channel.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg?.type !== 'chat' || typeof msg.text !== 'string' || typeof msg.id !== 'string') return;
      if (msg.text.length > MAX_P2P_TEXT || this.seen.has(msg.id)) return;
      this.seen.add(msg.id);
      // The sender is the peer at the other end of this channel, whatever the payload claims.
      this.onMessage({ id: msg.id, from: peer.id, name: peer.name, text: msg.text,
        ts: Number.isFinite(msg.ts) ? msg.ts : Date.now() });
    };
  }

  #signal(peer, data) {
    if (this.peers.get(peer.id) === peer) this.sendSignal(peer.id, data);
  }

  // The impolite side watches for a connection that stays `new` (no candidates gathered or none
  // received) and restarts ICE.
  #arm(peer) {
    clearTimeout(peer.watchdog);
    peer.watchdog = setTimeout(() => {
      if (this.peers.get(peer.id) !== peer) return;
      const state = peer.pc.connectionState;
      if (state === 'new' || state === 'failed') this.#restart(peer);
      else if (state !== 'connected') this.#arm(peer);
    }, WATCHDOG_MS);
  }

  #restart(peer) {
    if (peer.polite || peer.restarts >= MAX_RESTARTS || this.peers.get(peer.id) !== peer) return;
    peer.restarts += 1;
    this.log(`restarting ICE with ${peer.name} (${peer.restarts}/${MAX_RESTARTS})`);
    peer.pc.restartIce();
    this.#arm(peer);
  }
}
