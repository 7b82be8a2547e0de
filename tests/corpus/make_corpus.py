#!/usr/bin/env python3
"""Writes the GGUF robustness corpus (standard library only; deterministic).

    python3 tests/corpus/make_corpus.py [CORPUS_ROOT]

CORPUS_ROOT defaults to the directory holding this script. It writes:

  valid/*.gguf        files `edgelm info` must accept (exit 0, clean one-line output)
  malformed/*.gguf    hostile files `edgelm info` must reject with one `error: ` line
  expected_errors.tsv for each malformed file, a fragment its error message must hold,
                      so a file rejected for the wrong reason is noticed

Stale *.gguf files in valid/ and malformed/ are removed, so the directories hold
exactly what this script describes. Every file is built from literal bytes; running
the script twice gives identical files. check_corpus.sh runs the corpus.
"""
import os
import struct
import sys

# --- GGUF encoding -------------------------------------------------------------------

MAGIC = b"GGUF"
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
              BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}

# ggml tensor types used here: (id, block size, bytes per block)
T_F32, T_F16, T_Q4_0, T_Q8_0, T_Q4_K = 0, 1, 2, 8, 12
BLOCK = {T_F32: (1, 4), T_F16: (1, 2), T_Q4_0: (32, 18), T_Q8_0: (32, 34), T_Q4_K: (256, 144)}

U64_MAX = 2**64 - 1


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def gstr(s):
    if isinstance(s, str):
        s = s.encode()
    return u64(len(s)) + s


def header(n_tensors, n_kv, version=3, magic=MAGIC):
    return magic + u32(version) + u64(n_tensors) + u64(n_kv)


def scalar(t, v):
    return struct.pack(SCALAR_FMT[t], v)


def array(elem_type, items):
    """Array body: element type, count, elements (already encoded for STRING/ARRAY)."""
    body = u32(elem_type) + u64(len(items))
    for it in items:
        if elem_type == STRING:
            body += gstr(it)
        elif elem_type == ARRAY:
            body += it  # an encoded array body
        else:
            body += scalar(elem_type, it)
    return body


def kv(key, vtype, body):
    """One key/value record; `body` is the encoded value."""
    return gstr(key) + u32(vtype) + body


def kv_str(key, s):
    return kv(key, STRING, gstr(s))


def kv_u32(key, v):
    return kv(key, U32, u32(v))


def tensor_bytes(ttype, dims):
    bs, ts = BLOCK[ttype]
    n = 1
    for d in dims:
        n *= d
    return n // bs * ts


def tinfo(name, dims, ttype, offset, n_dims=None):
    out = gstr(name) + u32(len(dims) if n_dims is None else n_dims)
    for d in dims:
        out += u64(d)
    return out + u32(ttype) + u64(offset)


def pad_to(buf, alignment):
    return buf + b"\0" * (-len(buf) % alignment)


def data_pattern(n, seed):
    """Deterministic filler bytes."""
    return bytes((seed * 31 + k * 7) & 0xFF for k in range(n))


def gguf(kvs, tensors=(), alignment=32, version=3, data=None):
    """A complete file. `tensors` is a list of (name, dims, ttype); offsets are laid out
    the way the writer does (each tensor padded to the alignment). `data` overrides the
    tensor data section."""
    infos, blobs, offset = b"", b"", 0
    for k, (name, dims, ttype) in enumerate(tensors):
        size = tensor_bytes(ttype, dims)
        infos += tinfo(name, dims, ttype, offset)
        blob = pad_to(data_pattern(size, k + 1), alignment)
        blobs += blob
        offset += len(blob)
    head = header(len(tensors), len(kvs), version) + b"".join(kvs) + infos
    return pad_to(head, alignment) + (blobs if data is None else data)


def f16_one():
    return struct.pack("<e", 1.0)


def q8_0_blocks(n):
    return b"".join(struct.pack("<e", 0.5 + b) + bytes((b * 5 + k) & 0x7F for k in range(32)) for b in range(n))


def q4_0_blocks(n):
    return b"".join(struct.pack("<e", 0.25 * (b + 1)) + bytes((b * 17 + k * 3) & 0xFF for k in range(16))
                    for b in range(n))


# A filler key/value that comes before the record under test, so that the reader's
# "does the declared count fit in the file" checks pass and the truncation or
# corruption is met where intended.
FILLER_KV = kv_str("general.name", "edgelm malformed-corpus filler value")
FILLER_TENSOR = tinfo("filler.weight", [32, 2], T_F32, 0)

# --- valid files ---------------------------------------------------------------------


def nested(depth, leaf):
    """An array body nested `depth` levels deep around the array body `leaf`."""
    body = leaf
    for _ in range(depth - 1):
        body = array(ARRAY, [body])
    return body


def valid_files():
    files = {}
    files["minimal-no-tensors.gguf"] = gguf([])
    files["minimal-one-kv.gguf"] = gguf([kv_str("general.architecture", "corpus")])

    every = [
        kv_str("general.architecture", "corpus"),
        kv_str("general.name", "every value type"),
        kv("corpus.u8", U8, scalar(U8, 200)),
        kv("corpus.i8", I8, scalar(I8, -100)),
        kv("corpus.u16", U16, scalar(U16, 60000)),
        kv("corpus.i16", I16, scalar(I16, -30000)),
        kv("corpus.u32", U32, scalar(U32, 4000000000)),
        kv("corpus.i32", I32, scalar(I32, -2000000000)),
        kv("corpus.f32", F32, scalar(F32, 0.15625)),
        kv("corpus.bool_true", BOOL, scalar(BOOL, 1)),
        kv("corpus.bool_false", BOOL, scalar(BOOL, 0)),
        kv("corpus.string", STRING, gstr("h\u00e9llo \u2581world \U0001F600")),
        kv("corpus.empty_string", STRING, gstr("")),
        kv("corpus.u64", U64, scalar(U64, U64_MAX)),
        kv("corpus.i64", I64, scalar(I64, -(2**63))),
        kv("corpus.f64", F64, scalar(F64, -1.0e300)),
        kv("corpus.arr_u8", ARRAY, array(U8, [0, 1, 255])),
        kv("corpus.arr_i8", ARRAY, array(I8, [-128, 0, 127])),
        kv("corpus.arr_u16", ARRAY, array(U16, [0, 65535])),
        kv("corpus.arr_i16", ARRAY, array(I16, [-32768, 32767])),
        kv("corpus.arr_u32", ARRAY, array(U32, list(range(20)))),
        kv("corpus.arr_i32", ARRAY, array(I32, [-1, 0, 1])),
        kv("corpus.arr_f32", ARRAY, array(F32, [1.5, -2.0, 0.0])),
        kv("corpus.arr_bool", ARRAY, array(BOOL, [1, 0, 1])),
        kv("corpus.arr_u64", ARRAY, array(U64, [0, U64_MAX])),
        kv("corpus.arr_i64", ARRAY, array(I64, [-(2**63), 2**63 - 1])),
        kv("corpus.arr_f64", ARRAY, array(F64, [3.25, -0.5])),
        kv("corpus.arr_string", ARRAY, array(STRING, ["a", "", "<bos>", "\u2581the", "x" * 100])),
        kv("corpus.arr_empty_u32", ARRAY, array(U32, [])),
        kv("corpus.arr_empty_string", ARRAY, array(STRING, [])),
        kv("corpus.arr_empty_array", ARRAY, array(ARRAY, [])),
        # array of arrays with mixed element types, and three levels of nesting
        kv("corpus.arr_nested", ARRAY,
           array(ARRAY, [array(U32, [1, 2]), array(STRING, ["x", "yz"]), array(F32, []),
                         array(ARRAY, [array(I8, [-1]), array(BOOL, [1, 0])])])),
        kv("tokenizer.ggml.model", STRING, gstr("gpt2")),
        kv("tokenizer.ggml.tokens", ARRAY, array(STRING, ["<pad>", "<bos>", "<eos>", "a", "b"])),
        kv("tokenizer.ggml.bos_token_id", U32, u32(1)),
        kv("tokenizer.ggml.eos_token_id", U32, u32(2)),
        kv("tokenizer.ggml.add_bos_token", BOOL, scalar(BOOL, 1)),
    ]
    files["every-value-type.gguf"] = gguf(every)

    # Tiny tensors of four types with a custom alignment of 64; real block data.
    align = 64
    tensors = [("t.f32", [8, 2], T_F32), ("t.f16", [4, 3], T_F16), ("t.q8_0", [64, 2], T_Q8_0),
               ("t.q4_0", [32, 3], T_Q4_0)]
    blobs = [b"".join(struct.pack("<f", k * 0.5 - 3.0) for k in range(16)),
             b"".join(struct.pack("<e", k * 0.25) for k in range(12)),
             q8_0_blocks(4), q4_0_blocks(3)]
    for (name, dims, t), blob in zip(tensors, blobs):
        assert len(blob) == tensor_bytes(t, dims), name
    files["tensors-f32-f16-q8_0-q4_0-align64.gguf"] = gguf(
        [kv_str("general.architecture", "corpus"), kv_u32("general.alignment", align)], tensors, align,
        data=b"".join(pad_to(b, align) for b in blobs))

    files["version-2.gguf"] = gguf(
        [kv_str("general.architecture", "corpus"), kv_str("general.name", "a GGUF v2 file"),
         kv("corpus.arr_string", ARRAY, array(STRING, ["v2", "strings"]))],
        [("v2.weight", [32, 2], T_F32)], version=2)

    # --- valid but odd: must parse, and `info` must print it escaped on one line each.
    odd_arch = b"odd\x07arch"
    files["odd-control-chars-and-invalid-utf8.gguf"] = gguf([
        kv("general.architecture", STRING, gstr(odd_arch)),
        kv("general.name", STRING, gstr(b"line one\nline two\r\x1b[2J\x00end")),
        kv(b"general.key\x01with\ncontrol\x1b[31m bytes", STRING, gstr(b"\xff\xfe invalid \xc3\x28 utf8 \x80")),
        kv(b"general.\xc0\xafkey-invalid-utf8", U32, u32(7)),
        kv(odd_arch + b".\ttab\x7fdel", STRING, gstr(b"tab\there \\ backslash")),
        kv(b"general.truncated_utf8_at_end", STRING, gstr(b"ends mid-sequence \xe2\x96")),
        kv(b"general.strings", ARRAY, array(STRING, [b"\n", b"\xff", b"ok", b"\x00\x01"])),
        kv(b"general.long\n" + b"k" * 200, STRING, gstr(b"v\n" * 300)),
        kv("tokenizer.ggml.model", STRING, gstr(b"bpe\nmodel")),
        kv("tokenizer.ggml.pre", STRING, gstr(b"\x1b]0;title\x07")),
        kv("tokenizer.ggml.tokens", ARRAY, array(STRING, [b"\n", b"\xff\xfe", b"<\x00>"])),
        kv("tokenizer.ggml.bos_token_id", U32, u32(0)),
        kv("tokenizer.ggml.eos_token_id", U32, u32(1)),
        kv("tokenizer.ggml.unknown_token_id", U32, u32(99)),
    ], [(b"tensor\nwith\x1bodd\xffname", [32], T_F32)])

    # Well-formed-looking UTF-8 that is not valid (surrogates, overlong forms, code
    # points past U+10FFFF) and C1 controls (U+009B is a one-character CSI): all must
    # come out as \xNN escapes.
    files["odd-utf8-surrogate-overlong-c1.gguf"] = gguf([
        kv_str("general.architecture", "corpus"),
        kv("general.surrogate", STRING, gstr(b"surrogate \xed\xa0\x80 \xed\xbf\xbf end")),
        kv("general.overlong", STRING, gstr(b"overlong slash \xe0\x80\xaf \xf0\x80\x80\xaf end")),
        kv("general.past_max", STRING, gstr(b"past U+10FFFF \xf4\x90\x80\x80 end")),
        kv("general.bad_lead", STRING, gstr(b"lead bytes \xf8\x80\x80 \xff\x80\x80 \xfe\xbf\xbf end")),
        kv(b"general.c1\xc2\x9b31m", STRING, gstr(b"csi \xc2\x9b2J nel \xc2\x85 end")),
    ])

    files["odd-nested-arrays-at-depth-limit.gguf"] = gguf(
        [kv_str("general.architecture", "corpus"),
         kv("general.nested8", ARRAY, nested(8, array(U32, [1, 2, 3])))])

    files["odd-zero-size-tensor-and-63-byte-name.gguf"] = gguf(
        [kv_str("general.architecture", "corpus")],
        [("n" * 63, [32, 1], T_F32), ("empty.weight", [0, 4], T_F32), ("scalar.weight", [], T_F32),
         ("rows.weight", [32, 1, 1, 2], T_F32)])
    return files


# --- malformed files -----------------------------------------------------------------


def cut_inside(prefix, field, keep=None):
    """`prefix` + the first `keep` bytes of `field` (default: half, at least 1, never all)."""
    if keep is None:
        keep = max(1, len(field) // 2)
    assert 0 < keep < len(field), (keep, len(field))
    return prefix + field[:keep]


def malformed_files():
    M = {}

    def add(name, data, expect):
        assert name not in M, name
        M[name] = (data, expect)

    good = gguf([FILLER_KV], [("filler.weight", [32, 2], T_F32)])

    # --- header
    add("empty.gguf", b"", "file is empty")
    add("one-byte.gguf", b"G", "too small")
    add("three-bytes.gguf", b"GGU", "too small")
    add("magic-only.gguf", b"GGUF", "truncated: version")
    add("bad-magic-ggml.gguf", b"GGML" + good[4:], "bad magic")
    add("bad-magic-lowercase.gguf", b"gguf" + good[4:], "bad magic")
    add("bad-magic-reversed.gguf", b"FUGG" + good[4:], "bad magic")
    add("bad-magic-zeros.gguf", b"\0" * 64, "bad magic")
    add("text-file.gguf", b"This is not a model; it is a text file.\n" * 3, "bad magic")
    for v, expect in [(0, "unsupported GGUF version 0"), (1, "version 1 is not supported"),
                      (4, "unsupported GGUF version 4"), (0xFFFFFFFF, "unsupported GGUF version 4294967295")]:
        add(f"version-{v if v < 100 else 'ffffffff'}.gguf", good[:4] + u32(v) + good[8:], expect)
    add("version-3-big-endian.gguf", good[:4] + struct.pack(">I", 3) + good[8:], "big-endian")
    add("version-2-big-endian.gguf", good[:4] + struct.pack(">I", 2) + good[8:], "big-endian")
    # v1 layout (u32 counts) must not be misread either
    add("version-1-layout.gguf", MAGIC + u32(1) + u32(0) + u32(1) + FILLER_KV, "version 1 is not supported")

    # --- truncated inside the header
    h = header(1, 1)
    add("truncated-in-version.gguf", h[:6], "truncated: version")
    add("truncated-in-tensor-count.gguf", h[:12], "truncated: tensor count")
    add("truncated-in-kv-count.gguf", h[:20], "truncated: metadata key/value count")
    add("truncated-after-header.gguf", h, "metadata entries")
    add("truncated-after-header-no-kv.gguf", header(1, 0), "tensors at byte offset 8")

    # --- counts
    for n, label in [(2**63, "2^63"), (2**40, "2^40"), (U64_MAX, "u64-max")]:
        add(f"kv-count-{label}.gguf", header(0, n) + FILLER_KV, "metadata entries")
        add(f"tensor-count-{label}.gguf", header(n, 1) + FILLER_KV + FILLER_TENSOR, "tensors at byte offset 8")
    add("kv-count-one-more-than-present.gguf", header(0, 3) + FILLER_KV + kv_u32("corpus.x", 1),
        "truncated")
    add("tensor-count-one-more-than-present.gguf",
        header(3, 1) + FILLER_KV + FILLER_TENSOR + tinfo("second.weight", [32, 2], T_F32, 256), "truncated")

    # --- truncated inside a key/value (the record under test is the second one)
    pre = header(0, 2) + FILLER_KV
    key = gstr("corpus.some_key")
    add("truncated-in-kv-key-length.gguf", cut_inside(pre, key, 3), "truncated: metadata key at byte offset")
    add("truncated-in-kv-key.gguf", cut_inside(pre, key, 12), "metadata key at byte offset")
    add("truncated-in-kv-value-type.gguf", cut_inside(pre + key, u32(U32), 2), "truncated: metadata value type")
    add("truncated-in-u32-value.gguf", cut_inside(pre + key + u32(U32), u32(123456), 3),
        "truncated: metadata value")
    add("truncated-in-f64-value.gguf", cut_inside(pre + key + u32(F64), scalar(F64, 1.5), 5),
        "truncated: metadata value")
    add("truncated-in-bool-value.gguf", pre + key + u32(BOOL), "truncated: metadata value")
    add("truncated-in-string-value-length.gguf", cut_inside(pre + key + u32(STRING), gstr("hello"), 4),
        "truncated: string value")
    add("truncated-in-string-value.gguf", cut_inside(pre + key + u32(STRING), gstr("hello world"), 13),
        "string value at byte offset")
    arr_u32 = array(U32, [1, 2, 3, 4, 5, 6, 7, 8])
    add("truncated-in-array-element-type.gguf", cut_inside(pre + key + u32(ARRAY), arr_u32, 2),
        "truncated: array element type")
    add("truncated-in-array-count.gguf", cut_inside(pre + key + u32(ARRAY), arr_u32, 8),
        "truncated: array length")
    add("truncated-in-array-data.gguf", cut_inside(pre + key + u32(ARRAY), arr_u32, 12 + 4 * 5 + 2),
        "array of 8 u32 elements")
    arr_str = array(STRING, ["first", "second", "third"])
    add("truncated-in-string-array-element-length.gguf",
        cut_inside(pre + key + u32(ARRAY), arr_str, 12 + 13 + 14 + 3), "truncated: array string")
    add("truncated-in-string-array-element.gguf",
        cut_inside(pre + key + u32(ARRAY), arr_str, 12 + 13 + 14 + 8 + 2), "array string at byte offset")
    arr_nested = array(ARRAY, [array(U16, [1, 2, 3]), array(U16, [4, 5, 6])])
    add("truncated-in-nested-array.gguf", cut_inside(pre + key + u32(ARRAY), arr_nested, len(arr_nested) - 3),
        "array of 3 u16 elements")

    # --- strings
    add("key-length-past-eof.gguf", header(0, 1) + u64(1000) + b"general.x" + u32(U32) + u32(1),
        "metadata key at byte offset 24 has length 1000")
    add("key-length-u64-max.gguf", header(0, 1) + u64(U64_MAX) + b"general.x" + u32(U32) + u32(1),
        "has length 18446744073709551615")
    add("key-length-2^63.gguf", header(0, 1) + u64(2**63) + b"general.x" + u32(U32) + u32(1),
        "has length 9223372036854775808")
    add("string-length-past-eof.gguf", pre + key + u32(STRING) + u64(1000) + b"short string",
        "string value at byte offset")
    add("string-length-u64-max.gguf", pre + key + u32(STRING) + u64(U64_MAX) + b"short string",
        "has length 18446744073709551615")
    add("string-length-u64-max-minus-7.gguf", pre + key + u32(STRING) + u64(U64_MAX - 7) + b"short string",
        "has length 18446744073709551608")

    # --- arrays
    add("array-count-past-eof.gguf", pre + key + u32(ARRAY) + u32(U32) + u64(1000) + u32(1) + u32(2),
        "array of 1000 u32 elements")
    add("array-count-u64-max.gguf", pre + key + u32(ARRAY) + u32(U8) + u64(U64_MAX) + b"abc",
        "array of 18446744073709551615 u8")
    # count * element size wraps around u64: to 0 (4 * 2^62) and to 8 (8 * (2^61 + 1))
    add("array-count-times-size-wraps-to-zero.gguf", pre + key + u32(ARRAY) + u32(U32) + u64(2**62) + u32(1),
        "array of 4611686018427387904 u32")
    add("array-count-times-size-wraps-to-8.gguf", pre + key + u32(ARRAY) + u32(U64) + u64(2**61 + 1) + u64(1),
        "array of 2305843009213693953 u64")
    add("array-count-times-size-wraps-f64.gguf", pre + key + u32(ARRAY) + u32(F64) + u64(2**63) + u64(1),
        "array of 9223372036854775808 f64")
    add("array-of-strings-huge-count.gguf", pre + key + u32(ARRAY) + u32(STRING) + u64(2**60) + gstr("a"),
        "array of 1152921504606846976 string")
    add("array-of-strings-count-u64-max.gguf", pre + key + u32(ARRAY) + u32(STRING) + u64(U64_MAX) + gstr("a"),
        "array of 18446744073709551615 string")
    add("array-of-strings-count-past-eof.gguf",
        pre + key + u32(ARRAY) + u32(STRING) + u64(100) + gstr("a") + gstr("b"), "array of 100 string")
    add("array-of-strings-element-length-u64-max.gguf",
        pre + key + u32(ARRAY) + u32(STRING) + u64(2) + gstr("a") + u64(U64_MAX) + b"tail",
        "array string at byte offset")
    add("array-of-arrays-huge-count.gguf", pre + key + u32(ARRAY) + u32(ARRAY) + u64(2**60) + array(U8, [1]),
        "array of 1152921504606846976 array")
    add("array-of-arrays-count-past-eof.gguf",
        pre + key + u32(ARRAY) + u32(ARRAY) + u64(50) + array(U8, [1]), "array of 50 array")
    add("nested-array-count-past-eof.gguf",
        pre + key + u32(ARRAY) + array(ARRAY, [array(U8, [1, 2]), u32(U32) + u64(1000) + u32(7)]),
        "array of 1000 u32")
    add("nested-array-inner-count-u64-max.gguf",
        pre + key + u32(ARRAY) + array(ARRAY, [u32(U64) + u64(U64_MAX) + u64(7)]),
        "array of 18446744073709551615 u64")
    add("nested-arrays-9-levels.gguf", pre + key + u32(ARRAY) + nested(9, array(U8, [1])), "deeper than 8")
    add("nested-arrays-100-levels.gguf", pre + key + u32(ARRAY) + nested(100, array(U8, [1])), "deeper than 8")
    # 100 levels of arrays that each claim to hold 2^40 arrays: must fail on depth/size, not allocate
    deep = u32(ARRAY) + u64(2**40)
    add("nested-arrays-100-levels-huge-counts.gguf", pre + key + u32(ARRAY) + deep * 100 + array(U8, [1]),
        "array of 1099511627776 array")
    # 1000 levels: 12 KiB of "array of 1 array"; must not recurse deeply
    add("nested-arrays-1000-levels.gguf", pre + key + u32(ARRAY) + nested(1000, array(U8, [1])), "deeper than 8")

    # --- value types
    add("unknown-value-type-13.gguf", pre + key + u32(13) + u32(0), "unknown value type 13")
    add("unknown-value-type-ffffffff.gguf", pre + key + u32(0xFFFFFFFF) + u32(0), "unknown value type 4294967295")
    add("unknown-value-type-13-first-kv.gguf", header(0, 1) + key + u32(13) + u64(0), "unknown value type 13")
    add("array-element-type-13.gguf", pre + key + u32(ARRAY) + u32(13) + u64(1) + u32(0), "unknown value type 13")
    add("array-element-type-ffffffff.gguf", pre + key + u32(ARRAY) + u32(0xFFFFFFFF) + u64(1) + u32(0),
        "unknown value type 4294967295")
    add("nested-array-element-type-13.gguf",
        pre + key + u32(ARRAY) + array(ARRAY, [array(U8, [1]), u32(13) + u64(1) + u32(0)]),
        "unknown value type 13")
    add("bool-value-2.gguf", pre + key + u32(BOOL) + b"\x02", "bool value 2")
    add("bool-value-255.gguf", pre + key + u32(BOOL) + b"\xff", "bool value 255")
    add("bool-array-element-2.gguf", pre + key + u32(ARRAY) + u32(BOOL) + u64(3) + b"\x01\x00\x02",
        "bool array element 2 with value 2")

    # --- keys
    add("duplicate-keys.gguf", header(0, 3) + FILLER_KV + kv_u32("corpus.dup", 1) + kv_u32("corpus.dup", 2),
        "duplicate metadata key 'corpus.dup'")
    add("duplicate-keys-different-types.gguf",
        header(0, 3) + FILLER_KV + kv_u32("corpus.dup", 1) + kv_str("corpus.dup", "two"),
        "duplicate metadata key 'corpus.dup'")
    add("duplicate-key-general-alignment.gguf",
        header(0, 3) + FILLER_KV + kv_u32("general.alignment", 32) + kv_u32("general.alignment", 64),
        "duplicate metadata key 'general.alignment'")
    add("empty-key.gguf", pre + kv_u32("", 1), "metadata key #1 at byte offset")

    # --- general.alignment
    for value, label, expect in [(0, "0", "is 0, which is not a power of two"),
                                 (3, "3", "is 3, which is not a power of two"),
                                 (48, "48", "is 48, which is not a power of two"),
                                 (0xFFFFFFFF, "u32-max", "is 4294967295, which is not a power of two")]:
        add(f"alignment-{label}.gguf",
            gguf([FILLER_KV, kv_u32("general.alignment", value)], [("filler.weight", [32, 2], T_F32)]), expect)
    add("alignment-0-no-tensors.gguf", gguf([kv_u32("general.alignment", 0)]), "not a power of two")
    add("alignment-of-type-string.gguf", gguf([FILLER_KV, kv_str("general.alignment", "32")]),
        "'general.alignment' has type string")
    add("alignment-of-type-u64.gguf", gguf([FILLER_KV, kv("general.alignment", U64, u64(32))]),
        "'general.alignment' has type u64")
    add("alignment-of-type-array.gguf", gguf([FILLER_KV, kv("general.alignment", ARRAY, array(U32, [32]))]),
        "'general.alignment' has type array")
    # a legal but huge alignment puts the data section far past the end of the file
    add("alignment-2^31-data-past-eof.gguf",
        header(1, 2) + FILLER_KV + kv_u32("general.alignment", 2**31) + FILLER_TENSOR + b"\0" * 300,
        "should start at byte offset 2147483648")

    # --- tensor infos (the tensor under test is the second one)
    tpre = header(2, 1) + FILLER_KV + FILLER_TENSOR

    def bad_tensor(name, info, expect, tail=b"\0" * 2048):
        add(name, tpre + info + tail, expect)

    bad_tensor("n-dims-5.gguf", tinfo("bad.weight", [32, 1, 1, 1, 1], T_F32, 256), "'bad.weight' has 5 dimensions")
    bad_tensor("n-dims-ffffffff.gguf", tinfo("bad.weight", [32, 1], T_F32, 256, n_dims=0xFFFFFFFF),
               "has 4294967295 dimensions")
    bad_tensor("dim-2^63.gguf", tinfo("bad.weight", [32, 2**63], T_F32, 256), "dimension 1 is 9223372036854775808")
    bad_tensor("dim-u64-max.gguf", tinfo("bad.weight", [U64_MAX], T_F32, 256),
               "dimension 0 is 18446744073709551615")
    bad_tensor("dims-product-overflows-u64.gguf", tinfo("bad.weight", [2**32, 2**32], T_F32, 256),
               "element count overflows")
    bad_tensor("dims-product-overflows-i64.gguf", tinfo("bad.weight", [2**32, 2**31], T_F32, 256),
               "element count overflows")
    bad_tensor("dims-product-overflows-4d.gguf", tinfo("bad.weight", [2**20, 2**20, 2**20, 2**20], T_F32, 256),
               "element count overflows")
    # a zero dimension must not hide an overflowing product of the others
    bad_tensor("dims-product-overflows-behind-zero-dim.gguf",
               tinfo("bad.weight", [0, 2**40, 2**40], T_F32, 256), "element count overflows")
    bad_tensor("tensor-byte-size-overflows.gguf", tinfo("bad.weight", [2**31, 2**31], T_F32, 256),
               "byte size overflows")
    bad_tensor("row-33-not-multiple-of-q4_0-block.gguf", tinfo("bad.weight", [33, 2], T_Q4_0, 256),
               "rows of 33 elements, not a multiple of the q4_0 block size 32")
    bad_tensor("row-128-not-multiple-of-q4_k-block.gguf", tinfo("bad.weight", [128, 2], T_Q4_K, 256),
               "not a multiple of the q4_k block size 256")
    for tid in (4, 5, 31, 99, 0xFFFFFFFF):
        bad_tensor(f"tensor-type-{tid if tid < 1000 else 'ffffffff'}.gguf", tinfo("bad.weight", [32], tid, 256),
                   f"unknown type id {tid}")
    bad_tensor("tensor-offset-past-eof.gguf", tinfo("bad.weight", [32, 2], T_F32, 2**20),
               "'bad.weight' data (offset 1048576")
    bad_tensor("tensor-offset-u64-max-aligned.gguf", tinfo("bad.weight", [32, 2], T_F32, 2**64 - 32),
               "'bad.weight' data (offset 18446744073709551584")
    bad_tensor("tensor-offset-misaligned.gguf", tinfo("bad.weight", [32, 2], T_F32, 256 + 16),
               "data offset 272 is not a multiple of the alignment 32")
    bad_tensor("tensor-offset-u64-max.gguf", tinfo("bad.weight", [32, 2], T_F32, U64_MAX),
               "is not a multiple of the alignment")
    # offset + size overflows u64 (the offset alone is aligned and the size fits)
    bad_tensor("tensor-offset-plus-size-overflows.gguf", tinfo("bad.weight", [64, 2], T_F32, 2**64 - 256),
               "extends past the end of the file")
    add("tensor-offset-misaligned-custom-alignment.gguf",
        header(1, 2) + FILLER_KV + kv_u32("general.alignment", 64) + tinfo("bad.weight", [8], T_F32, 32)
        + b"\0" * 512, "data offset 32 is not a multiple of the alignment 64")
    bad_tensor("duplicate-tensor-names.gguf", tinfo("filler.weight", [32, 2], T_F32, 256),
               "duplicate tensor name 'filler.weight'")
    bad_tensor("empty-tensor-name.gguf", tinfo("", [32, 2], T_F32, 256), "tensor #1 at byte offset")
    bad_tensor("tensor-name-64-bytes.gguf", tinfo("n" * 64, [32], T_F32, 256), "is 64 bytes long")
    bad_tensor("tensor-name-length-u64-max.gguf", u64(U64_MAX) + b"bad.weight", "has length 18446744073709551615")
    bad_tensor("tensor-name-length-past-eof.gguf", u64(10**6) + b"bad.weight", "tensor name at byte offset")

    # --- truncated inside a tensor info
    info = tinfo("second.weight", [32, 2], T_F32, 256)
    name_len = 8 + len("second.weight")
    add("truncated-in-tensor-name-length.gguf", cut_inside(tpre, info, 5), "truncated: tensor name")
    add("truncated-in-tensor-name.gguf", cut_inside(tpre, info, 14), "tensor name at byte offset")
    add("truncated-in-tensor-n-dims.gguf", cut_inside(tpre, info, name_len + 2), "truncated: tensor dimension count")
    add("truncated-in-tensor-dims.gguf", cut_inside(tpre, info, name_len + 4 + 8 + 3),
        "truncated: tensor dimension at byte offset")
    add("truncated-in-tensor-type.gguf", cut_inside(tpre, info, name_len + 4 + 16 + 1), "truncated: tensor type")
    add("truncated-in-tensor-offset.gguf", cut_inside(tpre, info, name_len + 4 + 16 + 4 + 5),
        "truncated: tensor data offset")

    # --- tensor data
    two = gguf([FILLER_KV], [("first.weight", [32, 2], T_F32), ("second.weight", [64, 4], T_F32)])
    infos_end = len(header(2, 1) + FILLER_KV + tinfo("first.weight", [32, 2], T_F32, 0)
                    + tinfo("second.weight", [64, 4], T_F32, 256))
    assert infos_end % 32 != 0
    add("truncated-before-data-section.gguf", two[:infos_end], "tensor data section should start at byte offset")
    data_start = -(-infos_end // 32) * 32
    add("truncated-at-data-section-start.gguf", two[:data_start], "'first.weight' data (offset 0, 256 bytes)")
    add("truncated-in-first-tensor-data.gguf", two[:data_start + 100], "'first.weight' data (offset 0, 256 bytes)")
    add("truncated-in-last-tensor-data.gguf", two[:data_start + 256 + 1000],
        "'second.weight' data (offset 256, 1024 bytes)")
    add("truncated-last-byte-of-tensor-data.gguf", two[:-1], "'second.weight' data (offset 256, 1024 bytes)")
    return M


# --- main ----------------------------------------------------------------------------


def write_dir(path, files):
    os.makedirs(path, exist_ok=True)
    for stale in sorted(os.listdir(path)):
        if stale.endswith(".gguf") and stale not in files:
            os.remove(os.path.join(path, stale))
    for name in sorted(files):
        data = files[name]
        assert len(data) < 64 * 1024, (name, len(data))
        assert "/" not in name and name.endswith(".gguf"), name
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    valid = valid_files()
    malformed = malformed_files()
    write_dir(os.path.join(root, "valid"), valid)
    write_dir(os.path.join(root, "malformed"), {k: v[0] for k, v in malformed.items()})
    with open(os.path.join(root, "expected_errors.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("# file<TAB>fragment its one-line error message must contain (written by make_corpus.py)\n")
        for name in sorted(malformed):
            expect = malformed[name][1]
            assert "\t" not in expect and "\n" not in expect
            f.write(f"{name}\t{expect}\n")
    print(f"wrote {len(valid)} valid and {len(malformed)} malformed files under {root}")


if __name__ == "__main__":
    main()
