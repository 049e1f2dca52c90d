// Auralis browser listener: connects to this node's /ws/stream, in Opus (decoded with
// WebCodecs) where the browser can decode it, else PCM; plays through the AudioWorklet player
// in a secure context (https, or this machine), else through scheduled AudioBufferSourceNodes
// (plain http from another machine, where AudioWorklet and WebCodecs do not exist). Shows
// buffer health, latency, jitter, underruns, chunks, format and bitrate, sends controls
// (debounced) and a report every second, and reconnects with capped, jittered exponential
// backoff. No external assets.
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
        clientId: null, lastAck: null, lastError: null, format: null, path: null, kbps: null,
        params: null, paramsPushes: 0,
    };
    window.auralis = { stats: () => ({ ...stats }) };

    const OPUS = { codec: 'opus', sampleRate: 48000, numberOfChannels: 2 };
    let ctx = null;
    let sink = null; // where decoded audio goes: the worklet or the scheduled buffers
    let decoder = null; // WebCodecs AudioDecoder (format opus)
    const received = []; // sizes of the last audio messages (bitrate)
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
    const changed = new Set(); // the music fields the listener changed since the last send
    let lastControl = null; // resent with the token when the node asked for one

    function setState(text, cls) {
        const el = $('state');
        el.textContent = text;
        el.className = cls || '';
    }

    // ---- settings -----------------------------------------------------------------------
    // Only the buffer tier is this browser's own; the music is the node's, shown as it plays.
    function loadSettings() {
        try {
            const s = JSON.parse(localStorage.getItem(SETTINGS) || '{}');
            if (s.tier) {
                $('tierSelect').value = s.tier;
            }
        } catch (e) {
            localStorage.removeItem(SETTINGS);
        }
        showSliderValues();
    }

    function showSliderValues() {
        $('bpm-out').textContent = $('bpm').value;
        $('intensity-out').textContent = Number($('intensity').value).toFixed(2);
    }

    // What the node plays (welcome, every params push, acks): shown unless the listener is in
    // the middle of changing something.
    function showParams(p) {
        if (!p || changed.size > 0) {
            return;
        }
        for (const k of PARAMS) {
            if (p[k] !== undefined) {
                $(k).value = String(p[k]);
            }
        }
        stats.params = p;
        showSliderValues();
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
        if (lastControl) {
            send({ ...lastControl, id: ++controlId, token: t }); // the refused change, with it
        }
    }

    function saveSettings() {
        localStorage.setItem(SETTINGS, JSON.stringify({ tier: $('tierSelect').value }));
    }

    // ---- audio ----------------------------------------------------------------------------
    // Opus where WebCodecs can decode it (secure contexts only), else PCM; ?format=binary
    // asks for PCM.
    async function chooseFormat() {
        if (new URLSearchParams(location.search).get('format') === 'binary' ||
            typeof AudioDecoder === 'undefined') {
            return 'binary';
        }
        try {
            return (await AudioDecoder.isConfigSupported(OPUS)).supported ? 'opus' : 'binary';
        } catch (e) {
            return 'binary';
        }
    }

    function onPlayerStats(m) {
        stats.bufferedMs = m.bufferedMs;
        stats.playing = m.playing;
        stats.underruns = m.underruns;
        stats.rms = m.rms;
        stats.sampleRate = m.sampleRate;
        render();
    }

    function toPlanar(pcm) {
        const frames = pcm.length >> 1;
        const left = new Float32Array(frames);
        const right = new Float32Array(frames);
        for (let i = 0; i < frames; i++) {
            left[i] = pcm[2 * i] / 32768;
            right[i] = pcm[2 * i + 1] / 32768;
        }
        return [left, right];
    }

    async function workletSink(inputRate) {
        await ctx.audioWorklet.addModule('/worklet.js');
        const node = new AudioWorkletNode(ctx, 'auralis-player', {
            numberOfInputs: 0,
            outputChannelCount: [2],
            processorOptions: { inputRate, targetMs },
        });
        node.port.onmessage = (e) => e.data.type === 'stats' && onPlayerStats(e.data);
        node.connect(ctx.destination);
        const planar = (left, right) =>
            node.port.postMessage({ type: 'planar', left, right }, [left.buffer, right.buffer]);
        return {
            pcm: (pcm) => planar(...toPlanar(pcm)),
            planar,
            target: (ms) => node.port.postMessage({ type: 'target', targetMs: ms }),
            reset: () => node.port.postMessage({ type: 'reset' }),
        };
    }

    // The same jitter-buffer behaviour without a worklet: chunks wait until the target is
    // buffered, then play back to back as AudioBufferSourceNodes scheduled on the context's
    // clock (the context resamples them); a chunk that arrives after the scheduled audio ran
    // out counts as an underrun and playback re-buffers to the target.
    function bufferSink(inputRate) {
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 2048;
        analyser.connect(ctx.destination);
        const queue = [];
        const sources = new Set();
        let queuedFrames = 0;
        let nextTime = 0;
        let playing = false;
        let underruns = 0;
        let target = targetMs;
        const pump = () => {
            if (playing && nextTime < ctx.currentTime) {
                playing = false; // ran dry
                underruns++;
            }
            if (!playing && (queuedFrames / inputRate) * 1000 >= target) {
                playing = true;
                nextTime = ctx.currentTime + 0.05;
            }
            while (playing && queue.length > 0) {
                const buffer = queue.shift();
                queuedFrames -= buffer.length;
                const source = ctx.createBufferSource();
                source.buffer = buffer;
                source.connect(analyser);
                source.onended = () => sources.delete(source);
                source.start(nextTime);
                sources.add(source);
                nextTime += buffer.duration;
            }
        };
        const wave = new Float32Array(analyser.fftSize);
        setInterval(() => {
            pump();
            analyser.getFloatTimeDomainData(wave);
            let sum = 0;
            for (const v of wave) {
                sum += v * v;
            }
            onPlayerStats({
                bufferedMs: (queuedFrames / inputRate) * 1000 + Math.max(0, nextTime - ctx.currentTime) * 1000,
                playing, underruns, rms: Math.sqrt(sum / wave.length), sampleRate: ctx.sampleRate,
            });
        }, 250);
        const planar = (left, right) => {
            const buffer = ctx.createBuffer(2, left.length, inputRate);
            buffer.copyToChannel(left, 0);
            buffer.copyToChannel(right, 1);
            queue.push(buffer);
            queuedFrames += left.length;
            pump();
        };
        return {
            pcm: (pcm) => planar(...toPlanar(pcm)),
            planar,
            target: (ms) => { target = ms; },
            reset: () => {
                for (const source of sources) {
                    source.stop();
                }
                sources.clear();
                queue.length = 0;
                queuedFrames = 0;
                playing = false;
            },
        };
    }

    async function startAudio() {
        if (!ctx) {
            stats.format = await chooseFormat();
            const inputRate = stats.format === 'opus' ? 48000 : 44100;
            ctx = new AudioContext({ latencyHint: 'playback' });
            const secure = window.isSecureContext && ctx.audioWorklet !== undefined;
            stats.path = secure ? 'worklet' : 'buffers';
            sink = secure ? await workletSink(inputRate) : bufferSink(inputRate);
        }
        await ctx.resume();
    }

    function resetDecoder() {
        if (decoder && decoder.state !== 'closed') {
            decoder.close();
        }
        decoder = new AudioDecoder({
            output: (data) => {
                const frames = data.numberOfFrames;
                const left = new Float32Array(frames);
                const right = new Float32Array(frames);
                data.copyTo(left, { planeIndex: 0, format: 'f32-planar' });
                data.copyTo(right, { planeIndex: data.numberOfChannels > 1 ? 1 : 0, format: 'f32-planar' });
                data.close();
                sink.planar(left, right);
            },
            error: (e) => {
                stats.errors++;
                stats.lastError = { code: 'decoder', message: e.message };
            },
        });
        decoder.configure(OPUS);
    }

    // ---- connection -----------------------------------------------------------------------
    function streamUrl() {
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        if (!stats.clientId) {
            stats.clientId = 'web-' + Math.random().toString(16).slice(2, 10);
        }
        const q = new URLSearchParams({ format: stats.format, tier: $('tierSelect').value, client_id: stats.clientId });
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
            showParams(m.params);
            stats.lastSeq = -1;
            sinceWelcome = 0;
            lastArrival = null;
            if (stats.format === 'opus') {
                resetDecoder(); // a new connection is a new Opus stream
            }
            setTarget(m.target_ms);
            $('tier').textContent = m.tier;
            setState(`Connected as ${m.client_id}; buffering ${m.target_ms} ms…`, 'warn');
            reportTimer = setInterval(report, 1000);
            pingTimer = setInterval(ping, 2000);
            ping();
            break;
        case 'params':
            stats.paramsPushes++;
            showParams(m.params);
            break;
        case 'control_ack':
            stats.acks++;
            stats.lastAck = m;
            showParams(m.params);
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
        // Every message is 100 ms of audio: the stream's bitrate is its mean size * 8 / 0.1 s.
        received.push(buffer.byteLength);
        if (received.length > 50) {
            received.shift();
        }
        stats.kbps = (received.reduce((sum, n) => sum + n, 0) * 8) / (received.length * 100);
        if (stats.format !== 'opus') {
            sink.pcm(new Int16Array(buffer.slice(headerBytes)));
            return;
        }
        // The chunk's Opus packets, each a little-endian u16 length and its bytes.
        const payload = new Uint8Array(buffer, headerBytes);
        if (payload.length === 0) {
            sink.planar(new Float32Array(4800), new Float32Array(4800)); // an underrun: silence
            return;
        }
        for (let pos = 0, i = 0; pos + 2 <= payload.length; i++) {
            const length = payload[pos] | (payload[pos + 1] << 8);
            pos += 2;
            if (pos + length > payload.length) {
                stats.errors++;
                return;
            }
            decoder.decode(new EncodedAudioChunk({
                type: 'key', timestamp: seq * 100000 + i * 20000, data: payload.subarray(pos, pos + length),
            }));
            pos += length;
        }
    }

    function setTarget(ms) {
        targetMs = ms;
        $('buffer').max = Math.max(3000, ms * 2);
        if (sink) {
            sink.target(ms);
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
        showSliderValues();
        if (event && event.target.id === 'tierSelect') {
            saveSettings();
            send({ type: 'tier', tier: $('tierSelect').value });
            return;
        }
        if (event && PARAMS.includes(event.target.id)) {
            changed.add(event.target.id);
            if (event.target.id === 'preset') {
                // A preset brings its own tempo, intensity and mode: only the preset is sent.
                changed.clear();
                changed.add('preset');
            }
        }
        clearTimeout(controlTimer);
        controlTimer = setTimeout(sendControl, 400);
    }

    // Sends only what the listener changed, so the node's other settings (and a preset's
    // own tempo and intensity) stay as they are.
    function sendControl() {
        if (changed.size === 0) {
            return;
        }
        const c = { type: 'control', id: ++controlId };
        for (const k of changed) {
            c[k] = k === 'bpm' || k === 'intensity' ? Number($(k).value) : $(k).value;
        }
        if (token()) {
            c.token = token(); // for a session that connected before the token was known
        }
        changed.clear();
        lastControl = c;
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
        const kbps = stats.kbps === null ? '' : ` · ${stats.kbps.toFixed(0)} kbit/s`;
        $('format').textContent = stats.format === null ? '–'
            : (stats.format === 'opus' ? 'Opus 48 kHz' : 'PCM 44.1 kHz') + kbps;
        $('path').textContent = stats.path === null ? '–'
            : stats.path === 'worklet' ? 'AudioWorklet' : 'scheduled buffers (not a secure context)';
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
            if (sink) {
                sink.reset();
            }
            if (ctx) {
                await ctx.suspend();
            }
            setState('Stopped.', '');
        }
    }

    // The choices are the node's own (/api/presets): presets, modes, keys, tempo range.
    async function loadChoices() {
        try {
            const c = await (await fetch('/api/presets')).json();
            const fill = (id, names) => {
                const select = $(id);
                const current = select.value;
                select.replaceChildren(...names.map((n) => new Option(n, n)));
                if (names.includes(current)) {
                    select.value = current;
                }
            };
            fill('preset', c.presets.map((p) => p.name));
            fill('mode', c.modes);
            fill('key', c.keys);
            $('bpm').min = c.bpm.min;
            $('bpm').max = c.bpm.max;
            if (stats.params) {
                showParams(stats.params);
            }
        } catch (e) {
            // The built-in lists stay.
        }
    }

    takeTokenFromUrl();
    loadSettings();
    loadChoices();
    $('token-form').addEventListener('submit', useToken);
    $('toggle').addEventListener('click', toggle);
    $('controls').addEventListener('input', scheduleControl);
    $('controls').addEventListener('submit', (e) => e.preventDefault());
})();
