"""What the wheel and the sdist must contain (issue 22): type information, licence, notices.

Usage: python check_wheel_contents.py WHEEL SDIST. Prints the size of the extension module
and fails when it still carries a symbol table (an unstripped build).
``python check_wheel_contents.py --same-files WHEEL OTHER``: both wheels install the same
files (e.g. the release wheel and the one built from the sdist).
"""

from __future__ import annotations

import struct
import sys
import tarfile
import zipfile

WHEEL_FILES = [
    "clmkit/__init__.py",
    "clmkit/py.typed",
    "clmkit/_core.pyi",
    "clmkit/datasets/NOTICE",
    "clmkit/datasets/data/CDNOW_sample.txt",
]
SDIST_FILES = [
    "LICENSE",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "src/lib.rs",
    "python/clmkit/__init__.py",
    "python/clmkit/py.typed",
    "python/clmkit/_core.pyi",
    "python/clmkit/datasets/NOTICE",
]


def elf_section_names(data: bytes) -> list[str]:
    """Section names of a little-endian ELF64 file (the System V gABI header layout)."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [data[shoff + i * shentsize : shoff + (i + 1) * shentsize] for i in range(shnum)]
    names_offset = struct.unpack_from("<Q", headers[shstrndx], 0x18)[0]
    names = []
    for header in headers:
        start = names_offset + struct.unpack_from("<I", header, 0)[0]
        names.append(data[start : data.index(b"\0", start)].decode())
    return names


def main(wheel: str, sdist: str) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        missing = [f for f in WHEEL_FILES if f not in names]
        assert not missing, f"not in the wheel: {missing}"
        licences = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert licences, "no LICENSE in the wheel's .dist-info/licenses/"
        metadata = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        for field in (b"License-Expression: MIT", b"License-File: LICENSE", b"Project-URL: "):
            assert field in metadata, f"METADATA lacks {field.decode()!r}"
        (so,) = [n for n in names if n.startswith("clmkit/_core") and n.endswith(".so")]
        binary = whl.read(so)
    sections = elf_section_names(binary)
    assert ".symtab" not in sections, f"{so} is not stripped (it has a .symtab)"
    assert not any(s.startswith(".debug") for s in sections), f"{so} has debug sections"
    print(f"wheel contents OK: {so} {len(binary):,} bytes, stripped; {len(names)} files")
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    missing = [f for f in SDIST_FILES if f not in members]
    assert not missing, f"not in the sdist: {missing}"
    print(f"sdist contents OK: {len(members)} files")


def installed_files(wheel: str) -> set[str]:
    with zipfile.ZipFile(wheel) as whl:
        return {n for n in whl.namelist() if ".dist-info/" not in n}


def same_files(wheel: str, other: str) -> None:
    a, b = installed_files(wheel), installed_files(other)
    assert a == b, f"only in {wheel}: {sorted(a - b)}; only in {other}: {sorted(b - a)}"
    print(f"same {len(a)} files in both wheels")


if __name__ == "__main__":
    if sys.argv[1] == "--same-files":
        same_files(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
