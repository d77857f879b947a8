"""FFmpeg transformer on the aistore[etl] FastAPI server: ais-etl transformers/FFmpeg/fastapi_server.py.

Env: AC, AR (no defaults: omitted flags keep the input's), CODEC (pcm_s16le), FORMAT (wav),
AUDIO_FILTERS, BR; ETL_DIRECT_FQN=true hands transform() the object's path instead of its bytes.
"""
import os
import subprocess
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

AUDIO_EXTS = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".opus", ".ogg"}


class FFmpegServer(FastAPIServer):
    def __init__(self):
        super().__init__()
        self.format = os.getenv("FORMAT", "wav")
        self.args = []
        if os.getenv("AC"):
            self.args += ["-ac", os.getenv("AC")]
        if os.getenv("AR"):
            self.args += ["-ar", os.getenv("AR")]
        self.args += ["-c:a", os.getenv("CODEC", "pcm_s16le")]
        if os.getenv("AUDIO_FILTERS"):
            self.args += ["-af", os.getenv("AUDIO_FILTERS")]
        if os.getenv("BR"):
            self.args += ["-b:a", os.getenv("BR")]
        self.args += ["-f", self.format, "pipe:1"]

    def transform(self, data, path, _etl_args):
        ext = os.path.splitext(path)[1].lower()
        if ext and ext not in AUDIO_EXTS:
            if isinstance(data, str):
                with open(data, "rb") as f:
                    return f.read()
            return data
        src = data if isinstance(data, str) else "pipe:0"
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", src] + self.args
        stdin = subprocess.DEVNULL if isinstance(data, str) else subprocess.PIPE
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(None if isinstance(data, str) else data)
        if proc.returncode != 0:
            raise RuntimeError(f"FFmpeg process failed: {err.decode()}")
        return out

    def get_mime_type(self):
        return f"audio/{self.format}"


fastapi_app = FFmpegServer().app
