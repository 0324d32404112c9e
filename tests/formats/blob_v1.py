"""Independent implementation of the Swarm model blob format v1.

Written from docs/formats.md only (not from the C++ sources), so that the
conformance test in blob_format_test.py checks the document as much as the code.
A tensor is (name, dtype, shape, data): dtype one of "f32", "f64", "f16", "bf16",
shape a tuple of ints (() for a scalar), data its raw little-endian bytes.
"""
import hashlib
import struct

MAGIC = b"SWRMBLOB"
FOOTER_MAGIC = b"SWRMFOOT"
VERSION = 1
HEADER_BYTES = 64
MAX_TENSORS = 1 << 20
MAX_NAME_BYTES = 4096
MAX_RANK = 16
MAX_ELEMENTS = 1 << 60

# dtype code in the table -> (name, element size in bytes)
DTYPES = {1: ("f32", 4), 2: ("f64", 8), 3: ("f16", 2), 4: ("bf16", 2)}
DTYPE_CODES = {name: (code, size) for code, (name, size) in DTYPES.items()}

# Header: magic, version, flags, tensor_count, table_bytes, payload_offset,
# payload_bytes, file_bytes, table_crc, reserved (8 bytes); header_crc follows at 60.
_HEADER = struct.Struct("<8sIIIIQQQIQ")
assert _HEADER.size == 60


def _crc32c_table():
    # Reflected form of the Castagnoli polynomial 0x1EDC6F41 is 0x82F63B78.
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # check value given by the document


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def align64(n):
    return (n + 63) & ~63


def _elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _describe(index, name, dtype, shape):
    return "tensor %d '%s' %s[%s]" % (index, name, dtype, ",".join(map(str, shape)))


def write_blob(tensors):
    """Serialise tensors to blob bytes; raises ValueError on an invalid model."""
    if len(tensors) > MAX_TENSORS:
        raise ValueError("too many tensors: %d" % len(tensors))
    table = bytearray()
    offsets = []
    end = 0  # end of the previous tensor, relative to payload_offset
    seen = set()
    for i, (name, dtype, shape, data) in enumerate(tensors):
        raw_name = name.encode("utf-8")
        if not 1 <= len(raw_name) <= MAX_NAME_BYTES:
            raise ValueError("tensor %d: name length %d not in 1..4096" % (i, len(raw_name)))
        if name in seen:
            raise ValueError("tensor %d: duplicate name '%s'" % (i, name))
        seen.add(name)
        if dtype not in DTYPE_CODES:
            raise ValueError("tensor %d '%s': unknown dtype %r" % (i, name, dtype))
        code, size = DTYPE_CODES[dtype]
        if len(shape) > MAX_RANK:
            raise ValueError("tensor %d '%s': rank %d > 16" % (i, name, len(shape)))
        if _elements(shape) > MAX_ELEMENTS:
            raise ValueError("%s: more than 2^60 elements" % _describe(i, name, dtype, shape))
        data_bytes = _elements(shape) * size
        if len(data) != data_bytes:
            raise ValueError("%s: %d data bytes, shape needs %d"
                             % (_describe(i, name, dtype, shape), len(data), data_bytes))
        offset = align64(end) if i else 0  # data_offset[0] = 0, then align64(prev end)
        offsets.append(offset)
        end = offset + data_bytes
        table += struct.pack("<H", len(raw_name)) + raw_name
        table += struct.pack("<BB", code, len(shape))
        table += b"".join(struct.pack("<Q", d) for d in shape)
        table += struct.pack("<QQ", offset, data_bytes)

    payload_offset = align64(HEADER_BYTES + len(table))
    payload_bytes = align64(end)  # 0 with no tensors
    footer_bytes = 8 + 4 + 4 * len(tensors) + 4
    file_bytes = payload_offset + payload_bytes + footer_bytes

    header = _HEADER.pack(MAGIC, VERSION, 0, len(tensors), len(table), payload_offset,
                          payload_bytes, file_bytes, crc32c(table), 0)
    header += struct.pack("<I", crc32c(header))

    out = bytearray(header) + table
    out += bytes(payload_offset - len(out))
    for (_, _, _, data), offset in zip(tensors, offsets):
        out += bytes(payload_offset + offset - len(out)) + data
    out += bytes(payload_offset + payload_bytes - len(out))

    footer = FOOTER_MAGIC + struct.pack("<I", len(tensors))
    footer += b"".join(struct.pack("<I", crc32c(t[3])) for t in tensors)
    footer += struct.pack("<I", crc32c(footer))
    out += footer
    assert len(out) == file_bytes
    return bytes(out)


def read_blob(blob):
    """Parse and fully verify blob bytes; raises ValueError naming what is wrong."""
    blob = bytes(blob)
    n = len(blob)

    # The document says: magic first, then version, before anything else.
    if blob[:8] != MAGIC:
        raise ValueError("not a Swarm model blob: bytes 0..7 are %r, expected 'SWRMBLOB'"
                         % blob[:8])
    if n < 12:
        raise ValueError("blob truncated at offset %d while reading the header" % n)
    version = struct.unpack_from("<I", blob, 8)[0]
    if version != VERSION:
        raise ValueError("unsupported blob format version %d (offset 8)" % version)
    if n < HEADER_BYTES:
        raise ValueError("blob truncated at offset %d while reading the header" % n)

    (_, _, flags, count, table_bytes, payload_offset, payload_bytes, file_bytes,
     table_crc, reserved) = _HEADER.unpack_from(blob, 0)
    header_crc = struct.unpack_from("<I", blob, 60)[0]
    bad_header = "blob header corrupted (offsets 0..63): "
    if crc32c(blob[:60]) != header_crc:
        raise ValueError(bad_header + "header checksum mismatch")
    if flags != 0:
        raise ValueError(bad_header + "flags are 0x%x, expected 0" % flags)
    if reserved != 0:
        raise ValueError(bad_header + "reserved bytes are not zero")
    if count > MAX_TENSORS:
        raise ValueError(bad_header + "tensor_count %d > 2^20" % count)
    if payload_offset != align64(HEADER_BYTES + table_bytes):
        raise ValueError(bad_header + "payload_offset %d != align64(64 + table_bytes)"
                         % payload_offset)
    if payload_bytes % 64:
        raise ValueError(bad_header + "payload_bytes %d not a multiple of 64" % payload_bytes)
    footer_offset = payload_offset + payload_bytes
    if file_bytes != footer_offset + 8 + 4 + 4 * count + 4:
        raise ValueError(bad_header + "file_bytes %d disagrees with the layout" % file_bytes)

    def need(end, what):
        if n < end:
            raise ValueError("blob truncated: the stream ended at offset %d while reading %s;"
                             " the header says the blob is %d bytes" % (n, what, file_bytes))

    # Tensor table.
    table_end = HEADER_BYTES + table_bytes
    need(table_end, "the tensor table")
    bad_table = "tensor table corrupted (offsets 64..%d): " % (table_end - 1)
    if crc32c(blob[HEADER_BYTES:table_end]) != table_crc:
        raise ValueError(bad_table + "table checksum mismatch")
    pos = HEADER_BYTES
    entries = []  # (name, dtype, shape, data_offset, data_bytes)
    names = set()
    expected_offset = 0

    def take(fmt):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > table_end:
            raise ValueError(bad_table + "entry %d runs past the table" % len(entries))
        values = struct.unpack_from(fmt, blob, pos)
        pos += size
        return values

    for i in range(count):
        (name_len,) = take("<H")
        if not 1 <= name_len <= MAX_NAME_BYTES:
            raise ValueError(bad_table + "tensor %d name_len %d not in 1..4096" % (i, name_len))
        (raw_name,) = take("<%ds" % name_len)
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(bad_table + "tensor %d name is not UTF-8" % i) from None
        if name in names:
            raise ValueError(bad_table + "tensor %d duplicate name '%s'" % (i, name))
        names.add(name)
        code, rank = take("<BB")
        if code not in DTYPES:
            raise ValueError(bad_table + "tensor %d '%s' unknown dtype %d" % (i, name, code))
        if rank > MAX_RANK:
            raise ValueError(bad_table + "tensor %d '%s' rank %d > 16" % (i, name, rank))
        dtype, size = DTYPES[code]
        shape = take("<%dQ" % rank)
        data_offset, data_bytes = take("<QQ")
        what = _describe(i, name, dtype, shape)
        if _elements(shape) > MAX_ELEMENTS:
            raise ValueError(bad_table + "%s has more than 2^60 elements" % what)
        if data_bytes != _elements(shape) * size:
            raise ValueError(bad_table + "%s data_bytes %d != elements x size" % (what, data_bytes))
        if data_offset != expected_offset:
            raise ValueError(bad_table + "%s data_offset %d, expected %d"
                             % (what, data_offset, expected_offset))
        expected_offset = align64(data_offset + data_bytes)
        entries.append((name, dtype, shape, data_offset, data_bytes))
    if pos != table_end:
        raise ValueError(bad_table + "%d unused bytes after the last entry" % (table_end - pos))
    if payload_bytes != expected_offset:
        raise ValueError(bad_header + "payload_bytes %d, the table implies %d"
                         % (payload_bytes, expected_offset))

    def check_zero(start, end, where):
        for off in range(start, end):
            if blob[off]:
                raise ValueError("blob corrupted: non-zero byte in the padding %s at offset %d"
                                 % (where, off))

    need(payload_offset, "the padding before the payload")
    check_zero(table_end, payload_offset, "after the tensor table")

    # Payload: each tensor, then zero padding up to the next multiple of 64.
    datas = []
    for i, (name, dtype, shape, data_offset, data_bytes) in enumerate(entries):
        start = payload_offset + data_offset
        need(start + data_bytes, "the payload of " + _describe(i, name, dtype, shape))
        datas.append(blob[start:start + data_bytes])
        pad_end = payload_offset + (entries[i + 1][3] if i + 1 < count else payload_bytes)
        need(pad_end, "the padding after tensor %d" % i)
        check_zero(start + data_bytes, pad_end, "after tensor %d '%s'" % (i, name))

    # Footer.
    need(file_bytes, "the footer")
    footer_end = file_bytes - 4
    bad_footer = "blob footer corrupted (offsets %d..%d): " % (footer_offset, file_bytes - 1)
    if crc32c(blob[footer_offset:footer_end]) != struct.unpack_from("<I", blob, footer_end)[0]:
        raise ValueError(bad_footer + "footer checksum mismatch")
    if blob[footer_offset:footer_offset + 8] != FOOTER_MAGIC:
        raise ValueError(bad_footer + "magic is not 'SWRMFOOT'")
    if struct.unpack_from("<I", blob, footer_offset + 8)[0] != count:
        raise ValueError(bad_footer + "tensor_count differs from the header")
    crcs = struct.unpack_from("<%dI" % count, blob, footer_offset + 12)
    for i, ((name, dtype, shape, data_offset, _), data, want) in enumerate(
            zip(entries, datas, crcs)):
        got = crc32c(data)
        if got != want:
            start = payload_offset + data_offset
            raise ValueError("blob corrupted: %s (file offsets %d..%d) has checksum 0x%08x,"
                             " the footer records 0x%08x"
                             % (_describe(i, name, dtype, shape), start,
                                start + len(data) - 1, got, want))
    if n > file_bytes:
        raise ValueError("blob has trailing bytes at offset %d: its header says it ends there"
                         % file_bytes)
    return [(name, dtype, tuple(shape), data)
            for (name, dtype, shape, _, _), data in zip(entries, datas)]
