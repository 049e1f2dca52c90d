// Auralis player (AudioWorklet): a jitter buffer of planar float stereo chunks (44.1 kHz PCM,
// or 48 kHz decoded Opus: the rate is given when it is created), played at the
// AudioContext's own rate through a cubic resampler (correct pitch and speed whatever the
// device rate is). It waits until the buffer holds the tier's target before playing, and
// after running dry it re-buffers to the target instead of stuttering.
class AuralisPlayer extends AudioWorkletProcessor {
    constructor(options) {
        super();
        const o = options.processorOptions || {};
        this.inputRate = o.inputRate || 44100;
        this.step = this.inputRate / sampleRate; // input frames per output frame
        this.capacity = this.inputRate * 12;
        this.left = new Float32Array(this.capacity);
        this.right = new Float32Array(this.capacity);
        this.written = 0; // input frames received (monotonic)
        this.read = 0; // fractional read position in input frames
        this.targetFrames = ((o.targetMs || 1000) / 1000) * this.inputRate;
        this.playing = false;
        this.gain = 0; // ramps in after (re)buffering, so playback never starts with a click
        this.underruns = 0;
        this.sumSquares = 0;
        this.samples = 0;
        this.sinceReport = 0;
        this.port.onmessage = (e) => {
            const m = e.data;
            if (m.type === 'planar') {
                this.pushPlanar(m.left, m.right);
            } else if (m.type === 'target') {
                this.targetFrames = (m.targetMs / 1000) * this.inputRate;
            } else if (m.type === 'reset') {
                this.read = this.written;
                this.playing = false;
            }
        };
    }

    pushPlanar(left, right) {
        const frames = left.length;
        const room = this.capacity - 8;
        if (this.written + frames - this.read > room) {
            this.read = this.written + frames - room;
        }
        for (let i = 0; i < frames; i++) {
            const at = (this.written + i) % this.capacity;
            this.left[at] = left[i];
            this.right[at] = right[i];
        }
        this.written += frames;
    }

    sample(channel, pos) {
        const i1 = Math.floor(pos);
        const t = pos - i1;
        const c = this.capacity;
        const y0 = channel[(i1 - 1 + c) % c];
        const y1 = channel[i1 % c];
        const y2 = channel[(i1 + 1) % c];
        const y3 = channel[(i1 + 2) % c];
        // Catmull-Rom cubic through the four neighbours.
        return y1 + 0.5 * t * (y2 - y0 + t * (2 * y0 - 5 * y1 + 4 * y2 - y3 + t * (3 * (y1 - y2) + y3 - y0)));
    }

    process(inputs, outputs) {
        const out = outputs[0];
        const left = out[0];
        const right = out[1] || out[0];
        if (!this.playing && this.written - this.read >= this.targetFrames) {
            this.playing = true;
            this.gain = 0;
        }
        for (let i = 0; i < left.length; i++) {
            if (this.playing && this.written - this.read >= 3) {
                this.gain = Math.min(1, this.gain + 1 / 441); // 10 ms fade-in
                left[i] = this.gain * this.sample(this.left, this.read);
                right[i] = this.gain * this.sample(this.right, this.read);
                this.read += this.step;
            } else {
                if (this.playing) {
                    this.playing = false; // ran dry: wait for the target again
                    this.underruns++;
                }
                left[i] = 0;
                right[i] = 0;
            }
            this.sumSquares += left[i] * left[i] + right[i] * right[i];
            this.samples += 2;
        }
        this.sinceReport += left.length;
        if (this.sinceReport >= sampleRate / 4) {
            this.port.postMessage({
                type: 'stats',
                bufferedMs: Math.max(0, ((this.written - this.read) / this.inputRate) * 1000),
                playing: this.playing,
                underruns: this.underruns,
                rms: Math.sqrt(this.sumSquares / Math.max(1, this.samples)),
                sampleRate,
            });
            this.sinceReport = 0;
            this.sumSquares = 0;
            this.samples = 0;
        }
        return true;
    }
}

registerProcessor('auralis-player', AuralisPlayer);
