"""A PEP 517 build backend in the standard library alone.

pip builds a package in an isolated environment, into which it first downloads the backend the
package names; setuptools would need a package index. This one is part of the source tree, so
`pip install sdk/python` works offline, on any image with Python 3.10 or later.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

NAME = "tailguard"
VERSION = "0.1.0"
SUMMARY = "Tailguard job handlers in Python: the Node worker claims the jobs, this process runs them"
REQUIRES_PYTHON = ">=3.10"

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / NAME
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
WHEEL_NAME = f"{NAME}-{VERSION}-py3-none-any.whl"


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> str:
    files = {path.relative_to(ROOT).as_posix(): path.read_bytes() for path in _package_files()}
    return _write_wheel(Path(wheel_directory), files)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """A wheel that puts this source tree on sys.path, so edits take effect without reinstalling."""
    return _write_wheel(Path(wheel_directory), {f"{NAME}.pth": f"{ROOT}\n".encode()})


def build_sdist(sdist_directory: str, config_settings: dict[str, object] | None = None) -> str:
    base = f"{NAME}-{VERSION}"
    sources = [ROOT / "pyproject.toml", ROOT / "README.md", Path(__file__), *_package_files()]
    archive = Path(sdist_directory) / f"{base}.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in sources:
            tar.add(path, f"{base}/{path.relative_to(ROOT).as_posix()}")
        _add_bytes(tar, f"{base}/PKG-INFO", _metadata())
    return archive.name


def _package_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed")
    )


def _metadata() -> bytes:
    readme = (ROOT / "README.md").read_text()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        f"Summary: {SUMMARY}\n"
        "License: MIT\n"
        f"Requires-Python: {REQUIRES_PYTHON}\n"
        "Description-Content-Type: text/markdown\n"
        f"\n{readme}"
    ).encode()


def _write_wheel(directory: Path, files: dict[str, bytes]) -> str:
    files = {
        **files,
        f"{DIST_INFO}/METADATA": _metadata(),
        f"{DIST_INFO}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: tailguard _build/backend.py\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ).encode(),
    }
    record = "".join(f"{name},{_digest(data)},{len(data)}\n" for name, data in files.items())
    record += f"{DIST_INFO}/RECORD,,\n"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(directory / WHEEL_NAME, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in {**files, f"{DIST_INFO}/RECORD": record.encode()}.items():
            wheel.writestr(name, data)
    return WHEEL_NAME


def _digest(data: bytes) -> str:
    encoded = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={encoded}"


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
