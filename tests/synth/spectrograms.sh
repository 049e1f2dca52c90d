#!/usr/bin/env bash
# The spectrograms of docs/sound.md: 120 s of each preset rendered by the public renderer
# (auralis-node render, seed 7, key A) and drawn by SoX (Debian's sox), 0-11 kHz, 90 dB range.
#   tests/synth/spectrograms.sh BUILD_DIR [OUT_DIR=docs/images]
set -euo pipefail
build=${1:?usage: tests/synth/spectrograms.sh BUILD_DIR [OUT_DIR]}
out=${2:-$(cd "$(dirname "$0")/../.." && pwd)/docs/images}
command -v sox >/dev/null || { echo "spectrograms: needs sox (apt-get install sox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for preset in focus meditation sleep bright; do
    "$build/app/auralis-node" render -o "$tmp/$preset.wav" --seconds 120 --seed 7 \
        --preset "$preset" --device cpu >/dev/null
    # Downsampled to 22.05 kHz: the picture shows 0-11 kHz, where the music is.
    sox "$tmp/$preset.wav" -r 22050 "$tmp/$preset-22k.wav"
    sox "$tmp/$preset-22k.wav" -n remix - spectrogram -x 1000 -y 257 -z 90 \
        -t "Auralis: $preset, 120 s (seed 7)" -c "tests/synth/spectrograms.sh" \
        -o "$out/spectrogram-$preset.png"
    echo "spectrograms: $out/spectrogram-$preset.png"
done
