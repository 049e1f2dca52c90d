// The browser listener in a real headless Chromium (Debian's, driven by playwright-core)
// against a node on 127.0.0.1: it loads without console errors, connects and plays (the
// worklet's output is measured), 30+ chunks arrive in order, a control change is acked, the
// page reconnects and plays within 5 s after the node restarts, and the node's /api/status
// shows the page's reports. A screenshot of the playing page is written.
//   AURALIS_NODE_BIN=build/app/auralis-node node --test tests/e2e/player.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const NODE_BIN = process.env.AURALIS_NODE_BIN || 'build/app/auralis-node';
const CHROMIUM = process.env.AURALIS_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.AURALIS_SCREENSHOT_DIR || '.';

async function startNode(port = 0, env = {}, extra = []) {
    const child = spawn(NODE_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--device', 'cpu',
                                   '--log-level', 'warn', '--seed', '7', ...extra],
                        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    for await (const data of child.stdout) {
        out += data;
        const m = out.match(/127\.0\.0\.1:(\d+) /);
        if (m) {
            return { child, port: Number(m[1]) };
        }
    }
    throw new Error(`auralis-node did not start: ${out}`);
}

async function stopNode(node) {
    node.child.kill('SIGTERM');
    const [code] = await once(node.child, 'exit');
    assert.equal(code, 0, 'the node exits 0 on SIGTERM');
}

async function waitFor(page, predicate, timeoutMs, what, arg = null) {
    const started = Date.now();
    try {
        await page.waitForFunction(predicate, arg, { timeout: timeoutMs, polling: 100 });
    } catch (e) {
        const stats = await page.evaluate(() => window.auralis.stats());
        throw new Error(`${what} within ${timeoutMs} ms failed; page stats: ${JSON.stringify(stats)}`);
    }
    return Date.now() - started;
}

test('the web listener plays, controls, reconnects and reports', { timeout: 120_000 }, async () => {
    let node = await startNode();
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const problems = [];
    let restarting = false; // while the node is away on purpose, failed reconnects are expected
    try {
        const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
        page.on('console', (msg) => {
            if (msg.type() === 'error' &&
                !(restarting && /WebSocket connection .* failed.*ERR_CONNECTION_REFUSED/.test(msg.text()))) {
                problems.push(`console: ${msg.text()}`);
            }
        });
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('response', (r) => {
            if (r.status() >= 400) {
                problems.push(`HTTP ${r.status()} for ${r.url()}`);
            }
        });
        const base = `http://127.0.0.1:${node.port}`;
        await page.goto(`${base}/`);
        assert.equal(await page.title(), 'Auralis — listen');
        // Accessible: every control has a label.
        for (const id of ['preset', 'key', 'mode', 'bpm', 'intensity', 'tierSelect']) {
            assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `label for #${id}`);
        }

        await page.getByRole('button', { name: 'Start listening' }).click();
        await waitFor(page, () => window.auralis.stats().connected, 10_000, 'connect');
        await waitFor(page, () => window.auralis.stats().chunks >= 30, 15_000, '30 chunks');
        await waitFor(page, () => { const s = window.auralis.stats(); return s.playing && s.rms > 1e-4; },
                      10_000, 'audible playback');
        let s = await page.evaluate(() => window.auralis.stats());
        assert.ok(s.inOrder, 'chunks arrive in order');
        assert.equal(s.gaps, 0, 'no gap in seq');
        assert.ok(s.rms > 1e-4, `the worklet's output is not silent (rms ${s.rms})`);
        assert.ok(s.sampleRate > 0);
        // On this machine (a secure context) with WebCodecs: Opus, through the worklet.
        assert.equal(s.format, 'opus', 'the page takes Opus where WebCodecs decodes it');
        assert.equal(s.path, 'worklet');
        assert.ok(s.kbps > 60 && s.kbps < 200, `Opus at about 96 kbit/s (${s.kbps})`);
        assert.match(await page.locator('#format').innerText(), /Opus 48 kHz · \d+ kbit\/s/);
        const status0 = await (await fetch(`${base}/api/status`)).json();
        assert.equal(status0.clients.find((c) => c.client_id === s.clientId)?.format, 'opus');
        await page.screenshot({ path: `${SHOTS}/web-listener.png`, fullPage: true });

        // The controls show what the node plays (its welcome), not this browser's memory.
        const presets = await (await fetch(`${base}/api/presets`)).json();
        const sleep = presets.presets.find((p) => p.name === 'sleep');
        assert.deepEqual(await page.$$eval('#preset option', (os) => os.map((o) => o.value)),
                         presets.presets.map((p) => p.name), 'the node\'s presets');
        assert.deepEqual(await page.$$eval('#mode option', (os) => os.map((o) => o.value)), presets.modes);
        const status1 = await (await fetch(`${base}/api/status`)).json();
        assert.equal(await page.inputValue('#preset'), status1.pending_params.preset);
        assert.equal(Number(await page.inputValue('#bpm')), status1.pending_params.bpm);
        // A preset, debounced, is acked by the node and brings its own tempo and intensity.
        await page.selectOption('#preset', 'sleep');
        await waitFor(page, () => window.auralis.stats().acks >= 1, 5_000, 'control_ack');
        s = await page.evaluate(() => window.auralis.stats());
        assert.equal(s.lastAck.params.preset, 'sleep');
        assert.equal(s.lastAck.params.bpm, sleep.bpm, 'the preset\'s own tempo');
        assert.equal(s.lastAck.params.intensity, sleep.intensity, 'the preset\'s own intensity');
        assert.equal(Number(await page.inputValue('#bpm')), sleep.bpm, 'the slider follows');
        assert.match(await page.locator('#control-result').innerText(), /Applied at the next phrase/);
        // Someone else changes the music over HTTP: the page shows it within a second.
        const t0 = Date.now();
        const res = await fetch(`${base}/api/control`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                         body: JSON.stringify({ bpm: 97 }) });
        assert.equal(res.status, 200);
        await waitFor(page, () => document.getElementById('bpm').value === '97', 10_000, 'the page follows');
        console.log(`a change over HTTP showed in the page after ${Date.now() - t0} ms (pushed: params)`);
        assert.equal(await page.inputValue('#preset'), 'sleep', 'a tempo change keeps the preset');

        // The node sees what the page hears: its reports are in /api/status.
        const clientId = s.clientId;
        let report = null;
        for (let i = 0; i < 30 && !report; i++) {
            const status = await (await fetch(`${base}/api/status`)).json();
            report = status.clients.find((c) => c.client_id === clientId)?.report ?? null;
            if (!report) {
                await new Promise((r) => setTimeout(r, 200));
            }
        }
        assert.ok(report, 'the page reports to the node');
        assert.ok(report.buffer_ms >= 0);

        // The node goes away and comes back on the same port: the page reconnects and plays.
        const port = node.port;
        restarting = true;
        await stopNode(node);
        await waitFor(page, () => !window.auralis.stats().connected, 5_000, 'notice the node left');
        assert.match(await page.locator('#state').innerText(), /unreachable|stopping/);
        node = await startNode(port);
        const chunksBefore = (await page.evaluate(() => window.auralis.stats())).chunks;
        const took = await waitFor(page, (before) => {
            const st = window.auralis.stats();
            return st.connected && st.chunks > before + 5 && st.playing && st.rms > 1e-4;
        }, 5_000, 'reconnect and play', chunksBefore);
        assert.ok(took <= 5_000, `reconnected and playing ${took} ms after the node came back`);
        restarting = false;

        assert.deepEqual(problems, [], 'no console errors');
    } finally {
        await browser.close();
        node.child.kill('SIGTERM');
    }
});

test('controls need the operator token where the node has one', { timeout: 60_000 }, async () => {
    const TOKEN = 'e2e-operator-token-0123456789';
    const node = await startNode(0, { AURALIS_CONTROL_TOKEN: TOKEN });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                            args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox',
                                                   '--disable-gpu', '--disable-background-networking'] });
    const problems = [];
    try {
        const base = `http://127.0.0.1:${node.port}`;
        // A listener without the token: listening works, changing the music asks for it.
        const page = await browser.newPage();
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
        await page.goto(`${base}/`);
        await page.getByRole('button', { name: 'Start listening' }).click();
        await waitFor(page, () => window.auralis.stats().chunks >= 5, 10_000, 'listening without a token');
        await page.selectOption('#preset', 'bright');
        await waitFor(page, () => window.auralis.stats().lastError?.code === 'unauthorized', 5_000,
                      'the node refuses the change');
        assert.ok(await page.locator('#token-form').isVisible(), 'the page asks for the token');
        await page.fill('#token', TOKEN);
        await page.getByRole('button', { name: 'Use token' }).click();
        await waitFor(page, () => window.auralis.stats().acks >= 1, 5_000, 'control_ack with the token');
        assert.equal((await page.evaluate(() => window.auralis.stats())).lastAck.params.preset, 'bright');

        // The operator link hands the token over once and leaves the address bar clean.
        const operator = await browser.newPage();
        await operator.goto(`${base}/?token=${TOKEN}`);
        assert.equal(new URL(operator.url()).search, '', 'the token is taken out of the URL');
        assert.equal(await operator.evaluate(() => localStorage.getItem('auralis.token')), TOKEN);
        await operator.getByRole('button', { name: 'Start listening' }).click();
        await waitFor(operator, () => window.auralis.stats().connected, 10_000, 'operator connects');
        await operator.selectOption('#preset', 'sleep');
        await waitFor(operator, () => window.auralis.stats().acks >= 1, 5_000, 'operator control_ack');

        // The page's security headers did not get in its way.
        const res = await fetch(`${base}/`);
        assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
        assert.deepEqual(problems, [], 'no console errors');
    } finally {
        await browser.close();
        node.child.kill('SIGTERM');
    }
});

mkdirSync(SHOTS, { recursive: true });

// Plays and is heard: connected, in order, the output (worklet or analyser) not silent.
async function listenAndHear(page, url) {
    const problems = [];
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(url);
    await page.getByRole('button', { name: 'Start listening' }).click();
    await waitFor(page, () => window.auralis.stats().chunks >= 20, 15_000, '20 chunks');
    await waitFor(page, () => { const s = window.auralis.stats(); return s.playing && s.rms > 1e-4; },
                  10_000, 'audible playback');
    const s = await page.evaluate(() => window.auralis.stats());
    assert.ok(s.inOrder && s.gaps === 0, 'in order, no gaps');
    assert.deepEqual(problems, [], 'no console errors');
    return s;
}

// A node and a headless Chromium for one test, both ended whatever happens.
async function withNodeAndBrowser({ nodeArgs = [], browserArgs = [] }, body) {
    const node = await startNode(0, {}, nodeArgs);
    const browser = await chromium.launch({
        executablePath: CHROMIUM, headless: true,
        args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
               '--disable-background-networking', ...browserArgs],
    });
    try {
        await body(node, browser);
    } finally {
        await browser.close();
        node.child.kill('SIGTERM');
    }
}

test('over plain http from another machine the page still plays', { timeout: 60_000 }, async () => {
    // What a listener on the LAN gets: http://auralis.lan:PORT/, not a secure context, so no
    // AudioWorklet and no WebCodecs. The name resolves to this machine inside Chromium only.
    await withNodeAndBrowser({ nodeArgs: ['--allow-host', 'auralis.lan'],
                               browserArgs: ['--host-resolver-rules=MAP auralis.lan 127.0.0.1'] },
                             async (node, browser) => {
        const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
        const s = await listenAndHear(page, `http://auralis.lan:${node.port}/`);
        assert.equal(await page.evaluate(() => window.isSecureContext), false);
        assert.equal(s.path, 'buffers', 'scheduled AudioBufferSourceNodes');
        assert.equal(s.format, 'binary', 'PCM: no decoder outside a secure context');
        assert.match(await page.locator('#path').innerText(), /not a secure context/);
        await page.screenshot({ path: `${SHOTS}/web-listener-lan.png`, fullPage: true });
    });
});

test('a plain <audio> element plays /stream.ogg', { timeout: 60_000 }, async () => {
    await withNodeAndBrowser({}, async (node, browser) => {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${node.port}/`);
        // The browser's own demuxer and decoder, no code of ours: it must play and keep playing.
        await page.evaluate(() => {
            const audio = document.createElement('audio');
            audio.id = 'ogg';
            audio.src = '/stream.ogg';
            audio.muted = true;
            document.body.append(audio);
            return audio.play();
        });
        await page.waitForFunction(() => document.getElementById('ogg').currentTime > 3, null,
                                   { timeout: 20_000, polling: 200 });
        const a = await page.evaluate(() => {
            const el = document.getElementById('ogg');
            return { error: el.error && el.error.message, paused: el.paused };
        });
        assert.equal(a.error, null);
        assert.equal(a.paused, false);
        const status = await (await fetch(`http://127.0.0.1:${node.port}/api/status`)).json();
        assert.equal(status.http_stream.count, 1, 'counted as a /stream.ogg listener');
    });
});

test('where WebCodecs is missing the page takes PCM', { timeout: 60_000 }, async () => {
    await withNodeAndBrowser({}, async (node, browser) => {
        const page = await browser.newPage();
        await page.addInitScript(() => { delete window.AudioDecoder; });
        const s = await listenAndHear(page, `http://127.0.0.1:${node.port}/`);
        assert.equal(s.format, 'binary');
        assert.equal(s.path, 'worklet');
        assert.ok(Math.abs(s.kbps - 1413.8) < 1, `PCM: 1411 kbit/s and the header (${s.kbps})`);
    });
});

test('the worklet keeps pitch and speed at a 48 kHz device rate', { timeout: 60_000 }, async () => {
    const node = await startNode();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                            args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${node.port}/`);
        // A 1 kHz sine at 44.1 kHz, rendered by the player in a 48 kHz OfflineAudioContext.
        const result = await page.evaluate(async () => {
            const ctx = new OfflineAudioContext(2, 48000 * 3, 48000);
            await ctx.audioWorklet.addModule('/worklet.js');
            const player = new AudioWorkletNode(ctx, 'auralis-player', {
                numberOfInputs: 0, outputChannelCount: [2], processorOptions: { inputRate: 44100, targetMs: 100 },
            });
            player.connect(ctx.destination);
            for (let chunk = 0; chunk < 40; chunk++) {
                const left = new Float32Array(4410);
                for (let i = 0; i < 4410; i++) {
                    left[i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * (chunk * 4410 + i)) / 44100)) / 32768;
                }
                const right = left.slice();
                player.port.postMessage({ type: 'planar', left, right }, [left.buffer, right.buffer]);
            }
            const out = (await ctx.startRendering()).getChannelData(0);
            // The audible part: from the first non-silent sample, one second of it.
            let start = 0;
            while (start < out.length && Math.abs(out[start]) < 1e-3) start++;
            start += 4800; // skip the 10 ms fade-in and some margin
            let crossings = 0;
            for (let i = start + 1; i < start + 48000; i++) {
                if ((out[i - 1] < 0) !== (out[i] < 0)) crossings++;
            }
            let peak = 0;
            for (let i = start; i < start + 48000; i++) peak = Math.max(peak, Math.abs(out[i]));
            return { frequency: crossings / 2, peak, start };
        });
        // Without resampling it would be 1000 * 48000 / 44100 = 1088 Hz.
        assert.ok(Math.abs(result.frequency - 1000) <= 2, `pitch: ${result.frequency} Hz`);
        assert.ok(Math.abs(result.peak - 16000 / 32768) < 0.01, `level: ${result.peak}`);
    } finally {
        await browser.close();
        node.child.kill('SIGTERM');
    }
});
