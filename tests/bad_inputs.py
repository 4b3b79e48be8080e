"""A seeded corpus of bad and odd inputs: videos, session streams and session indexes.

    python tests/bad_inputs.py OUT_DIR [--seed N]     (the tests build it themselves)

Each case is a file plus what the coach must do with it:

- ``error``: a one-line message and exit code 1, nothing else (no traceback, no hang);
- ``analysis``: a real analysis, exit code 0 (odd but valid videos: VP9, MJPEG, 10-bit,
  641x479, portrait, rotated, variable frame rate, a single frame, 4K, two people);
- ``nobody``: a readable video with nobody in it: it must say so (exit code 1);
- ``either``: a damaged file that may still decode in part (truncated, bytes flipped): an
  analysis of what decodes or a one-line error, both fine, a traceback never.

Videos are made from the 2.5 s fixture clip (``seated-chair_left_short.mp4``) with ffmpeg and
by byte surgery; the same seed gives the same corpus.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE_CLIP = REPO / "sample_videos" / "seated-chair_left_short.mp4"
GOOD_CLIP = REPO / "sample_videos" / "seated-chair_left_good.mp4"


@dataclass(frozen=True)
class Case:
    kind: str  # "video", "stream" or "index"
    name: str
    path: Path
    expect: str  # "error", "analysis", "nobody", "either" (videos); "load" / "corrupt" / "either" (sessions)


def _ffmpeg(out: Path, *args: str) -> Path:
    # bitexact: no random segment id or writing-application stamp, so the same bytes each build.
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-fflags", "+bitexact", str(out)], check=True,
                   capture_output=True)
    return out


def _png(width: int, height: int, rng: random.Random) -> bytes:
    """A real PNG image (of noise), made without any imaging library."""
    rows = b"".join(b"\x00" + bytes(rng.getrandbits(8) for _ in range(width * 3)) for _ in range(height))
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _patch_duration(data: bytes, seconds: int) -> bytes:
    """An MP4 whose mvhd and tkhd headers claim ``seconds`` of video (the frames stay short)."""
    out = bytearray(data)
    for box in (b"mvhd", b"mdhd"):
        at = out.find(box)
        while at != -1:
            version = out[at + 4]
            if version == 0:
                timescale = struct.unpack(">I", out[at + 16:at + 20])[0]
                out[at + 20:at + 24] = struct.pack(">I", min(2**32 - 1, seconds * timescale))
            at = out.find(box, at + 4)
    return bytes(out)


def video_cases(out: Path, rng: random.Random) -> list[Case]:
    out.mkdir(parents=True, exist_ok=True)
    base = BASE_CLIP.read_bytes()
    cases: list[Case] = []

    def add(name: str, data: bytes | None, expect: str, path: Path | None = None) -> None:
        p = path or out / name
        if data is not None:
            p.write_bytes(data)
        cases.append(Case("video", name, p, expect))

    # Not videos at all.
    add("empty.mp4", b"", "error")
    for n in (1, 4, 8, 12, 32, 100, 1000):
        add(f"tiny-{n}.mp4", base[:n] if n < 12 else bytes(rng.getrandbits(8) for _ in range(n)), "error")
    for i in range(40):
        size = rng.choice([16, 512, 4096, 65536, 300_000])
        add(f"random-{i:02d}.mp4", rng.randbytes(size), "error")
    texts = {"text.mp4": b"this is not a video\n" * 50, "json.mp4": json.dumps({"a": [1, 2]}).encode(),
             "html.mov": b"<!doctype html><html><body>video</body></html>", "csv.avi": b"t,knee\n0,170\n" * 100,
             "pdf.mp4": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
             "zip.mkv": b"PK\x05\x06" + b"\x00" * 18, "gzip.webm": zlib.compress(b"x" * 1000),
             "utf16.mp4": "not a video".encode("utf-16"), "nul.mp4": b"\x00" * 4096,
             "ff.mp4": b"\xff" * 4096}
    for name, data in texts.items():
        add(name, data, "error")
    add("directory.mp4", None, "error", path=(out / "directory.mp4"))
    (out / "directory.mp4").mkdir(exist_ok=True)
    add("missing.mp4", None, "error", path=out / "does-not-exist.mp4")
    # Still images renamed as videos: ffmpeg reads a PNG or JPEG as a one-frame "video" of
    # noise: nobody in it, and the coach must say so.
    add("png-renamed.mp4", _png(64, 48, rng), "nobody")
    _ffmpeg(out / "room.jpg", "-f", "lavfi", "-i", "color=c=0x8899aa:s=320x240:d=0.1", "-frames:v", "1")
    add("jpeg-renamed.mp4", (out / "room.jpg").read_bytes(), "nobody")

    # Audio only.
    _ffmpeg(out / "audio-only.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac")
    add("audio-only.mp4", None, "error", path=out / "audio-only.mp4")
    _ffmpeg(out / "audio-only.webm", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libopus")
    add("audio-only.webm", None, "error", path=out / "audio-only.webm")

    # Odd but valid: the person is there and must be analysed.
    src = ["-i", str(BASE_CLIP)]
    odd = {
        "vp9.webm": [*src, "-c:v", "libvpx-vp9", "-b:v", "400k", "-deadline", "realtime"],
        "mjpeg.avi": [*src, "-c:v", "mjpeg", "-q:v", "5"],
        "h264-10bit.mp4": [*src, "-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-preset", "ultrafast"],
        "yuv444.mp4": [*src, "-c:v", "libx264", "-pix_fmt", "yuv444p", "-preset", "ultrafast"],
        "size-641x479.mkv": [*src, "-vf", "scale=641:479", "-c:v", "ffv1"],
        "portrait-480x640.mp4": [*src, "-vf", "transpose=1", "-c:v", "libx264", "-preset", "ultrafast"],
        "rotated-metadata.mp4": [*src, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
        "vfr.mkv": [*src, "-vf", "setpts='if(lt(N,15),N*0.033,N*0.1)/TB'", "-fps_mode", "vfr", "-c:v", "libx264",
                    "-preset", "ultrafast"],
        "fps-30.mp4": [*src, "-vf", "fps=30", "-c:v", "libx264", "-preset", "ultrafast"],
        "single-frame.mp4": [*src, "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast"],
        "uhd-4k.mp4": [*src, "-t", "0.4", "-vf", "scale=3840:2160", "-c:v", "libx264", "-preset", "ultrafast"],
        "two-people.mp4": [*src, "-filter_complex", "[0:v]split[a][b];[a][b]hstack,scale=1280:480",
                           "-c:v", "libx264", "-preset", "ultrafast"],
        "mpeg4-part2.avi": [*src, "-c:v", "mpeg4"],
        "with-audio.mp4": [*src, "-f", "lavfi", "-i", "sine=duration=2.5", "-c:v", "copy", "-c:a", "aac",
                           "-shortest"],
    }
    for name, args in odd.items():
        try:
            _ffmpeg(out / name, *args)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"could not make {name}: {exc.stderr.decode()[-300:]}") from None
        add(name, None, "analysis", path=out / name)
    # Readable videos with nobody in them.
    _ffmpeg(out / "empty-room.mp4", "-f", "lavfi", "-i", "color=c=0x556677:s=640x480:d=1.5:r=15", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    add("empty-room.mp4", None, "nobody", path=out / "empty-room.mp4")
    _ffmpeg(out / "noise.mp4", "-f", "lavfi", "-i", "nullsrc=s=320x240:d=1:r=15,geq=random(1)*255:128:128",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    add("noise.mp4", None, "nobody", path=out / "noise.mp4")
    # A header that claims three hours.
    add("claims-3-hours.mp4", _patch_duration(base, 3 * 3600), "either")

    # Damaged copies of a real clip: truncated anywhere, bytes flipped anywhere. MP4s written
    # with the index at the end lose it when truncated; faststart ones keep it.
    faststart = _ffmpeg(out / "faststart.mp4", *src, "-c", "copy", "-movflags", "+faststart").read_bytes()
    for i in range(120):
        data = base if i % 2 else faststart
        cut = rng.randrange(1, len(data))
        add(f"truncated-{i:03d}.mp4", data[:cut], "either")
    for i in range(160):
        data = bytearray(base if i % 2 else faststart)
        for _ in range(rng.choice([1, 4, 32, 256])):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        add(f"flipped-{i:03d}.mp4", bytes(data), "either")
    for i in range(20):  # a run of zeros over part of the file (a bad sector)
        data = bytearray(faststart)
        at, size = rng.randrange(len(data)), rng.choice([512, 4096, 32768])
        data[at:at + size] = bytes(len(data[at:at + size]))
        add(f"zeroed-{i:02d}.mp4", bytes(data), "either")
    return cases


def _good_stream_lines(rng: random.Random, frames: int = 30) -> list[dict]:
    meta = {"type": "meta", "schema": "coach.session/1", "session": "x", "started_at": "2026-12-01T10:00:00+00:00",
            "exercise": "seated-chair", "side": "left", "source": "live", "settings": {"hold_s": 30}}
    lines: list[dict] = [meta]
    for i in range(frames):
        lines.append({"type": "frame", "t": i / 15, "phase": "holding", "knee_angle": 170 + rng.random()})
    lines.append({"type": "event", "t": 1.0, "kind": "hold_started", "side": "left"})
    lines.append({"type": "event", "t": 1.5, "kind": "warning_started", "check": "hip_hinge", "message": "m"})
    lines.append({"type": "event", "t": 1.8, "kind": "warning_ended", "check": "hip_hinge"})
    lines.append({"type": "event", "t": 2.0, "kind": "hold_completed", "side": "left", "duration": 1.0})
    return lines


def stream_cases(out: Path, rng: random.Random) -> list[Case]:
    """Session folders (a stream.jsonl each) to be found in a data folder by the store."""
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    odd_values = [None, "abc", "", [], {}, -1, 1e308, float("nan"), True, "1.5", 2**70]

    def add(name: str, raw: bytes, expect: str) -> None:
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stream.jsonl").write_bytes(raw)
        cases.append(Case("stream", name, folder, expect))

    def encode(lines: list) -> bytes:
        return b"".join(json.dumps(x, allow_nan=True).encode() + b"\n" for x in lines)

    good = encode(_good_stream_lines(rng))
    add("good", good, "load")
    add("empty", b"", "corrupt")
    add("no-newline", good.rstrip(b"\n"), "either")
    for i in range(30):
        add(f"truncated-{i:02d}", good[:rng.randrange(1, len(good))], "either")
    for i in range(30):
        data = bytearray(good)
        for _ in range(rng.choice([1, 3, 10])):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        add(f"flipped-{i:02d}", bytes(data), "either")
    add("random", rng.randbytes(5000), "corrupt")
    add("not-json", b"hello\nworld\n", "corrupt")
    add("json-list", b"[1,2,3]\n", "corrupt")
    add("no-meta", encode(_good_stream_lines(rng)[1:]), "corrupt")
    add("meta-not-first", encode(_good_stream_lines(rng)[1:3] + _good_stream_lines(rng)[:1]), "corrupt")
    add("garbage-middle", good[:200] + b"\n{{{not json\n" + good[200:], "either")
    add("crlf", good.replace(b"\n", b"\r\n"), "either")
    add("utf16", good.decode().encode("utf-16"), "corrupt")
    add("huge-line", encode(_good_stream_lines(rng)[:1]) + b'{"type":"frame","t":0,"x":"' + b"a" * 2_000_000 + b'"}\n',
        "either")
    # Records of the right shape with wrong values in every field the reader folds.
    for field in ("t", "kind", "duration", "check", "side", "start", "message"):
        for value in odd_values:
            lines = _good_stream_lines(rng)
            for rec in lines:
                if rec["type"] == "event":
                    rec[field] = value
            add(f"event-{field}-{type(value).__name__}-{odd_values.index(value)}", encode(lines), "either")
    for field in ("type", "t", "started_at", "exercise", "side", "source", "settings", "session"):
        for value in odd_values:
            lines = _good_stream_lines(rng)
            target = lines[0] if field not in ("t",) else lines[1]
            target[field] = value
            add(f"record-{field}-{type(value).__name__}-{odd_values.index(value)}", encode(lines), "either")
    return cases


def index_cases(out: Path, rng: random.Random, template: Path) -> list[Case]:
    """Damaged ``sessions.db`` files; ``template`` is a real one with a session in it."""
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    data = template.read_bytes()

    def add(name: str, raw: bytes) -> None:
        path = out / f"{name}.db"
        path.write_bytes(raw)
        cases.append(Case("index", name, path, "either"))

    add("empty", b"")
    add("random", rng.randbytes(8192))
    add("text", b"not a database\n" * 100)
    add("header-zeroed", bytes(100) + data[100:])
    for i in range(12):
        add(f"truncated-{i:02d}", data[:rng.randrange(1, len(data))])
    for i in range(16):
        raw = bytearray(data)
        for _ in range(rng.choice([1, 8, 64])):
            raw[rng.randrange(len(raw))] = rng.getrandbits(8)
        add(f"flipped-{i:02d}", bytes(raw))
    # Valid SQLite, wrong contents.
    for name, sql in {"other-schema": "CREATE TABLE t (x)", "newer-version": "PRAGMA user_version=99",
                      "sessions-wrong-columns": "CREATE TABLE sessions (id TEXT)"}.items():
        path = out / f"{name}.db"
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as conn:
            conn.execute(sql)
        conn.close()
        cases.append(Case("index", name, path, "either"))
    return cases


def template_index(out: Path) -> Path:
    """A real sessions.db with one recorded session (made through the store)."""
    from coach.store.sessions import SessionStore

    store = SessionStore(out)
    with store.start_session("seated-chair", "left", "live", {"hold_s": 30}) as writer:
        for rec in _good_stream_lines(random.Random(0))[1:]:
            writer.append(rec)
    store.close()
    # The same bytes on every build (the id and times would otherwise be today's), so that
    # the same seed flips the same bytes of the same file.
    path = out / "sessions.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=OFF")
    fixed = "20261201-100000-abcd"
    conn.execute("UPDATE sessions SET id = ?, started_at = '2026-12-01T10:00:00+00:00', "
                 "ended_at = '2026-12-01T10:00:05+00:00'", (fixed,))
    conn.execute("UPDATE holds SET session_id = ?", (fixed,))
    conn.execute("UPDATE warnings SET session_id = ?", (fixed,))
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()
    return path


def build(out: Path, seed: int = 20261202) -> list[Case]:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    cases = video_cases(out / "videos", rng)
    cases += stream_cases(out / "streams", rng)
    cases += index_cases(out / "indexes", rng, template_index(out / "template"))
    return cases


if __name__ == "__main__":
    dest = Path(sys.argv[1])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20261202
    built = build(dest, seed)
    counts: dict[str, int] = {}
    for c in built:
        counts[f"{c.kind}/{c.expect}"] = counts.get(f"{c.kind}/{c.expect}", 0) + 1
    print(f"{len(built)} cases in {dest}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
