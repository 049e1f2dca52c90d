// Auralis browser listener: connects to this node's /ws/stream (binary audio), feeds the
// AudioWorklet player, shows buffer health, latency, jitter, underruns and chunks, sends
// controls (debounced) and a report every second, and reconnects with capped, jittered
// exponential backoff. No external assets.
'use strict';

(() => {
    const $ = (id) => document.getElementById(id);
    const SETTINGS = 'auralis.settings';
    const TOKEN = 'auralis.token'; // the node's operator token, when the operator gave it
    const PARAMS = ['preset', 'key', 'mode', 'bpm', 'intensity'];

    const stats = {
        connected: false, playing: false, chunks: 0, lastSeq: -1, inOrder: true, gaps: 0,
        underruns: 0, nodeUnderruns: 0, bufferedMs: 0, rms: 0, acks: 0, errors: 0,
        reconnects: 0, welcomes: 0, latencyMs: null, jitterP95: null, sampleRate: null,
        clientId: null, lastAck: null, lastError: null,
    };
    window.auralis = { stats: () => ({ ...stats }) };

    let ctx = null;
    let player = null;
    let ws = null;
    let wanted = false; // the listener pressed Start
    let attempt = 0;
    let retryTimer = null;
    let reportTimer = null;
    let pingTimer = null;
    let lastArrival = null;
    let sinceWelcome = 0;
    let targetMs = 1000;
    const jitter = [];
    let controlTimer = null;
    let controlId = 0;

    function setState(text, cls) {
        const el = $('state');
        el.textContent = text;
        el.className = cls || '';
    }

    // ---- settings -----------------------------------------------------------------------
    function loadSettings() {
        try {
            const s = JSON.parse(localStorage.getItem(SETTINGS) || '{}');
            for (const k of [...PARAMS, 'tier']) {
                if (s[k] !== undefined && $(k === 'tier' ? 'tierSelect' : k)) {
                    $(k === 'tier' ? 'tierSelect' : k).value = s[k];
                }
            }
        } catch (e) {
            localStorage.removeItem(SETTINGS);
        }
        $('bpm-out').textContent = $('bpm').value;
        $('intensity-out').textContent = Number($('intensity').value).toFixed(2);
    }

    // The operator link (/?token=…) hands the page the token once: it is kept in this browser
    // and taken out of the address bar (and so out of history and bookmarks).
    function takeTokenFromUrl() {
        const params = new URLSearchParams(location.search);
        if (params.has('token')) {
            localStorage.setItem(TOKEN, params.get('token'));
            params.delete('token');
            const rest = params.toString();
            history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
        }
    }

    function token() {
        return localStorage.getItem(TOKEN) || '';
    }

    function askForToken(message) {
        $('token-form').hidden = false;
        $('token-note').textContent = message;
        $('token').focus();
    }

    function useToken(e) {
        e.preventDefault();
        const t = $('token').value.trim();
        if (!t) {
            return;
        }
        localStorage.setItem(TOKEN, t);
        $('token').value = '';
        $('token-form').hidden = true;
        sendControl(); // the change that was refused, now with the token
    }

    function saveSettings() {
        const s = { tier: $('tierSelect').value };
        for (const k of PARAMS) {
            s[k] = $(k).value;
        }
        localStorage.setItem(SETTINGS, JSON.stringify(s));
    }

    // ---- audio ----------------------------------------------------------------------------
    async function startAudio() {
        if (!ctx) {
            ctx = new AudioContext({ latencyHint: 'playback' });
            await ctx.audioWorklet.addModule('/worklet.js');
            player = new AudioWorkletNode(ctx, 'auralis-player', {
                numberOfInputs: 0,
                outputChannelCount: [2],
                processorOptions: { inputRate: 44100, targetMs },
            });
            player.port.onmessage = (e) => {
                const m = e.data;
                if (m.type !== 'stats') {
                    return;
                }
                stats.bufferedMs = m.bufferedMs;
                stats.playing = m.playing;
                stats.underruns = m.underruns;
                stats.rms = m.rms;
                stats.sampleRate = m.sampleRate;
                render();
            };
            player.connect(ctx.destination);
        }
        await ctx.resume();
    }

    // ---- connection -----------------------------------------------------------------------
    function streamUrl() {
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        if (!stats.clientId) {
            stats.clientId = 'web-' + Math.random().toString(16).slice(2, 10);
        }
        const q = new URLSearchParams({ format: 'binary', tier: $('tierSelect').value, client_id: stats.clientId });
        if (token()) {
            q.set('token', token());
        }
        return `${scheme}//${location.host}/ws/stream?${q}`;
    }

    function connect() {
        clearTimeout(retryTimer);
        setState(attempt === 0 ? 'Connecting…' : 'Reconnecting…', 'warn');
        ws = new WebSocket(streamUrl());
        ws.binaryType = 'arraybuffer';
        ws.onmessage = onMessage;
        ws.onclose = (e) => {
            stats.connected = false;
            clearInterval(reportTimer);
            clearInterval(pingTimer);
            if (!wanted) {
                return;
            }
            // The node went away: keep playing what is buffered, then retry with backoff capped
            // at 2 s, so a node that comes back is heard again within about 3 s.
            const delay = Math.min(2000, 500 * 2 ** Math.min(attempt, 10)) * (0.8 + 0.4 * Math.random());
            attempt++;
            stats.reconnects++;
            setState(`The node is unreachable (${e.code || 'no answer'}); retrying in ${(delay / 1000).toFixed(1)} s…`, 'bad');
            retryTimer = setTimeout(connect, delay);
        };
    }

    function onMessage(e) {
        if (e.data instanceof ArrayBuffer) {
            onAudio(e.data);
            return;
        }
        let m;
        try {
            m = JSON.parse(e.data);
        } catch (err) {
            return;
        }
        switch (m.type) {
        case 'welcome':
            attempt = 0;
            stats.connected = true;
            stats.welcomes++;
            stats.clientId = m.client_id;
            stats.lastSeq = -1;
            sinceWelcome = 0;
            lastArrival = null;
            setTarget(m.target_ms);
            $('tier').textContent = m.tier;
            setState(`Connected as ${m.client_id}; buffering ${m.target_ms} ms…`, 'warn');
            reportTimer = setInterval(report, 1000);
            pingTimer = setInterval(ping, 2000);
            ping();
            break;
        case 'control_ack':
            stats.acks++;
            stats.lastAck = m;
            $('control-result').textContent = `Applied at the next phrase (${(m.applies_at_ms / 1000).toFixed(1)} s into the stream).`;
            $('control-result').className = 'ok';
            break;
        case 'error':
            stats.errors++;
            stats.lastError = m;
            $('control-result').textContent = `The node refused it: ${m.message}`;
            $('control-result').className = 'bad';
            if (m.code === 'unauthorized' || m.code === 'forbidden') {
                if (m.code === 'forbidden') {
                    localStorage.removeItem(TOKEN);
                }
                askForToken(m.code === 'forbidden'
                    ? 'That token is not this node’s. Enter the operator token:'
                    : 'Changing the music needs this node’s operator token (ask its operator):');
            }
            break;
        case 'tier':
            setTarget(m.target_ms);
            $('tier').textContent = m.tier;
            break;
        case 'pong':
            stats.latencyMs = performance.now() - m.client_time;
            break;
        case 'status':
            stats.nodeUnderruns = m.underruns;
            break;
        case 'shutdown':
            setState(`The node is stopping (${m.reason}); will reconnect.`, 'warn');
            break;
        default:
            break;
        }
        render();
    }

    function onAudio(buffer) {
        const view = new DataView(buffer);
        if (buffer.byteLength < 32 || view.getUint8(0) !== 0x41 || view.getUint8(3) !== 0x31) {
            return; // not "AUR1"
        }
        const headerBytes = view.getUint16(6, true);
        const seq = Number(view.getBigUint64(8, true));
        if (stats.lastSeq >= 0) {
            if (seq <= stats.lastSeq) {
                stats.inOrder = false;
            } else if (seq > stats.lastSeq + 1) {
                stats.gaps += seq - stats.lastSeq - 1;
            }
        }
        stats.lastSeq = seq;
        stats.chunks++;
        const now = performance.now();
        if (lastArrival !== null && ++sinceWelcome > targetMs / 100 + 1) {
            jitter.push(Math.abs(now - lastArrival - 100));
            if (jitter.length > 50) {
                jitter.shift();
            }
            const sorted = [...jitter].sort((a, b) => a - b);
            stats.jitterP95 = sorted[Math.floor(0.95 * (sorted.length - 1))];
        }
        lastArrival = now;
        const pcm = new Int16Array(buffer.slice(headerBytes));
        player.port.postMessage({ type: 'chunk', pcm }, [pcm.buffer]);
    }

    function setTarget(ms) {
        targetMs = ms;
        $('buffer').max = Math.max(3000, ms * 2);
        if (player) {
            player.port.postMessage({ type: 'target', targetMs: ms });
        }
    }

    function send(message) {
        if (ws && ws.readyState === WebSocket.OPEN) {
            ws.send(JSON.stringify(message));
        }
    }

    function report() {
        send({ type: 'report', buffer_ms: Math.round(stats.bufferedMs), underruns: stats.underruns });
    }

    function ping() {
        send({ type: 'ping', client_time: performance.now() });
    }

    // ---- controls ----------------------------------------------------------------------------
    function scheduleControl(event) {
        $('bpm-out').textContent = $('bpm').value;
        $('intensity-out').textContent = Number($('intensity').value).toFixed(2);
        saveSettings();
        if (event && event.target.id === 'tierSelect') {
            send({ type: 'tier', tier: $('tierSelect').value });
            return;
        }
        clearTimeout(controlTimer);
        controlTimer = setTimeout(sendControl, 400);
    }

    function sendControl() {
        const c = { type: 'control', id: ++controlId };
        for (const k of ['preset', 'key', 'mode']) {
            if ($(k).value) {
                c[k] = $(k).value;
            }
        }
        c.bpm = Number($('bpm').value);
        c.intensity = Number($('intensity').value);
        if (token()) {
            c.token = token(); // for a session that connected before the token was known
        }
        send(c);
    }

    // ---- view ---------------------------------------------------------------------------------
    function render() {
        const b = Math.round(stats.bufferedMs);
        $('buffer').value = b;
        $('buffer-text').textContent = `${b} ms`;
        $('latency').textContent = stats.latencyMs === null ? '–' : `${stats.latencyMs.toFixed(0)} ms`;
        $('jitter').textContent = stats.jitterP95 === null ? '–' : `${stats.jitterP95.toFixed(1)} ms`;
        $('underruns').textContent = String(stats.underruns);
        $('chunks').textContent = String(stats.chunks);
        $('rate').textContent = stats.sampleRate ? `${stats.sampleRate} Hz` : '–';
        if (stats.connected && wanted) {
            if (stats.playing) {
                setState(`Playing${stats.underruns ? ` (re-buffered ${stats.underruns}×)` : ''}.`, 'ok');
            } else if (stats.chunks > 0) {
                setState(`Buffering… ${b} of ${targetMs} ms`, 'warn');
            }
        }
    }

    async function toggle() {
        const button = $('toggle');
        if (!wanted) {
            wanted = true;
            button.textContent = 'Stop';
            button.setAttribute('aria-pressed', 'true');
            try {
                await startAudio();
            } catch (e) {
                setState(`This browser cannot play the stream: ${e.message}`, 'bad');
                return;
            }
            connect();
        } else {
            wanted = false;
            button.textContent = 'Start listening';
            button.setAttribute('aria-pressed', 'false');
            clearTimeout(retryTimer);
            if (ws) {
                ws.close(1000, 'listener stopped');
            }
            if (player) {
                player.port.postMessage({ type: 'reset' });
            }
            if (ctx) {
                await ctx.suspend();
            }
            setState('Stopped.', '');
        }
    }

    takeTokenFromUrl();
    loadSettings();
    $('token-form').addEventListener('submit', useToken);
    $('toggle').addEventListener('click', toggle);
    $('controls').addEventListener('input', scheduleControl);
    $('controls').addEventListener('submit', (e) => e.preventDefault());
})();
