"""The seed benchmark's client-side baseline: pull, transform, push, with the unmodified SDK.

What AIStore's ETL blog post measured before its ETL runs (ais-etl
transformers/tests/local_benchmark/ffmpeg_benchmark.py): a client lists the source bucket and,
on a thread pool, GETs each object, runs ffmpeg on it and PUTs the result to the destination
bucket. The ffmpeg command is the FFmpeg transformer's (transformers/ffmpeg/fastapi_server.py)
with AR=44100 AC=2, so the output matches both the container and the Wasm runs.

Usage: python client_baseline.py ENDPOINT SRC_BUCKET DST_BUCKET [THREADS]
(THREADS defaults to 2 x cores). Prints one JSON line: files, seconds, files_per_s, bytes_out.
"""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from aistore.sdk import Client

FFMPEG = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "pipe:0",
          "-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"]


def convert(src, dst, name):
    data = src.object(name).get_reader().read_all()
    proc = subprocess.run(FFMPEG, input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed on {name}: {proc.stderr.decode()}")
    out_name = name[: -len(".flac")] + ".wav" if name.endswith(".flac") else name
    dst.object(out_name).get_writer().put_content(proc.stdout)
    return len(proc.stdout)


def main():
    endpoint, src_name, dst_name = sys.argv[1:4]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2 * (os.cpu_count() or 1)
    client = Client(endpoint)
    src, dst = client.bucket(src_name), client.bucket(dst_name)
    dst.create(exist_ok=True)
    start = time.monotonic()
    names = [entry.name for entry in src.list_all_objects_iter(props="name")]
    with ThreadPoolExecutor(threads) as pool:
        sizes = list(pool.map(lambda name: convert(src, dst, name), names))
    seconds = time.monotonic() - start
    print(json.dumps({"files": len(names), "seconds": seconds,
                      "files_per_s": len(names) / seconds, "bytes_out": sum(sizes)}))


if __name__ == "__main__":
    main()
