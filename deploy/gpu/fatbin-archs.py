#!/usr/bin/env python3
"""Lists the GPU code a CUDA shared library carries, without the CUDA toolkit.

Usage: deploy/gpu/fatbin-archs.py LIB.so [--verbose]

nvcc embeds device code in the ELF section .nv_fatbin: a sequence of fat binaries, each a 16-byte
header (magic 0xBA55ED50, version, header size, payload size) followed by entries. Each entry's
header records its kind (1 = PTX, 2 = ELF cubin), the target architecture (e.g. 75 = sm_75 for a
cubin, compute_75 for PTX) and its sizes. This is what `cuobjdump --list-elf --list-ptx` reads.
A cubin runs only on GPUs of its major architecture with an equal or higher minor (sm_80 code runs
on sm_86, not on sm_90); PTX is compiled by the driver at load time (JIT) for any GPU of its
compute capability or newer, provided the driver supports that PTX version.

Prints one line per (kind, arch): the entries (one per fat binary, i.e. per compiled CUDA source
file) and their total payload size, then a summary.
"""
import collections
import mmap
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50
KINDS = {1: "PTX", 2: "cubin"}


def section(mm, name):
    """(offset, size) of an ELF64 little-endian section by name."""
    if mm[:4] != b"\x7fELF" or mm[4] != 2 or mm[5] != 1:
        sys.exit("error: not an ELF64 little-endian file")
    shoff = struct.unpack_from("<Q", mm, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", mm, 0x3A)
    def header(i):
        base = shoff + i * shentsize
        sh_name, _type, _flags, _addr, sh_offset, sh_size = struct.unpack_from("<IIQQQQ", mm, base)
        return sh_name, sh_offset, sh_size
    _, str_off, _ = header(shstrndx)
    for i in range(shnum):
        sh_name, off, size = header(i)
        end = mm.find(b"\0", str_off + sh_name)
        if mm[str_off + sh_name:end].decode() == name:
            return off, size
    sys.exit("error: no section " + name + " (no embedded device code)")


def entries(mm, off, size):
    """Yields (kind, arch, ptx_version, payload_size, compressed) for every fatbin entry."""
    pos, end = off, off + size
    while pos + 16 <= end:
        magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", mm, pos)
        if magic != FATBIN_MAGIC:
            # fat binaries are 8-byte aligned: skip padding between them
            pos += 8
            continue
        e, e_end = pos + header_size, pos + header_size + fat_size
        while e + 64 <= e_end:
            kind, _u1, e_header, e_size = struct.unpack_from("<HHIQ", mm, e)
            minor, major, arch = struct.unpack_from("<HHI", mm, e + 24)
            flags = struct.unpack_from("<Q", mm, e + 40)[0]
            if kind not in KINDS or e_header == 0:
                break
            yield KINDS[kind], arch, "%d.%d" % (major, minor), e_size, bool(flags & 0x2000)
            e += e_header + e_size
        pos = e_end


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    verbose = "--verbose" in argv
    with open(argv[1], "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        off, size = section(mm, ".nv_fatbin")
        counts = collections.Counter()
        sizes = collections.Counter()
        versions = collections.defaultdict(set)
        compressed = 0
        for kind, arch, version, payload, comp in entries(mm, off, size):
            counts[(kind, arch)] += 1
            sizes[(kind, arch)] += payload
            versions[(kind, arch)].add(version)
            compressed += comp
            if verbose:
                print(kind, arch, version, payload, "compressed" if comp else "")
    print(".nv_fatbin: %d bytes at offset %d" % (size, off))
    for (kind, arch) in sorted(counts, key=lambda k: (k[1], k[0])):
        name = ("sm_%d" if kind == "cubin" else "compute_%d") % arch
        print("%-5s %-11s %6d entries %12d bytes  (%s %s)" % (
            kind, name, counts[(kind, arch)], sizes[(kind, arch)],
            "PTX ISA" if kind == "PTX" else "entry version", ",".join(sorted(versions[(kind, arch)]))))
    cubins = sorted({a for k, a in counts if k == "cubin"})
    ptx = sorted({a for k, a in counts if k == "PTX"})
    print("cubin architectures: " + (" ".join("sm_%d" % a for a in cubins) or "none"))
    print("PTX architectures:   " + (" ".join("compute_%d" % a for a in ptx) or "none"))
    print("compressed entries:  %d of %d" % (compressed, sum(counts.values())))


if __name__ == "__main__":
    main(sys.argv)
