// CUDA renderer: the dsp.h math in kernels per window: voices per frame, the segmented pad
// filter, the reverb input and its low cut (segmented), three diffuser stages per frame, the
// block-parallel delay network. Every runtime call is checked; errors return to the caller.
#include "synth/cuda/cuda_renderer.h"
#include "synth/music.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace auralis::synth::cuda {

namespace {

constexpr int kVoiceThreads = 256;
constexpr int kMaxCoef = kMaxPhraseFrames / dsp::kControlBlock + 1;
constexpr std::size_t kFilterFloats = 6; // RenderState::filter, then RenderState::lowCut

// Every launch must fit the hardware's limits (1024 threads per block, 48 KiB of static and
// default dynamic shared memory), or it fails at run time on the first GPU it meets.
static_assert(kVoiceThreads > 0 && kVoiceThreads <= 1024, "voicesKernel block too large");
static_assert(dsp::kFilterSegments > 0 && dsp::kFilterSegments <= 1024,
              "filterKernel runs one thread per segment");
static_assert(dsp::kReverbBlock > 0 && dsp::kReverbBlock <= 1024,
              "reverbKernel runs one thread per frame of a block");
static_assert(sizeof(dsp::Note) * kMaxWindowNotes <= 48 * 1024,
              "voicesKernel stages every note of a window in shared memory");
static_assert(dsp::kFilterSegments * (sizeof(dsp::SegmentSummary) + sizeof(float)) <= 48 * 1024,
              "filterKernel's shared arrays");

std::string describe(cudaError_t e, const char* call, const char* file, int line) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s:%d: %s: %s (%s)", file, line, call, cudaGetErrorName(e),
                  cudaGetErrorString(e));
    return buf;
}

#define AURALIS_CUDA_TRY(call)                                                                     \
    do {                                                                                           \
        const cudaError_t e_ = (call);                                                             \
        if (e_ != cudaSuccess) {                                                                   \
            return fail(describe(e_, #call, __FILE__, __LINE__));                                  \
        }                                                                                          \
    } while (0)

// ---- kernels --------------------------------------------------------------------------

__global__ void probeKernel(int* out) {
    *out = 42;
}

// One thread per frame: the frame's notes, added in list order into six buses.
__global__ void voicesKernel(const dsp::Note* __restrict__ notes, int noteCount, std::int64_t start,
                             int frames, const float* __restrict__ tables,
                             dsp::Mix6* __restrict__ bus) {
    extern __shared__ dsp::Note sNotes[];
    for (int j = threadIdx.x; j < noteCount; j += blockDim.x) {
        sNotes[j] = notes[j];
    }
    __syncthreads();
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= frames) {
        return;
    }
    const std::int64_t n = start + i;
    dsp::Mix6 m{};
    for (int j = 0; j < noteCount; ++j) {
        const dsp::Note& note = sNotes[j];
        if (n >= note.start && n < dsp::noteEnd(note)) {
            dsp::addContribution(m, note, dsp::noteSample(note, n, tables));
        }
    }
    bus[i] = m;
}

// One one-pole pass over `frames` frames of x (read with `stride`) into y as a segmented scan,
// one thread per segment of the block: summaries, a scan from `state`, the segments re-run
// from their true starts; `state` becomes the last value. Returns this thread's segment.
__device__ void segmentedOnePole(const float* x, int stride, float* y, const float* coef,
                                 int frames, float& state, std::int32_t& from, std::int32_t& to) {
    __shared__ dsp::SegmentSummary sSeg[dsp::kFilterSegments];
    __shared__ float sStart[dsp::kFilterSegments];
    const int seg = threadIdx.x;
    dsp::segmentBounds(frames, dsp::kFilterSegments, seg, from, to);
    sSeg[seg] = dsp::onePoleSummary(x, stride, coef, from, to);
    __syncthreads();
    if (seg == 0) {
        dsp::onePoleScan(sSeg, sStart, dsp::kFilterSegments, state);
    }
    __syncthreads();
    const float last = dsp::onePoleApply(x, stride, y, coef, from, to, sStart[seg]);
    if (from < to && to == frames) {
        state = last;
    }
    __syncthreads(); // y complete, and the shared arrays free for the next pass
}

// Both one-pole stages of one channel (blockIdx.x) as segmented scans. Stage 2 reads `pad`,
// which stage 1 wrote in this same launch: no pointer here may be __restrict__ (that allows
// read-only-cache loads, ld.global.nc, of data written by the launch: undefined).
__global__ void filterKernel(const dsp::Mix6* bus, const float* coef, int frames, float* state,
                             float* pad) {
    const int ch = blockIdx.x;
    std::int32_t from = 0;
    std::int32_t to = 0;
    float* y = pad + static_cast<std::int64_t>(ch) * frames;
    // Stage 1 reads the bus (stride: one Mix6), stage 2 reads stage 1's output in place.
    segmentedOnePole(reinterpret_cast<const float*>(bus) + ch,
                     static_cast<int>(sizeof(dsp::Mix6) / sizeof(float)), y, coef, frames,
                     state[ch * 2], from, to);
    segmentedOnePole(y, 1, y, coef, frames, state[ch * 2 + 1], from, to);
}

// One thread per frame and channel (blockIdx.y): the reverb's input, after the
// dsp::kDiffuseHistory frames of history that each channel's row of `input` starts with.
__global__ void reverbInputKernel(const dsp::Mix6* __restrict__ bus, const float* __restrict__ pad,
                                  int frames, float padSend, float* __restrict__ input) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= frames) {
        return;
    }
    const int ch = blockIdx.y;
    const dsp::Mix6 m = bus[i];
    const float send = ch == 0 ? m.sendL : m.sendR;
    input[static_cast<std::int64_t>(ch) * (dsp::kDiffuseHistory + frames) + dsp::kDiffuseHistory +
          i] = send + padSend * pad[static_cast<std::int64_t>(ch) * frames + i];
}

// The reverb input minus its one-pole low-pass, per channel (blockIdx.x) as a segmented
// scan like filterKernel's; `low` is scratch for the low-pass (one row per channel) and
// `coef` holds reverb.lowCut for every control block. In place: nothing is __restrict__.
__global__ void lowCutKernel(float* input, int frames, const float* coef, float* low,
                             float* state) {
    const int ch = blockIdx.x;
    float* x = input + static_cast<std::int64_t>(ch) * (dsp::kDiffuseHistory + frames) +
               dsp::kDiffuseHistory;
    float* y = low + static_cast<std::int64_t>(ch) * frames;
    std::int32_t from = 0;
    std::int32_t to = 0;
    segmentedOnePole(x, 1, y, coef, frames, state[ch], from, to);
    for (std::int32_t i = from; i < to; ++i) { // this thread's own segment
        x[i] = x[i] - y[i];
    }
}

__global__ void fillKernel(float* out, int count, float value) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        out[i] = value;
    }
}

// One thread per frame and channel: diffuser stage `stage`, reading its input row and
// writing the next stage's row (after its history) or, for the last stage, `diffused`.
// `input` and `out` may be the same buffer (other rows): neither pointer is __restrict__.
__global__ void diffuseKernel(const float* input, int frames, int stage, dsp::ReverbConfig reverb,
                              float* out) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= frames) {
        return;
    }
    const int ch = blockIdx.y;
    const std::int64_t row = dsp::kDiffuseHistory + frames;
    const float* in = input + (stage * 2 + ch) * row + dsp::kDiffuseHistory;
    const float v =
        dsp::diffuseSample(in, i, reverb.diffuseOffset[stage][ch], reverb.diffuseGain[stage][ch]);
    if (stage + 1 < dsp::kDiffuseStages) {
        out[((stage + 1) * 2 + ch) * row + dsp::kDiffuseHistory + i] = v;
    } else {
        out[static_cast<std::int64_t>(ch) * frames + i] = v;
    }
}

// One block walks the phrase in blocks of dsp::kReverbBlock frames, a thread per frame.
__global__ void reverbKernel(const dsp::Mix6* __restrict__ bus, const float* __restrict__ pad,
                             const float* __restrict__ diffused, float* __restrict__ ring,
                             std::int64_t start, int frames, dsp::ReverbConfig reverb,
                             dsp::MixConfig mix, float* __restrict__ outL,
                             float* __restrict__ outR) {
    const float* padL = pad;
    const float* padR = pad + frames;
    for (int b0 = 0; b0 < frames; b0 += dsp::kReverbBlock) {
        const int i = b0 + threadIdx.x;
        if (i < frames) {
            const dsp::Mix6 m = bus[i];
            const dsp::Stereo rev =
                dsp::reverbSample(ring, start + i, diffused[i], diffused[frames + i], reverb);
            outL[i] = dsp::masterSample(m.dryL, padL[i], rev.l, mix);
            outR[i] = dsp::masterSample(m.dryR, padR[i], rev.r, mix);
        }
        __syncthreads(); // this block's ring writes are visible to the next block
    }
}

// ---- renderer -------------------------------------------------------------------------

class CudaRenderer final : public Renderer {
public:
    explicit CudaRenderer(int device) : m_device(device) {}
    ~CudaRenderer() override { release(); }
    CudaRenderer(const CudaRenderer&) = delete;
    CudaRenderer& operator=(const CudaRenderer&) = delete;

    const char* kind() const override { return "cuda"; }
    std::string deviceName() const override { return m_name; }
    std::uint64_t gpuBytesAllocated() const override { return m_allocated; }
    std::uint64_t gpuBytesTotal() const override { return m_total; }

    // Allocates everything once; an empty string means success.
    std::string init() {
        RenderStatus st = allocate();
        return st.ok ? std::string() : st.error;
    }

    RenderStatus render(const RenderJob& job, RenderState& state, float* outL,
                        float* outR) override {
        if (job.frames <= 0 || job.frames > kMaxPhraseFrames) {
            return fail("render job: frames out of range (1.." + std::to_string(kMaxPhraseFrames) +
                        "): " + std::to_string(job.frames));
        }
        if (job.noteCount < 0 || job.noteCount > kMaxWindowNotes ||
            (job.noteCount > 0 && job.notes == nullptr)) {
            return fail("render job: note count out of range (0.." +
                        std::to_string(kMaxWindowNotes) + "): " + std::to_string(job.noteCount));
        }
        // The filter reads coefficient (frame >> kControlBits) for every frame of the window.
        const int coefNeeded = ((job.frames - 1) >> dsp::kControlBits) + 1;
        if (job.coefCount < coefNeeded || job.coefCount > kMaxCoef || job.filterCoef == nullptr) {
            return fail("render job: " + std::to_string(job.coefCount) +
                        " filter coefficients for " + std::to_string(job.frames) +
                        " frames (needs " + std::to_string(coefNeeded) + ".." +
                        std::to_string(kMaxCoef) + ")");
        }
        if (outL == nullptr || outR == nullptr) {
            return fail("render job: missing output buffers");
        }
        const std::size_t frames = static_cast<std::size_t>(job.frames);
        AURALIS_CUDA_TRY(cudaSetDevice(m_device));

        std::memcpy(m_hNotes, job.notes,
                    sizeof(dsp::Note) * static_cast<std::size_t>(job.noteCount));
        std::memcpy(m_hCoef, job.filterCoef,
                    sizeof(float) * static_cast<std::size_t>(job.coefCount));
        std::memcpy(m_hRing, state.reverbRing.data(), sizeof(float) * dsp::kRingFloats);
        std::memcpy(m_hFilter, state.filter, sizeof state.filter); // then the low cut's two
        std::memcpy(m_hFilter + 4, state.lowCut, sizeof state.lowCut);
        std::memcpy(m_hInput, state.reverbInput.data(), sizeof state.reverbInput);
        constexpr std::size_t kHistory = dsp::kDiffuseHistory;
        const std::size_t row = kHistory + frames; // one stage's channel in m_dInput
        constexpr std::size_t kRows = 2 * dsp::kDiffuseStages;

        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_dNotes, m_hNotes, sizeof(dsp::Note) * job.noteCount,
                                         cudaMemcpyHostToDevice, m_stream));
        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_dCoef, m_hCoef, sizeof(float) * job.coefCount,
                                         cudaMemcpyHostToDevice, m_stream));
        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_dRing, m_hRing, sizeof(float) * dsp::kRingFloats,
                                         cudaMemcpyHostToDevice, m_stream));
        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_dFilter, m_hFilter, sizeof(float) * kFilterFloats,
                                         cudaMemcpyHostToDevice, m_stream));
        for (std::size_t r = 0; r < kRows; ++r) {
            AURALIS_CUDA_TRY(cudaMemcpyAsync(m_dInput + r * row, m_hInput + r * kHistory,
                                             sizeof(float) * kHistory, cudaMemcpyHostToDevice,
                                             m_stream));
        }

        const int blocks = (job.frames + kVoiceThreads - 1) / kVoiceThreads;
        const std::size_t shared = sizeof(dsp::Note) * static_cast<std::size_t>(job.noteCount);
        voicesKernel<<<blocks, kVoiceThreads, shared, m_stream>>>(
            m_dNotes, job.noteCount, job.start, job.frames, m_dTables, m_dBus);
        AURALIS_CUDA_TRY(cudaGetLastError());
        filterKernel<<<2, dsp::kFilterSegments, 0, m_stream>>>(m_dBus, m_dCoef, job.frames,
                                                               m_dFilter, m_dPad);
        AURALIS_CUDA_TRY(cudaGetLastError());
        const dim3 perChannel(static_cast<unsigned>(blocks), 2);
        reverbInputKernel<<<perChannel, kVoiceThreads, 0, m_stream>>>(m_dBus, m_dPad, job.frames,
                                                                      job.mix.padSend, m_dInput);
        AURALIS_CUDA_TRY(cudaGetLastError());
        fillKernel<<<(job.coefCount + kVoiceThreads - 1) / kVoiceThreads, kVoiceThreads, 0,
                     m_stream>>>(m_dLowCoef, job.coefCount, job.reverb.lowCut);
        AURALIS_CUDA_TRY(cudaGetLastError());
        lowCutKernel<<<2, dsp::kFilterSegments, 0, m_stream>>>(m_dInput, job.frames, m_dLowCoef,
                                                               m_dDiffused, m_dFilter + 4);
        AURALIS_CUDA_TRY(cudaGetLastError());
        for (int stage = 0; stage < dsp::kDiffuseStages; ++stage) {
            // A stage reads the rows the one before wrote: in-place is safe across launches.
            float* out = stage + 1 < dsp::kDiffuseStages ? m_dInput : m_dDiffused;
            diffuseKernel<<<perChannel, kVoiceThreads, 0, m_stream>>>(m_dInput, job.frames, stage,
                                                                      job.reverb, out);
            AURALIS_CUDA_TRY(cudaGetLastError());
        }
        reverbKernel<<<1, dsp::kReverbBlock, 0, m_stream>>>(m_dBus, m_dPad, m_dDiffused, m_dRing,
                                                            job.start, job.frames, job.reverb,
                                                            job.mix, m_dOut, m_dOut + frames);
        AURALIS_CUDA_TRY(cudaGetLastError());

        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_hOut, m_dOut, sizeof(float) * 2 * frames,
                                         cudaMemcpyDeviceToHost, m_stream));
        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_hRing, m_dRing, sizeof(float) * dsp::kRingFloats,
                                         cudaMemcpyDeviceToHost, m_stream));
        AURALIS_CUDA_TRY(cudaMemcpyAsync(m_hFilter, m_dFilter, sizeof(float) * kFilterFloats,
                                         cudaMemcpyDeviceToHost, m_stream));
        for (std::size_t r = 0; r < kRows; ++r) { // the last kHistory frames of each row
            AURALIS_CUDA_TRY(cudaMemcpyAsync(m_hInput + r * kHistory, m_dInput + r * row + frames,
                                             sizeof(float) * kHistory, cudaMemcpyDeviceToHost,
                                             m_stream));
        }
        AURALIS_CUDA_TRY(cudaStreamSynchronize(m_stream));

        // Only a fully successful window touches the caller's state and output.
        std::memcpy(outL, m_hOut, sizeof(float) * frames);
        std::memcpy(outR, m_hOut + frames, sizeof(float) * frames);
        std::memcpy(state.reverbRing.data(), m_hRing, sizeof(float) * dsp::kRingFloats);
        std::memcpy(state.filter, m_hFilter, sizeof state.filter);
        std::memcpy(state.lowCut, m_hFilter + 4, sizeof state.lowCut);
        std::memcpy(state.reverbInput.data(), m_hInput, sizeof state.reverbInput);
        return {};
    }

private:
    static RenderStatus fail(std::string message) { return {false, std::move(message)}; }

    template <class T>
    RenderStatus deviceAlloc(T*& ptr, std::size_t count) {
        AURALIS_CUDA_TRY(cudaMalloc(reinterpret_cast<void**>(&ptr), sizeof(T) * count));
        m_allocated += sizeof(T) * count;
        return {};
    }
    template <class T>
    RenderStatus hostAlloc(T*& ptr, std::size_t count) {
        AURALIS_CUDA_TRY(cudaMallocHost(reinterpret_cast<void**>(&ptr), sizeof(T) * count));
        return {};
    }

    RenderStatus allocate() {
        AURALIS_CUDA_TRY(cudaSetDevice(m_device));
        cudaDeviceProp prop{};
        AURALIS_CUDA_TRY(cudaGetDeviceProperties(&prop, m_device));
        m_name = prop.name;
        std::size_t freeBytes = 0;
        std::size_t totalBytes = 0;
        AURALIS_CUDA_TRY(cudaMemGetInfo(&freeBytes, &totalBytes));
        m_total = totalBytes;
        AURALIS_CUDA_TRY(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));

        const std::size_t maxFrames = kMaxPhraseFrames;
        for (RenderStatus st :
             {deviceAlloc(m_dNotes, kMaxWindowNotes), deviceAlloc(m_dTables, dsp::kTableFloats),
              deviceAlloc(m_dCoef, kMaxCoef), deviceAlloc(m_dBus, maxFrames),
              deviceAlloc(m_dPad, 2 * maxFrames), deviceAlloc(m_dOut, 2 * maxFrames),
              deviceAlloc(m_dRing, dsp::kRingFloats), deviceAlloc(m_dFilter, kFilterFloats),
              deviceAlloc(m_dLowCoef, kMaxCoef),
              deviceAlloc(m_dInput, 2 * dsp::kDiffuseStages * (dsp::kDiffuseHistory + maxFrames)),
              deviceAlloc(m_dDiffused, 2 * maxFrames),
              hostAlloc(m_hInput, 2 * dsp::kDiffuseStages * dsp::kDiffuseHistory),
              hostAlloc(m_hNotes, kMaxWindowNotes), hostAlloc(m_hCoef, kMaxCoef),
              hostAlloc(m_hOut, 2 * maxFrames), hostAlloc(m_hRing, dsp::kRingFloats),
              hostAlloc(m_hFilter, kFilterFloats)}) {
            if (!st.ok) {
                return st;
            }
        }
        AURALIS_CUDA_TRY(cudaMemcpy(m_dTables, wavetables(), sizeof(float) * dsp::kTableFloats,
                                    cudaMemcpyHostToDevice));
        return {};
    }

    void release() {
        // Best effort at teardown: errors here have no one left to report to.
        cudaFree(m_dNotes);
        cudaFree(m_dTables);
        cudaFree(m_dCoef);
        cudaFree(m_dBus);
        cudaFree(m_dPad);
        cudaFree(m_dOut);
        cudaFree(m_dRing);
        cudaFree(m_dFilter);
        cudaFree(m_dInput);
        cudaFree(m_dLowCoef);
        cudaFree(m_dDiffused);
        cudaFreeHost(m_hInput);
        cudaFreeHost(m_hNotes);
        cudaFreeHost(m_hCoef);
        cudaFreeHost(m_hOut);
        cudaFreeHost(m_hRing);
        cudaFreeHost(m_hFilter);
        if (m_stream != nullptr) {
            cudaStreamDestroy(m_stream);
        }
    }

    int m_device;
    std::string m_name;
    std::uint64_t m_allocated = 0;
    std::uint64_t m_total = 0;
    cudaStream_t m_stream = nullptr;
    dsp::Note* m_dNotes = nullptr;
    float* m_dTables = nullptr;
    float* m_dCoef = nullptr;
    dsp::Mix6* m_dBus = nullptr;
    float* m_dPad = nullptr;
    float* m_dOut = nullptr;
    float* m_dRing = nullptr;
    float* m_dFilter = nullptr;
    float* m_dInput = nullptr;    // per diffuser stage and channel: history, then the window
    float* m_dDiffused = nullptr; // per channel: the window's diffused reverb input
    float* m_dLowCoef = nullptr;  // reverb.lowCut per control block
    float* m_hInput = nullptr;    // the histories (RenderState::reverbInput)
    dsp::Note* m_hNotes = nullptr;
    float* m_hCoef = nullptr;
    float* m_hOut = nullptr;
    float* m_hRing = nullptr;
    float* m_hFilter = nullptr;
};

} // namespace

Probe probe() {
    Probe p;
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        p.reason = "no driver (cudaErrorInsufficientDriver)";
        return p;
    }
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        p.reason = "no device";
        return p;
    }
    if (e != cudaSuccess) {
        p.reason = std::string("CUDA unavailable: ") + cudaGetErrorName(e);
        return p;
    }
    cudaDeviceProp prop{};
    if (const cudaError_t pe = cudaGetDeviceProperties(&prop, 0); pe != cudaSuccess) {
        p.reason = std::string("cannot query device 0: ") + cudaGetErrorName(pe);
        return p;
    }
    p.device = 0;
    p.name = prop.name;
    p.totalBytes = prop.totalGlobalMem;
    // Run a tiny kernel: proves the driver, the context and a kernel image for this GPU.
    int* d = nullptr;
    int host = 0;
    cudaError_t ke = cudaSetDevice(0);
    if (ke == cudaSuccess) {
        ke = cudaMalloc(reinterpret_cast<void**>(&d), sizeof(int));
    }
    if (ke == cudaSuccess) {
        probeKernel<<<1, 1>>>(d);
        ke = cudaGetLastError();
    }
    if (ke == cudaSuccess) {
        ke = cudaMemcpy(&host, d, sizeof(int), cudaMemcpyDeviceToHost);
    }
    if (d != nullptr) {
        cudaFree(d);
    }
    if (ke != cudaSuccess || host != 42) {
        p.reason = std::string(prop.name) + " cannot run the kernels: " +
                   (ke != cudaSuccess ? cudaGetErrorName(ke) : "wrong probe result");
        return p;
    }
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s (compute %d.%d, %.1f GiB)", prop.name, prop.major,
                  prop.minor, static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024 * 1024));
    p.reason = buf;
    p.usable = true;
    return p;
}

std::unique_ptr<Renderer> makeRenderer(int device, std::string& error) {
    auto r = std::make_unique<CudaRenderer>(device);
    error = r->init();
    if (!error.empty()) {
        return nullptr;
    }
    return r;
}

} // namespace auralis::synth::cuda
