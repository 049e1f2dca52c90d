#!/usr/bin/env python3
"""Readers for the stream benchmarks (standard library only).

  stream_readers.py http HOST PORT PATH N SECONDS   N concurrent HTTP stream readers (Ogg)
  stream_readers.py ws HOST PORT FORMAT SECONDS     one WebSocket listener (?format=FORMAT)

Prints one JSON line: bytes read, readers still connected at the end, and for ws the audio
messages and their bytes (frame payloads), so bytes per listener-hour can be computed.
"""
import asyncio
import base64
import json
import os
import sys
import time


async def http_reader(host, port, path, seconds, totals):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: bench\r\n\r\n".encode())
    await writer.drain()
    end = time.monotonic() + seconds
    alive = True
    try:
        while time.monotonic() < end:
            data = await asyncio.wait_for(reader.read(65536), timeout=max(0.01, end - time.monotonic()))
            if not data:
                alive = False
                break
            totals["bytes"] += len(data)
    except asyncio.TimeoutError:
        pass
    totals["alive"] += 1 if alive else 0
    writer.close()


async def http_main(host, port, path, n, seconds):
    totals = {"bytes": 0, "alive": 0}
    await asyncio.gather(*(http_reader(host, port, path, seconds, totals) for _ in range(n)))
    totals["readers"] = n
    totals["seconds"] = seconds
    return totals


async def ws_main(host, port, fmt, seconds):
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/stream?format={fmt} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    totals = {"format": fmt, "messages": 0, "bytes": 0, "seconds": seconds}
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            head = await asyncio.wait_for(reader.readexactly(2), timeout=end - time.monotonic())
            opcode = head[0] & 0x0F
            length = head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await reader.readexactly(8), "big")
            payload = await reader.readexactly(length)
            # Audio: binary frames, or JSON text frames of type audio (any spacing).
            if opcode == 2 or (opcode == 1 and json.loads(payload).get("type") == "audio"):
                totals["messages"] += 1
                totals["bytes"] += length + (2 if length < 126 else 4 if length < 65536 else 10)
    except asyncio.TimeoutError:
        pass
    writer.close()
    return totals


def main():
    mode = sys.argv[1]
    if mode == "http":
        host, port, path, n, seconds = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        print(json.dumps(asyncio.run(http_main(host, port, path, n, seconds))))
    elif mode == "ws":
        host, port, fmt, seconds = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
        print(json.dumps(asyncio.run(ws_main(host, port, fmt, seconds))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
